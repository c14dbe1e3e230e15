// Writes Fashion-MNIST's test set as image files for the image reader: `tsx scripts/fmnist-files.ts [--jpeg] [--size 224] [--dir d] [--force]`.
import { parseArgs } from 'node:util';
import { writeFmnistFiles, type FmnistFileFormat } from '../examples/lib/fmnist-files.ts';
import { requireFmnist } from '../examples/lib/fmnist.ts';

const { values } = parseArgs({
  options: {
    jpeg: { type: 'boolean', default: false },
    size: { type: 'string', default: '224' },
    quality: { type: 'string', default: '90' },
    dir: { type: 'string' },
    force: { type: 'boolean', default: false },
  },
});
requireFmnist();
// PNGs always (the 28x28 originals); with --jpeg the upscaled JPEGs too.
const formats: FmnistFileFormat[] = values.jpeg ? ['png', 'jpeg'] : ['png'];
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
}
