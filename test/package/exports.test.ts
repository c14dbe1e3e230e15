// The built package is importable by another project as `import { Quiver, col, lit, fn } from 'quiver-df'`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('package exports', () => {
  it('builds, and a plain Node project imports and runs it', () => {
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'pipe' });
    const app = mkdtempSync(join(tmpdir(), 'quiver-app-'));
    mkdirSync(join(app, 'node_modules'));
    symlinkSync(root, join(app, 'node_modules', 'quiver-df'), 'dir');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module' }));
    writeFileSync(join(app, 'main.js'), `
      import { Quiver, col, lit, fn } from 'quiver-df';
      const q = await Quiver.local({ workers: 1 });
      const rows = await q.createDataFrame([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }])
        .filter(col('v').gt(lit(0))).groupBy('k').agg(fn.sum('v').alias('s')).orderBy('k').toArray();
      console.log(JSON.stringify(rows));
      await q.close();
    `);
    const out = execFileSync('node', ['main.js'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out.trim())).toEqual([{ k: 'a', s: 4 }, { k: 'b', s: 2 }]);
  }, 180_000);
});
