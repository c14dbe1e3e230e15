// The web UI's page shell and stylesheet: one HTML page; the client script renders every view into it.

/** The page: header, navigation and an empty main that /static/app.js fills from the hash route. */
export function pageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quiver</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header class="top">
  <a class="brand" href="#/">Quiver</a>
  <nav id="nav"></nav>
  <span id="app-name"></span>
  <span id="live" class="pill">connecting</span>
</header>
<main id="main"><p class="muted">Loading...</p></main>
<script src="/static/app.js"></script>
</body>
</html>
`;
}

export const PAGE_CSS = `
:root { --fg: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #ffffff; --soft: #f8fafc; --accent: #2563eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 20px; padding: 10px 24px; background: #0f172a; color: #e2e8f0; }
header.top a { color: #e2e8f0; text-decoration: none; }
header.top .brand { font-weight: 700; font-size: 17px; letter-spacing: 0.3px; }
#nav { display: flex; gap: 14px; flex: 1; }
#nav a { padding: 3px 8px; border-radius: 6px; }
#nav a.active { background: #1e293b; color: #fff; }
#app-name { color: #94a3b8; font-size: 13px; }
.pill { font-size: 12px; padding: 2px 8px; border-radius: 999px; background: #334155; color: #cbd5e1; }
.pill.live { background: #166534; color: #dcfce7; }
main { padding: 18px 24px 48px; max-width: 1400px; }
h1 { font-size: 21px; margin: 4px 0 12px; display: flex; align-items: center; gap: 10px; }
h2 { font-size: 16px; margin: 26px 0 8px; }
a { color: var(--accent); }
.crumbs { color: var(--muted); font-size: 13px; margin-bottom: 4px; }
.crumbs a { color: var(--muted); }
.plan-form { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 8px 0 16px; }
.plan-form label { font-size: 13px; color: var(--muted); }
.plan-form input { margin-left: 4px; }
tr.bottleneck td { font-weight: 600; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--soft); font-weight: 600; color: #334155; position: sticky; top: 0; }
td a { white-space: nowrap; }
#quantiles { width: auto; }
#quantiles td, #quantiles th { padding-right: 28px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:hover td { background: #f1f5f9; }
.badge { display: inline-block; font-size: 12px; padding: 1px 8px; border-radius: 999px; border: 1px solid; font-weight: 500; }
.badge.running { background: #dbeafe; border-color: #2563eb; color: #1d4ed8; }
.badge.succeeded { background: #dcfce7; border-color: #16a34a; color: #166534; }
.badge.failed { background: #fee2e2; border-color: #dc2626; color: #991b1b; }
.badge.pending, .badge.skipped { background: #f1f5f9; border-color: #94a3b8; color: #475569; }
.badge.active { background: #dcfce7; border-color: #16a34a; color: #166534; }
.badge.removed { background: #f1f5f9; border-color: #94a3b8; color: #475569; }
.badge.stopped { background: #f1f5f9; border-color: #94a3b8; color: #475569; }
svg.rates { display: block; background: var(--soft); border-radius: 3px; }
.badge.cpu { background: #f1f5f9; border-color: #64748b; color: #334155; }
.badge.gpu { background: #ede9fe; border-color: #7c3aed; color: #5b21b6; }
.progress { position: relative; width: 180px; height: 16px; background: #f1f5f9; border: 1px solid #cbd5e1; border-radius: 4px; overflow: hidden; }
.progress .done { position: absolute; left: 0; top: 0; bottom: 0; background: #86efac; }
.progress .run { position: absolute; top: 0; bottom: 0; background: #93c5fd; }
.progress .label { position: absolute; inset: 0; text-align: center; font-size: 11px; line-height: 14px; color: #0f172a; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0 0 8px; font-size: 13px; }
dl.summary dt { color: var(--muted); }
dl.summary dd { margin: 0; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; overflow: auto; font-size: 12px; line-height: 1.4; }
pre.error { background: #fef2f2; border-color: #fecaca; color: #991b1b; white-space: pre-wrap; }
details { margin: 6px 0; }
summary { cursor: pointer; font-weight: 600; }
.graph { overflow: auto; border: 1px solid var(--line); border-radius: 8px; padding: 6px; background: #fff; }
.graph svg { display: block; }
.dag-link:hover rect:first-of-type { stroke-width: 2.5; }
ul.placements { padding-left: 18px; }
ul.placements li { margin: 3px 0; }
.empty { color: var(--muted); padding: 18px 0; }
`;
