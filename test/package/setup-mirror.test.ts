// scripts/setup.sh takes Debian backports from the mirror the machine's apt sources name, and names none itself.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/**
 * Runs setup.sh as a user without root on a machine whose Vulkan driver is missing (dpkg-query
 * finds nothing), with `sources` as the files of its apt source directory; returns what it printed.
 */
function setupWith(sources: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'quiver-setup-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'dpkg-query'), '#!/bin/sh\nexit 1\n');
  writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 1000\n');
  for (const f of ['dpkg-query', 'id']) chmodSync(join(bin, f), 0o755);
  const apt = join(dir, 'apt');
  mkdirSync(join(apt, 'sources.list.d'), { recursive: true });
  for (const [name, text] of Object.entries(sources)) writeFileSync(join(apt, name), text);
  const r = spawnSync('bash', [join(root, 'scripts/setup.sh')], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, QUIVER_APT_DIR: apt },
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect(r.status).toBe(0);
  return `${r.stdout}${r.stderr}`;
}

describe('setup.sh without a Vulkan driver', () => {
  it('names no mirror of its own when the apt sources name none: it says what to add', () => {
    const out = setupWith({});
    expect(out).toContain('no apt source names a Debian mirror to take bookworm-backports from');
    expect(out).not.toMatch(/deb https?:\/\//);
    expect(out).not.toMatch(/URIs: https?:\/\//);
  }, 150_000);

  it('takes the Debian mirror of a deb822 source, not a third-party repository listed before it', () => {
    const out = setupWith({
      'sources.list.d/a-vendor.sources': 'Types: deb\nURIs: http://vendor.invalid/apt\nSuites: nodistro\nComponents: main\n',
      'sources.list.d/debian.sources': 'Types: deb\nURIs: http://mirror.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\nTypes: deb\nURIs: http://mirror.invalid/debian-security\nSuites: bookworm-security\nComponents: main\n',
    });
    expect(out).toContain("echo 'deb http://mirror.invalid/debian bookworm-backports main' > /etc/apt/sources.list.d/backports.list");
  }, 150_000);

  it('takes the mirror of a one-line source, with options', () => {
    const out = setupWith({ 'sources.list': 'deb [arch=amd64 signed-by=/k.gpg] http://mirror.invalid/debian bookworm main\n' });
    expect(out).toContain("echo 'deb http://mirror.invalid/debian bookworm-backports main'");
  }, 150_000);
});
