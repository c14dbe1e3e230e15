// The chart of bench/photos.ts: one panel per section, images/s per contender (each panel on its own scale).
import { renderChart, stackedPanels } from './chart.ts';

type Row = Record<string, string | number>;

function panel(title: string, values: { bar: string; imgPerS: number }[]): object {
  return {
    title: { text: title, anchor: 'start', fontSize: 12 },
    width: 520, height: { step: 20 },
    data: { values: values.filter((v) => Number.isFinite(v.imgPerS)) },
    mark: { type: 'bar', color: '#1f4e99' },
    encoding: {
      y: { field: 'bar', type: 'nominal', title: null, sort: null, axis: { labelLimit: 360 } },
      x: { field: 'imgPerS', type: 'quantitative', title: 'images/s (higher is better)' },
    },
  };
}

/** Writes `${base}.svg` and `${base}.png` from the results JSON of bench/photos.ts. */
export async function photosChart(results: Record<string, unknown>, base: string, caption: string): Promise<string[]> {
  const panels: object[] = [];
  const inference = (results.inference ?? []) as Row[];
  for (const model of [...new Set(inference.map((r) => r.model as string))]) {
    panels.push(panel(`1. Inference alone, CPU, 2 threads: ${model}`, inference.filter((r) => r.model === model).map((r) => ({ bar: r.contender as string, imgPerS: r.img_s as number }))));
  }
  const gpu = ((results.webgpu as { rows?: Row[] } | undefined)?.rows ?? []);
  if (gpu.length) panels.push(panel('2. WebGPU (lavapipe here): fmnist-cnn, same batch', gpu.map((r) => ({ bar: r.contender as string, imgPerS: r.img_s as number }))));
  const e2e = (results.endToEnd ?? []) as Row[];
  for (const model of [...new Set(e2e.map((r) => r.model as string))]) {
    panels.push(panel(`3. End to end: ${model}`, e2e.filter((r) => r.model === model).map((r) => ({ bar: r.contender as string, imgPerS: r.img_s as number }))));
  }
  const png = ((results.fmnistPng as { rows?: Row[] } | undefined)?.rows ?? []);
  if (png.length) panels.push(panel('4. Fashion-MNIST CNN from PNG files, end to end, per backend', png.map((r) => ({ bar: r.backend as string, imgPerS: r.img_s as number }))));
  const rss = results.peakRss as { maxRssMB?: number; images?: number } | undefined;
  const rssNote = rss?.maxRssMB ? `; peak RSS tagging ${rss.images?.toLocaleString()} images: ${Math.round(rss.maxRssMB)} MB` : '';
  return renderChart(stackedPanels(panels, `${caption}${rssNote}`), base);
}
