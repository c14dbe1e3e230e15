// kernelMlpCharts: the kernel benchmark's figure as a vega-lite spec (MLP images/s per contender and batch size; matmul GFLOP/s vs size).
import type { TopLevelSpec } from 'vega-lite';
import { stackedPanels } from './chart.ts';
import type { SweepRow } from './sweep.ts';

export interface MlpPoint {
  contender: string;
  batch: number;
  imagesPerSecond: number;
}

/** Quiver's contenders in blues, the others in warm colours, the same in both panels. */
const COLORS: Record<string, string> = {
  'quiver-cpu': '#1f4e99',
  'quiver-webgpu-f32': '#4a90d9',
  'quiver-webgpu-f16': '#9cc3ee',
  onnxruntime: '#d9622b',
  'tfjs-webgpu': '#e8a33d',
};

/** Both panels, or the one that has data (an empty log-scale panel renders as a broken axis). */
export function kernelMlpCharts(sweep: SweepRow[], mlp: MlpPoint[], caption = ''): TopLevelSpec {
  const names = [...new Set([...mlp.map((p) => p.contender), ...sweep.map((r) => r.backend)])];
  const color = { scale: { domain: names, range: names.map((n) => COLORS[n] ?? '#888888') } };
  // Square matmuls only (the MLP's layer shapes are in the table): one line per backend.
  const matmul = sweep.filter((r) => r.kernel === 'matmul' && r.shape.endsWith('^3') && Number.isFinite(r.rate));
  const panels = [];
  if (mlp.length > 0) {
    panels.push({
      title: 'Fashion-MNIST MLP 784-300-100-10: images/s (higher is better)',
      width: 520, height: 260,
      data: { values: mlp },
      mark: { type: 'bar' as const },
      encoding: {
        x: { field: 'batch', type: 'ordinal' as const, title: 'batch size', axis: { labelAngle: 0 } },
        xOffset: { field: 'contender', type: 'nominal' as const, sort: names },
        // No stacking: stacked bars start at 0, which a log scale cannot draw.
        y: { field: 'imagesPerSecond', type: 'quantitative' as const, title: 'images/s (log)', scale: { type: 'log' as const }, stack: null },
        color: { field: 'contender', type: 'nominal' as const, title: 'contender', ...color },
        tooltip: [{ field: 'contender' }, { field: 'batch' }, { field: 'imagesPerSecond', format: ',.0f' }],
      },
    });
  }
  if (matmul.length > 0) {
    panels.push({
      title: 'matmul (n x n x n): GFLOP/s by size',
      width: 520, height: 220,
      data: { values: matmul },
      mark: { type: 'line' as const, point: true },
      encoding: {
        x: { field: 'size', type: 'quantitative' as const, title: 'n', scale: { type: 'log' as const, base: 2 }, axis: { values: [...new Set(matmul.map((r) => r.size))] } },
        y: { field: 'rate', type: 'quantitative' as const, title: 'GFLOP/s (log)', scale: { type: 'log' as const } },
        color: { field: 'backend', type: 'nominal' as const, title: 'backend', ...color },
      },
    });
  }
  return stackedPanels(panels, caption);
}
