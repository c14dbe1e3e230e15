// The packed tarball in a scratch project: installs without tsx or webgpu, types under tsc --strict, runs a job, `npx quiver`, TypeScript jobs and UDFs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const pkgName = 'quiver-df';
let work = '';
let app = '';

/** Runs a command (without blocking the test runner's thread); its output (stdout then stderr) and exit status. */
function sh(cmd: string, args: string[], cwd: string, timeout = 240_000): Promise<{ out: string; status: number | null }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, timeout, env: { ...process.env, QUIVER_UI: '0' } });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.once('error', rej);
    child.once('close', (status) => res({ out: stdout + stderr, status }));
  });
}

/** `npm install` from the npm registry (or its cache), retried once: the registry is reached over the network. */
async function npmInstall(args: string[]): Promise<string> {
  let r = await sh('npm', ['install', '--no-audit', '--no-fund', ...args], app);
  if (r.status !== 0) r = await sh('npm', ['install', '--no-audit', '--no-fund', ...args], app);
  expect(r.status, r.out).toBe(0);
  return r.out;
}

let installOutput = '';

/** Newest modification time (ms) of the files under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/**
 * Whether dist/ was built after every file it is built from (as `npm ci` leaves a fresh clone):
 * then `npm pack` need not build it again.
 */
function distIsFresh(): boolean {
  const built = join(root, 'dist/core/index.js');
  if (!existsSync(built) || !existsSync(join(root, 'dist/gpu-kernels/cpu/simd.wasm'))) return false;
  const sources = Math.max(...['core', 'ops', 'gpu-kernels'].map((d) => newest(join(root, d))),
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build-wasm.mjs'].map((f) => statSync(join(root, f)).mtimeMs));
  return statSync(built).mtimeMs > sources;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'quiver-pack-'));
  app = join(work, 'app');
  // `npm pack` runs `prepare` (the build), so the tarball has dist/ even from a clean checkout; a
  // dist/ newer than all its sources is packed as it is.
  const packed = await sh('npm', ['pack', '--pack-destination', work, ...(distIsFresh() ? ['--ignore-scripts'] : [])], root);
  expect(packed.status, packed.out).toBe(0);
  const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'));
  expect(tgz).toBeDefined();
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: false },
    files: ['main.ts', 'wrong.ts'],
  }));
  installOutput = await npmInstall([join(work, tgz!), 'typescript@5.9', '@types/node@20']);
}, 400_000);

afterAll(() => { if (work) rmSync(work, { recursive: true, force: true }); });

describe(`the packed ${pkgName} in a scratch project`, () => {
  it('installs without engine warnings or dependency install scripts, and without tsx, esbuild or webgpu (optional peers)', () => {
    expect(installOutput).not.toMatch(/EBADENGINE/);
    // npm lists the tarball's own `prepare` (a non-registry source) and protobufjs's postinstall (under
    // onnx-proto: it only compares version strings in package.json files, offline); no other
    // dependency has an install script, and none downloads anything.
    const scripts = installOutput.split('\n').filter((l) => /install-scripts\s+\S+@/.test(l)).sort();
    expect(scripts).toEqual([
      expect.stringMatching(/protobufjs@6\.[^ ]+ \(postinstall: node scripts\/postinstall\)/),
      expect.stringMatching(new RegExp(`${pkgName}@[^ ]+ \\(prepare: npm run build\\)`)),
    ]);
    for (const p of ['tsx', 'esbuild', 'webgpu', 'onnxruntime-node']) expect(existsSync(join(app, 'node_modules', p)), p).toBe(false);
    expect(existsSync(join(app, 'node_modules', pkgName, 'dist/core/index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', pkgName, 'dist/gpu-kernels/cpu/simd.wasm'))).toBe(true);
  });

  // One tsc run for both files (each run costs tens of seconds): the correct one has no error, the wrong call one.
  it('type-checks an importing file under tsc --strict and runs a job with it; rejects a wrong call (the types are real)', async () => {
    writeFileSync(join(app, 'main.ts'), `
      import { Quiver, col, lit, fn } from '${pkgName}';
      const q = await Quiver.local({ workers: 1 });
      const rows = await q.createDataFrame([{ k: 'a', v: 1 }, { k: 'b', v: 2 }, { k: 'a', v: 3 }])
        .filter(col('v').gt(lit(0))).groupBy('k').agg(fn.sum('v').alias('s')).orderBy('k').toArray();
      const n: number = rows.length;
      console.log(JSON.stringify({ n, rows }));
      await q.close();
    `);
    writeFileSync(join(app, 'wrong.ts'), `
      import { Quiver } from '${pkgName}';
      const q = await Quiver.local({ workers: 'two' });
      await q.close();
    `);
    const tsc = await sh('npx', ['tsc', '-p', '.'], app);
    rmSync(join(app, 'wrong.ts'), { force: true });
    rmSync(join(app, 'wrong.js'), { force: true });
    expect(tsc.status).not.toBe(0);
    const errors = tsc.out.split('\n').filter((l) => /error TS/.test(l));
    expect(errors.length, tsc.out).toBe(1);
    expect(errors[0]).toMatch(/^wrong\.ts.*error TS2322.*'string' is not assignable to type 'number'/);
    const run = await sh('node', ['main.js'], app, 60_000);
    expect(run.status, run.out).toBe(0);
    expect(JSON.parse(run.out.trim().split('\n').at(-1)!)).toEqual({ n: 2, rows: [{ k: 'a', s: 4 }, { k: 'b', s: 2 }] });
  }, 120_000);

  it('runs `npx quiver --help`', async () => {
    const r = await sh('npx', ['quiver', '--help'], app, 60_000);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Usage: quiver/);
    expect(r.out).toMatch(/explain/);
  }, 60_000);

  it('says to install webgpu when predict asks for the GPU, and runs on the CPU kernels without it', async () => {
    const images = '/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz';
    expect(existsSync(images), 'scripts/setup.sh installs dataset-fashion-mnist').toBe(true);
    writeFileSync(join(app, 'predict.mjs'), `
      import { Quiver } from '${pkgName}';
      const q = await Quiver.local({ workers: 1 });
      const model = q.model(${JSON.stringify(join(root, 'models/fmnist-mlp'))});
      const df = q.read.idx(${JSON.stringify(images)}).limit(8);
      try {
        console.log('cpu ' + (await df.predict(model, { device: 'cpu' }).count()));
        await df.predict(model, { device: 'gpu' }).count();
        console.log('gpu ran');
      } catch (e) { console.log('ERROR ' + e.message); } finally { await q.close(); }
    `);
    const r = await sh('node', ['predict.mjs'], app, 60_000);
    expect(r.out).toContain('cpu 8');
    expect(r.out).toContain('the GPU kernels need the optional package webgpu (Dawn), which is not installed: npm install webgpu');
  }, 60_000);

  it('says to install tsx for a TypeScript job or UDF, then runs both once tsx is installed', async () => {
    const job = join(app, 'job.ts');
    writeFileSync(job, `export default (q: { createDataFrame(rows: object[]): { limit(n: number): unknown } }) => q.createDataFrame([{ a: 1 }]).limit(1);\n`);
    const udf = join(app, 'udf.ts');
    writeFileSync(udf, 'export function same<T>(batch: T): T { return batch; }\n');
    writeFileSync(join(app, 'udf-job.mjs'), `
      import { Quiver } from '${pkgName}';
      const q = await Quiver.local({ workers: 1 });
      try {
        const rows = await q.createDataFrame([{ a: 1 }, { a: 2 }]).mapBatches({ module: ${JSON.stringify(udf)}, export: 'same' }).toArray();
        console.log(JSON.stringify(rows));
      } catch (e) { console.log('ERROR ' + e.message); } finally { await q.close(); }
    `);

    const explainBefore = await sh('npx', ['quiver', 'explain', 'job.ts'], app, 60_000);
    expect(explainBefore.status).toBe(1);
    expect(explainBefore.out).toContain(`quiver: explain: ${job} is TypeScript, which Node ${process.version} cannot import by itself; install tsx beside Quiver (npm install tsx) or compile the module to JavaScript`);
    const udfBefore = await sh('node', ['udf-job.mjs'], app, 60_000);
    expect(udfBefore.out).toContain(`is TypeScript, which Node ${process.version} cannot import by itself; install tsx beside Quiver (npm install tsx)`);
    expect(udfBefore.out).not.toContain('give an absolute path');

    await npmInstall(['tsx@4']);
    const explain = await sh('npx', ['quiver', 'explain', 'job.ts'], app, 60_000);
    expect(explain.status, explain.out).toBe(0);
    expect(explain.out).toMatch(/Limit/);
    const udfRun = await sh('node', ['udf-job.mjs'], app, 60_000);
    expect(udfRun.out.trim().split('\n').at(-1)).toBe('[{"a":1},{"a":2}]');
  }, 240_000);
});
