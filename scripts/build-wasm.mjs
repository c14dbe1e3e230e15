// Assembles every WebAssembly text file (*.wat) under ops/ and gpu-kernels/ into a .wasm beside
// it, with wabt (SIMD128 and bulk memory on). Skips files whose .wasm is newer than the .wat.
//   node scripts/build-wasm.mjs            # assemble in place
//   node scripts/build-wasm.mjs --copy dist # also copy each .wasm to the same path under dist/
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const copyTo = process.argv.includes('--copy') ? process.argv[process.argv.indexOf('--copy') + 1] : null;
const force = process.argv.includes('--force');

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.name.endsWith('.wat')) yield p;
  }
}

let wabt = null;
let built = 0;
for (const top of ['ops', 'gpu-kernels']) {
  for (const wat of walk(join(root, top))) {
    const out = wat.replace(/\.wat$/, '.wasm');
    const rel = relative(root, wat);
    if (force || !existsSync(out) || statSync(out).mtimeMs < statSync(wat).mtimeMs) {
      wabt ??= await wabtInit();
      let mod;
      try {
        mod = wabt.parseWat(rel, readFileSync(wat, 'utf8'), { simd: true, bulk_memory: true, mutable_globals: true, sign_extension: true, sat_float_to_int: true });
        mod.resolveNames();
        mod.validate();
      } catch (e) {
        console.error(`build-wasm: ${rel} does not assemble:\n${e.message}`);
        process.exit(1);
      }
      writeFileSync(out, mod.toBinary({}).buffer);
      mod.destroy();
      built++;
    }
    if (copyTo) {
      const dst = join(root, copyTo, relative(root, out));
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(out, dst);
    }
  }
}
if (built) console.log(`build-wasm: assembled ${built} module(s)`);
