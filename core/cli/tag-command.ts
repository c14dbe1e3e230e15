// `quiver tag`: bulk inference from the command line: images in (IDX, Parquet or Arrow), tags out (labelId, label, score), written atomically.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PlanError } from '../../ops/errors.ts';
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

/** The input format from a path's name: IDX (raw or .gz), Parquet, Arrow IPC. */
export function inputFormat(path: string): 'idx' | 'parquet' | 'arrow' {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (/\.parquet$/.test(p)) return 'parquet';
  if (/\.(arrow|arrows|feather|ipc)$/.test(p)) return 'arrow';
  if (/(-ubyte|\.idx\d?|\.idx)$/.test(p) || /idx\d-ubyte/.test(p)) return 'idx';
  throw new PlanError(`tag: cannot tell the format of --input ${path}: name it *.parquet, *.arrow or an IDX file (*-ubyte, *.idx, optionally .gz), or pass --input-format`);
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
    .requiredOption('--model <dir>', 'model directory (model.json + model.safetensors + card)')
    .requiredOption('--input <path>', 'images: IDX files (raw or .gz), Parquet or Arrow with an image column; a glob or directory reads several files')
    .requiredOption('--output <path>', 'file to write: .parquet, .arrow, .csv or .json (lines); written atomically, replacing an existing file')
    .addOption(new Option('--device <device>', "where predict runs: 'auto' calibrates both and keeps the faster").choices(['auto', 'cpu', 'gpu']).default('auto'))
    .addOption(new Option('--input-format <format>', 'input format, when the name does not say').choices(['idx', 'parquet', 'arrow']))
    .option('--input-col <name>', 'column of images (fixed_size_list<uint8>)', 'image')
    .option('--top-k <k>', 'also write the k best classes per image (topIds, topScores)', positiveInt)
    .option('--batch-size <n>', 'images per kernel call', positiveInt)
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--event-log <dir>', 'append the job\'s events to this directory (for `quiver ui --events`)')
    .option('--ui-port <port>', 'web UI port (default 4040, or the next free one)', port)
    .option('--no-ui', 'do not serve the web UI')
    .option('--quiet', 'no progress bars, no web UI address, no summary line')
    .action(async (o: {
      model: string; input: string; output: string; device: 'auto' | 'cpu' | 'gpu'; inputFormat?: 'idx' | 'parquet' | 'arrow'; inputCol: string;
      topK?: number; batchSize?: number; workers?: number; eventLog?: string; uiPort?: number; ui: boolean; quiet?: boolean;
    }) => {
      const format = o.inputFormat ?? inputFormat(o.input);
      const out = outputFormat(o.output);
      // Observability options pass through Quiver.local's options object (see core/obs/attach.ts).
      const options = { workers: o.workers, eventLog: o.eventLog, quiet: o.quiet, ui: o.ui === false ? false : o.uiPort };
      const q = await Quiver.local(options);
      try {
        const model = q.model(o.model);
        let df: DataFrame = format === 'idx' ? q.read.idx(o.input) : format === 'parquet' ? q.read.parquet(o.input) : q.read.arrow(o.input);
        df = df.predict(model, { device: o.device, inputCol: o.inputCol, topK: o.topK, batchSize: o.batchSize });
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
