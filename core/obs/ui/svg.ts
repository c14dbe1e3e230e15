// Small helpers for the UI's server-rendered SVG and HTML: escaping, status colours, number formats.
import type { StageStatus, TaskStatus } from '../state.ts';

/** Text and attribute values MUST go through esc: stage names and errors come from user plans and data. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Fill and stroke per status; the same palette as the page's CSS badges. */
export const STATUS_COLORS: Record<StageStatus | TaskStatus, { fill: string; stroke: string }> = {
  pending: { fill: '#f1f5f9', stroke: '#94a3b8' },
  running: { fill: '#dbeafe', stroke: '#2563eb' },
  succeeded: { fill: '#dcfce7', stroke: '#16a34a' },
  failed: { fill: '#fee2e2', stroke: '#dc2626' },
  skipped: { fill: '#f8fafc', stroke: '#cbd5e1' },
};

export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms - m * 60_000) / 1000)} s`;
}

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Truncates to `n` characters with an ellipsis. */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`;
}
