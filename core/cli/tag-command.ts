// `quiver tag`: bulk inference from the command line: images in (image files, IDX, Parquet or Arrow), tags out (labelId, label, score), written atomically.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { PlanError } from '../../ops/errors.ts';
import { isImageFile } from '../../ops/sources/images.ts';
import { Quiver } from '../api/quiver.ts';
import type { DataFrame } from '../api/dataframe.ts';
import type { WriteFormat } from '../api/writer.ts';

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port from 0 to 65535 (0: any free port)');
  return n;
};

/** The input format from a path's name: image files (or a directory of them), IDX (raw or .gz), Parquet, Arrow IPC. */
export function inputFormat(path: string): 'images' | 'idx' | 'parquet' | 'arrow' {
  // photos/*.jpg, a.png, photos/*.{jpg,png}
  if (isImageFile(path) || /\.\{[^}]*\b(jpe?g|png|webp)\b[^}]*\}$/i.test(path)) return 'images';
  if (existsSync(path) && statSync(path).isDirectory()) return 'images';
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (/\.parquet$/.test(p)) return 'parquet';
  if (/\.(arrow|arrows|feather|ipc)$/.test(p)) return 'arrow';
  if (/(-ubyte|\.idx\d?|\.idx)$/.test(p) || /idx\d-ubyte/.test(p)) return 'idx';
  throw new PlanError(`tag: cannot tell the format of --input ${path}: give image files (*.jpg, *.png, *.webp) or a directory of them, *.parquet, *.arrow or an IDX file (*-ubyte, *.idx, optionally .gz), or pass --input-format`);
}

/** The output format from a path's name. */
export function outputFormat(path: string): WriteFormat {
  const m = /\.(parquet|arrow|csv|json|jsonl)$/i.exec(path);
  if (!m) throw new PlanError(`tag: cannot tell the format of --output ${path}: name it *.parquet, *.arrow, *.csv or *.json`);
  const ext = m[1].toLowerCase();
  return ext === 'jsonl' ? 'json' : (ext as WriteFormat);
}

export function addTagCommand(p: Command): void {
  p.command('tag')
    .summary('tag images with a model: --model DIR --input PATH --output PATH [--device]')
    .description('tag images with a model: read --input, run predict, write --output (the input columns but the images, and labelId, label, score)')
    .requiredOption('--model <path>', 'a model: an ONNX file (model.onnx) or directory (model.onnx + card.json), or a Quiver MLP directory (model.json + model.safetensors + card)')
    .requiredOption('--input <path>', "images: image files (JPEG, PNG, WebP; a glob such as 'photos/*.jpg', or a directory), IDX files (raw or .gz), Parquet or Arrow with an image column")
    .requiredOption('--output <path>', 'file to write: .parquet, .arrow, .csv or .json (lines); written atomically, replacing an existing file')
    .addOption(new Option('--device <device>', "where predict runs: 'auto' calibrates both and keeps the faster").choices(['auto', 'cpu', 'gpu']).default('auto'))
    .addOption(new Option('--backend <backend>', 'force a backend (default: chosen by --device and calibration)').choices(['wasm', 'onnxruntime', 'webgpu']))
    .addOption(new Option('--input-format <format>', 'input format, when the name does not say').choices(['images', 'idx', 'parquet', 'arrow']))
    .addOption(new Option('--fit <fit>', 'images: how a picture is fitted to the model\'s size').choices(['cover', 'contain', 'fill']).default('cover'))
    .addOption(new Option('--mode <mode>', 'images: a bad image fails the job, or is skipped (permissive quarantines it under --bad-records)').choices(['failfast', 'permissive', 'dropMalformed']).default('failfast'))
    .option('--bad-records <dir>', 'images, permissive mode: where bad images are listed with the reason')
    .option('--input-col <name>', 'column of images (fixed_size_list<uint8>)', 'image')
    .option('--top-k <k>', 'also write the k best classes per image (topIds, topScores)', positiveInt)
    .option('--batch-size <n>', 'images per kernel call', positiveInt)
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--event-log <dir>', 'append the job\'s events to this directory (for `quiver ui --events`)')
    .option('--ui-port <port>', 'web UI port (default 4040, or the next free one)', port)
    .option('--no-ui', 'do not serve the web UI')
    .option('--quiet', 'no progress bars, no web UI address, no summary line')
    .action(async (o: {
      model: string; input: string; output: string; device: 'auto' | 'cpu' | 'gpu'; backend?: 'wasm' | 'onnxruntime' | 'webgpu'; inputFormat?: 'images' | 'idx' | 'parquet' | 'arrow'; inputCol: string;
      fit: 'cover' | 'contain' | 'fill'; mode: 'failfast' | 'permissive' | 'dropMalformed'; badRecords?: string;
      topK?: number; batchSize?: number; workers?: number; eventLog?: string; uiPort?: number; ui: boolean; quiet?: boolean;
    }) => {
      const format = o.inputFormat ?? inputFormat(o.input);
      const out = outputFormat(o.output);
      // Observability options pass through Quiver.local's options object (see core/obs/attach.ts).
      const options = { workers: o.workers, eventLog: o.eventLog, quiet: o.quiet, ui: o.ui === false ? false : o.uiPort };
      const q = await Quiver.local(options);
      try {
        const model = q.model(o.model);
        let df: DataFrame;
        if (format === 'images') {
          const size = model.input;
          if (!size) throw new PlanError(`tag: model '${model.name}' takes flat vectors (an MLP), not pictures; give it IDX, Parquet or Arrow input, or use an ONNX model`);
          df = q.read.images(o.input, { size: [size.height, size.width], channels: size.channels === 1 ? 1 : 3, fit: o.fit, mode: o.mode, ...(o.badRecords ? { badRecordsPath: o.badRecords } : {}) });
        } else df = format === 'idx' ? q.read.idx(o.input) : format === 'parquet' ? q.read.parquet(o.input) : q.read.arrow(o.input);
        df = df.predict(model, { device: o.device, inputCol: o.inputCol, topK: o.topK, batchSize: o.batchSize, ...(o.backend ? { backend: o.backend } : {}) });
        const keep = df.columns.filter((c) => c !== o.inputCol);
        const t0 = performance.now();
        const n = await df.select(...keep).write.mode('overwrite').save(out, o.output);
        const s = (performance.now() - t0) / 1000;
        if (!o.quiet) console.log(`tagged ${n.toLocaleString('en-US')} images in ${s.toFixed(2)} s (${Math.round(n / Math.max(s, 1e-9)).toLocaleString('en-US')} images/s) with ${model.name} -> ${o.output}`);
      } finally {
        await q.close();
      }
    });
}
