// Writes Fashion-MNIST's test set as image files for the image reader: `tsx scripts/fmnist-files.ts [--jpeg] [--size 224] [--dir d] [--force] [--bench [--workers 2]]`.
import { parseArgs } from 'node:util';
import { Quiver } from '../core/index.ts';
import { writeFmnistFiles, type FmnistFileFormat, type FmnistFilesResult } from '../examples/lib/fmnist-files.ts';
import { requireFmnist } from '../examples/lib/fmnist.ts';

const { values } = parseArgs({
  options: {
    jpeg: { type: 'boolean', default: false },
    size: { type: 'string', default: '224' },
    quality: { type: 'string', default: '90' },
    dir: { type: 'string' },
    force: { type: 'boolean', default: false },
    // Then times q.read.images(dir).count() (every image decoded) three times per set.
    bench: { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
  },
});
requireFmnist();
// PNGs always (the 28x28 originals); with --jpeg the upscaled JPEGs too.
const formats: FmnistFileFormat[] = values.jpeg ? ['png', 'jpeg'] : ['png'];
const sets: [FmnistFileFormat, FmnistFilesResult][] = [];
for (const format of formats) {
  const r = await writeFmnistFiles({
    format, size: Number(values.size), quality: Number(values.quality), force: values.force,
    dir: formats.length === 1 ? values.dir : undefined,
    onProgress: (done, total) => process.stderr.write(`\r${format}: ${done}/${total}`),
  });
  process.stderr.write('\n');
  console.log(r.written === 0
    ? `${format}: ${r.files.length} files already in ${r.dir} (complete; --force rewrites them)`
    : `${format}: wrote ${r.written} files and labels.csv to ${r.dir} in ${(r.ms / 1000).toFixed(1)} s`);
  sets.push([format, r]);
}
if (values.bench) {
  const workers = Number(values.workers);
  const q = await Quiver.local({ workers, ui: false, quiet: true });
  try {
    for (const [format, r] of sets) {
      const side = format === 'png' ? 28 : Number(values.size);
      const channels = format === 'png' ? 1 : 3;
      const df = q.read.images(r.dir, { size: [side, side], channels });
      for (let run = 1; run <= 3; run++) {
        const t0 = performance.now();
        const n = await df.count();
        const s = (performance.now() - t0) / 1000;
        console.log(`decode ${format} ${side}x${side}x${channels}, ${workers} workers, run ${run}: ${n} images in ${s.toFixed(2)} s = ${Math.round(n / s)} images/s`);
      }
    }
  } finally {
    await q.close();
  }
}
