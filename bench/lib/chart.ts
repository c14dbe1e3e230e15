// renderChart: a vega-lite spec to SVG (vega's headless View) and PNG (resvg), written next to each other.
import { Resvg } from '@resvg/resvg-js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** SVG markup for `spec` (renderer 'none': no canvas package is needed, text widths are estimated). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** PNG bytes of an SVG, on white, at `scale` times its size; text in DejaVu Sans (Debian's default font). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}

/** Writes `${base}.svg` and `${base}.png`; returns their paths. */
export async function renderChart(spec: TopLevelSpec, base: string): Promise<string[]> {
  mkdirSync(dirname(base), { recursive: true });
  const svg = await toSvg(spec);
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(`${base}.png`, svgToPng(svg));
  return [`${base}.svg`, `${base}.png`];
}

/** Panels stacked top to bottom in one chart, with `caption` (machine, date, method) under them. */
export function stackedPanels(panels: object[], caption?: string): TopLevelSpec {
  if (panels.length === 0) panels = [{ title: 'no results', data: { values: [] }, mark: { type: 'text' } }];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: { font: 'DejaVu Sans', view: { stroke: null } },
    ...(caption ? { title: { text: caption, anchor: 'start' as const, fontSize: 11, fontWeight: 'normal' as const, orient: 'bottom' as const } } : {}),
    vconcat: panels,
  } as TopLevelSpec;
}
