import { ScanExec } from '../../ops/scan-exec.ts';
import { inferSchema, planSplits } from '../../ops/sources/index.ts';
import { testContext } from './helpers.ts';
import { statSync } from 'node:fs';
const path = process.argv[2];
const size = statSync(path).size;
const source = { format: 'text' as const, paths: [path], options: {} };
const fileSchema = await inferSchema(source);
const splits = await planSplits(source, Number(process.argv[3] ?? 1e12));
const exec = new ScanExec({ format: 'text', splits, options: {}, fileSchema, projection: null, filters: [], limit: null });
for (let k = 0; k < 3; k++) {
  const t0 = performance.now(); let rows = 0, bytes = 0;
  for (let p = 0; p < splits.length; p++) {
    const ctx = await testContext({ partition: p });
    for await (const b of exec.execute(p, ctx)) { rows += b.numRows; bytes += (b.data.children[0].values as Uint8Array).length; }
  }
  const dt = (performance.now() - t0) / 1000;
  console.log(`rows=${rows} splits=${splits.length} ${dt.toFixed(2)}s ${(size / 1e6 / dt).toFixed(0)} MB/s`);
}
