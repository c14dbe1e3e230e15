// The quiver command's child (and the scale bench's) runs with glibc's malloc returning freed buffers; a user's own settings win.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOUNDED_MALLOC_ENV, withBoundedMalloc } from '../../bin/malloc-env.mjs';

describe('bounded malloc environment', () => {
  it('adds the settings and keeps the user\'s', () => {
    expect(withBoundedMalloc({ PATH: '/bin' })).toEqual({ PATH: '/bin', ...BOUNDED_MALLOC_ENV });
    expect(withBoundedMalloc({ MALLOC_MMAP_THRESHOLD_: '4096' }).MALLOC_MMAP_THRESHOLD_).toBe('4096');
  });

  it('reaches the process the quiver command runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-malloc-env-'));
    try {
      const script = join(dir, 'child.mjs');
      writeFileSync(script, `import { endWithParent, runFiltered } from ${JSON.stringify(new URL('../../bin/dawn-stderr.mjs', import.meta.url).href)};
        const code = await runFiltered(${JSON.stringify(script)}, []);
        if (code !== null) process.exit(code);
        endWithParent();
        console.log(process.env.MALLOC_MMAP_THRESHOLD_ + ' ' + process.env.GLIBC_TUNABLES);`);
      const env = { ...process.env };
      delete env.MALLOC_MMAP_THRESHOLD_;
      delete env.GLIBC_TUNABLES;
      delete env.QUIVER_LOG;
      const r = spawnSync(process.execPath, [script], { encoding: 'utf8', env });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`${BOUNDED_MALLOC_ENV.MALLOC_MMAP_THRESHOLD_} glibc.malloc.hugetlb=1`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
