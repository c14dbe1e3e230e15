// `npm ci` in a checkout: no dependency downloads from outside the npm registry at install, and no warnings on Node 20.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The environment of a fresh shell: none of onnxruntime-node's install switches set. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/onnxruntime_node_install/i.test(k)) delete env[k];
  return env;
}

describe('npm ci in a checkout', () => {
  const dirs: string[] = [];
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('does not run onnxruntime-node\'s install script, which downloads CUDA libraries from outside the npm registry', () => {
    // `npm rebuild` runs a dependency's install scripts through the same allowScripts gate as `npm ci`.
    const r = spawnSync('npm', ['rebuild', 'onnxruntime-node'], { cwd: root, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/Downloading|ENOTFOUND|ERR!|npm error/);
    expect(r.status).toBe(0);
  }, 150_000);

  it('prints no engine or install-script warnings on Node 20 (the dependency tree of package-lock.json)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-ci-'));
    dirs.push(dir);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    // The project's own `prepare` (the build) needs the sources; what is checked here is the dependencies.
    delete pkg.scripts.prepare;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    writeFileSync(join(dir, 'package-lock.json'), readFileSync(join(root, 'package-lock.json')));
    const r = spawnSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/added \d+ packages/);
    const warnings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /npm warn/.test(l));
    expect(warnings).toEqual([]);
    expect(r.status).toBe(0);
  }, 150_000);
});
