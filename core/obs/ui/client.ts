// The web UI's browser script (served as /static/app.js): hash routes for jobs, a job (DAG, stages, plans), a stage (timeline, tasks), streaming queries, trainings, the capacity plan, storage (cached DataFrames) and executors, re-rendered on server-sent change events.
// Plain ES2017 in a string: no build step, no framework. DOM is built with h(), which sets text
// (never HTML) so names and errors from plans cannot inject markup; the only HTML inserted is
// the server's own SVG, whose texts it escapes.

export const CLIENT_JS = String.raw`(function () {
'use strict';
var main = document.getElementById('main');
var navEl = document.getElementById('nav');
var liveEl = document.getElementById('live');
var appNameEl = document.getElementById('app-name');
var openDetails = {};
var renderQueued = false, rendering = false, again = false, hasRunning = false, streamOk = false, shownApp = null, anyLive = false;

function h(tag, attrs) {
  var el = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v; else if (k === 'text') el.textContent = v; else el.setAttribute(k, v);
  }
  for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
  return el;
}
function add(el, c) {
  if (c === null || c === undefined || c === false) return;
  if (Array.isArray(c)) { c.forEach(function (x) { add(el, x); }); return; }
  el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
}
function get(path) {
  return fetch(path, { cache: 'no-store' }).then(function (r) {
    if (!r.ok) return r.json().then(function (b) { throw new Error(b.error || r.statusText); }, function () { throw new Error(r.statusText); });
    return r.json();
  });
}
function getText(path) { return fetch(path, { cache: 'no-store' }).then(function (r) { return r.text(); }); }

// Decode and inference of a photo-tagging stage run at once: each half's own rate (time summed over tasks, or the inference thread's).
function pipelineText(p) {
  if (!p || (!p.decoded && !p.inferred)) return '';
  var rate = function (n, ms) { return ms > 0 ? fmtCount(Math.round(n / (ms / 1000))) + ' images/s' : 'n/a'; };
  var parts = [];
  if (p.decoded) parts.push('decode ' + fmtCount(p.decoded) + ' images, ' + rate(p.decoded, p.decodeMs) + ' per task slot');
  if (p.inferred) parts.push('inference ' + fmtCount(p.inferred) + ' images, ' + rate(p.inferred, p.inferMs) + (p.inferenceThread ? ' in the inference thread' : ' per task slot'));
  return parts.join('; ');
}

function fmtMs(ms) {
  if (ms === null || ms === undefined || !isFinite(ms)) return '';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
  var m = Math.floor(ms / 60000);
  return m + ' min ' + Math.round((ms - m * 60000) / 1000) + ' s';
}
function fmtCount(n) { return n === null || n === undefined ? '' : Math.round(n).toLocaleString('en-US'); }
function fmtBytes(n) {
  if (n === null || n === undefined) return '';
  var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + u[i];
}
function fmtTime(ts) { if (!ts) return ''; var d = new Date(ts); return d.toLocaleDateString() + ' ' + d.toLocaleTimeString(); }
function badge(s) { return h('span', { class: 'badge ' + s, text: s }); }
function num(v) { return h('td', { class: 'num' }, v); }
function progress(done, running, total) {
  var t = Math.max(1, total);
  return h('div', { class: 'progress', title: done + ' done, ' + running + ' running, ' + total + ' tasks' },
    h('div', { class: 'done', style: 'width:' + (100 * done / t) + '%' }),
    h('div', { class: 'run', style: 'left:' + (100 * done / t) + '%;width:' + (100 * Math.min(running, total - done) / t) + '%' }),
    h('div', { class: 'label', text: done + (running ? ' (+' + running + ')' : '') + ' / ' + total }));
}
function table(id, heads, rows) {
  return h('table', { id: id },
    h('thead', null, h('tr', null, heads.map(function (x) { return h('th', { class: x.charAt(0) === '#' ? 'num' : null, text: x.replace(/^#/, '') }); }))),
    h('tbody', null, rows));
}
function dl(pairs) {
  return h('dl', { class: 'summary' }, pairs.filter(function (p) { return p[1] !== '' && p[1] !== null && p[1] !== undefined; })
    .map(function (p) { return [h('dt', { text: p[0] }), h('dd', null, p[1])]; }));
}
function details(id, title, body) {
  var d = h('details', { id: id }, h('summary', { text: title }), body);
  if (openDetails[id] !== false) d.open = true;
  d.addEventListener('toggle', function () { openDetails[id] = d.open; });
  return d;
}
function svgBox(id, svg) { var d = h('div', { id: id, class: 'graph' }); d.innerHTML = svg; return d; }
function crumbs(parts) {
  var out = [];
  parts.forEach(function (p, i) { if (i) out.push(' / '); out.push(p[1] ? h('a', { href: p[1], text: p[0] }) : p[0]); });
  return h('div', { class: 'crumbs' }, out);
}
function elapsed(start, end, now) { return end ? end - start : now - start; }

// A hand-typed hash with a bad %-escape is taken as written rather than blanking the page.
function decode(s) { try { return decodeURIComponent(s); } catch (e) { return s; } }
function route() {
  var hash = location.hash.replace(/^#\/?/, '');
  var q = hash.indexOf('?');
  var query = q >= 0 ? hash.slice(q + 1) : '';
  var p = (q >= 0 ? hash.slice(0, q) : hash).split('/').filter(Boolean).map(decode);
  if (p[0] !== 'apps' || !p[1]) return { page: 'root' };
  var r = { app: p[1], base: '#/apps/' + encodeURIComponent(p[1]) };
  if (p[2] === 'executors') r.page = 'executors';
  else if (p[2] === 'streaming') r.page = 'streaming';
  else if (p[2] === 'training') r.page = 'training';
  else if (p[2] === 'storage') r.page = 'storage';
  else if (p[2] === 'plan') { r.page = 'plan'; r.query = query; }
  else if (p[2] === 'jobs' && p[3] !== undefined && p[4] === 'stages' && p[5] !== undefined) { r.page = 'stage'; r.job = p[3]; r.stage = p[5]; }
  else if (p[2] === 'jobs' && p[3] !== undefined) { r.page = 'job'; r.job = p[3]; }
  else r.page = 'jobs';
  return r;
}

function setNav(r, apps) {
  navEl.textContent = '';
  if (r.base) {
    navEl.appendChild(h('a', { href: r.base + '/jobs', class: r.page === 'executors' || r.page === 'storage' || r.page === 'streaming' || r.page === 'training' || r.page === 'plan' ? null : 'active', text: 'Jobs' }));
    navEl.appendChild(h('a', { href: r.base + '/streaming', class: r.page === 'streaming' ? 'active' : null, text: 'Streaming' }));
    navEl.appendChild(h('a', { href: r.base + '/training', class: r.page === 'training' ? 'active' : null, text: 'Training' }));
    navEl.appendChild(h('a', { href: r.base + '/plan', class: r.page === 'plan' ? 'active' : null, text: 'Plan' }));
    navEl.appendChild(h('a', { href: r.base + '/storage', class: r.page === 'storage' ? 'active' : null, text: 'Storage' }));
    navEl.appendChild(h('a', { href: r.base + '/executors', class: r.page === 'executors' ? 'active' : null, text: 'Executors' }));
  }
  if (apps.length > 1) navEl.appendChild(h('a', { href: '#/', class: r.page === 'root' ? 'active' : null, text: 'Applications' }));
  navEl.appendChild(h('a', { href: '/metrics', text: 'Metrics' }));
  shownApp = apps.filter(function (a) { return a.id === r.app; })[0] || null;
  anyLive = apps.some(function (a) { return a.live; });
  appNameEl.textContent = shownApp ? shownApp.name : '';
  pill();
}
function pill() {
  var history = shownApp ? !shownApp.live : !anyLive;
  liveEl.textContent = history ? 'history' : streamOk ? 'live' : 'not live';
  liveEl.className = 'pill' + (!history && streamOk ? ' live' : '');
}

function appsPage(apps) {
  return [h('h1', { text: 'Applications' }), apps.length === 0 ? h('p', { class: 'empty', text: 'No event logs found.' }) :
    table('apps-table', ['Application', '#Jobs', '#Running', '#Failed', 'Started', 'Last event'], apps.map(function (a) {
      return h('tr', null, h('td', null, h('a', { href: '#/apps/' + encodeURIComponent(a.id) + '/jobs', text: a.name })),
        num(a.jobs), num(a.running), num(a.failed), h('td', { text: fmtTime(a.first) }), h('td', { text: fmtTime(a.last) }));
    }))];
}

function jobsPage(r, d) {
  var running = d.jobs.filter(function (j) { return j.status === 'running'; }).length;
  hasRunning = running > 0;
  var rows = d.jobs.map(function (j) {
    return h('tr', { 'data-job-id': j.jobId, 'data-status': j.status },
      h('td', null, h('a', { href: r.base + '/jobs/' + j.jobId, text: 'Job ' + j.jobId })),
      h('td', { text: j.description, title: j.error || j.description }),
      h('td', null, badge(j.status), j.devices.map(function (x) { return [' ', badge(x)]; })),
      h('td', { text: fmtTime(j.start) }),
      num(fmtMs(elapsed(j.start, j.end, d.now))),
      num(j.stages.succeeded + '/' + j.stages.total),
      h('td', null, progress(j.tasks.done, j.tasks.running, j.tasks.total)),
      num(fmtCount(j.rows)));
  });
  return [h('h1', { text: 'Jobs' }),
    h('p', { class: 'muted', text: d.jobs.length + ' job' + (d.jobs.length === 1 ? '' : 's') + (running ? ', ' + running + ' running' : '') }),
    d.jobs.length ? table('jobs-table', ['Job', 'Description', 'Status', 'Submitted', '#Duration', '#Stages', 'Tasks', '#Rows'], rows)
      : h('p', { class: 'empty', text: 'No jobs yet: run an action (collect, count, show, write) and it appears here.' })];
}

function jobPage(r, d, svg) {
  var j = d.job;
  hasRunning = j.status === 'running';
  var stageRows = j.stageList.map(function (s) {
    return h('tr', { 'data-stage': s.stageId, 'data-status': s.status },
      h('td', null, h('a', { href: r.base + '/jobs/' + j.jobId + '/stages/' + s.stageId, text: 'Stage ' + s.stageId })),
      h('td', { text: s.operators ? s.name : '' }), h('td', null, badge(s.status)),
      h('td', null, progress(s.done, s.running, s.partitions)),
      num(fmtCount(s.rows)), num(fmtBytes(s.bytes || null)),
      num(s.start ? fmtMs(elapsed(s.start, s.end, d.now)) : ''), num(fmtMs(s.taskMs)), num(s.failedAttempts || ''),
      h('td', null, s.placements.map(function (p) { return badge(p.device); })));
  });
  var fellBack = j.stageList.filter(function (s) { return s.gpuFallbacks > 0; });
  var place = j.placements.length ? h('ul', { class: 'placements', id: 'placements' }, j.placements.map(function (p) {
    return h('li', null, badge(p.device), ' Stage ' + p.stageId + ', ' + p.operator + ': ' + p.reason);
  }).concat(fellBack.map(function (s) {
    return h('li', { class: 'error', 'data-fallback': s.stageId }, badge('cpu'), ' Stage ' + s.stageId + ': the GPU failed in ' + s.gpuFallbacks + ' task' + (s.gpuFallbacks === 1 ? '' : 's') + ', which ran on the CPU instead');
  }))) : h('p', { class: 'muted', id: 'placements', text: j.plan ? 'No predict stage: every operator runs on the CPU.' : 'No placement was recorded for this job.' });
  var plans = j.plan ? [
    details('plan-logical', 'Logical plan', h('pre', { text: j.plan.logical })),
    details('plan-optimized', 'Optimized logical plan', h('pre', { text: j.plan.optimized })),
    details('plan-physical', 'Physical plan (stages)', h('pre', { text: j.plan.physical }))]
    : h('p', { class: 'muted', text: 'No plans were recorded for this job.' });
  return [crumbs([['Jobs', r.base + '/jobs'], ['Job ' + j.jobId]]),
    h('h1', null, 'Job ' + j.jobId, badge(j.status)),
    dl([['Submitted', fmtTime(j.start)], ['Duration', fmtMs(elapsed(j.start, j.end, d.now))],
      ['Tasks', j.tasks.done + ' of ' + j.tasks.total + ' done' + (j.tasks.running ? ', ' + j.tasks.running + ' running' : '') + (j.queued ? ', ' + j.queued + ' queued' : '')],
      ['Failed attempts', j.tasks.failedAttempts || ''], ['Rows out', fmtCount(j.rows)], ['Description', j.description]]),
    j.error ? h('pre', { class: 'error', text: j.error }) : null,
    h('h2', { text: 'Stage DAG' }), svgBox('dag', svg),
    h('h2', { text: 'Stages' }),
    table('stages-table', ['Stage', 'Operators', 'Status', 'Tasks', '#Rows', '#Bytes', '#Duration', '#Task time', '#Failed', 'Device'], stageRows),
    h('h2', { text: 'CPU/GPU placement' }), place,
    h('h2', { text: 'Plans' }), plans];
}

function stagePage(r, d, svg) {
  var s = d.stage;
  hasRunning = s.status === 'running' || s.status === 'pending';
  var t0 = s.start || (s.attempts[0] && s.attempts[0].start) || 0;
  var rows = s.attempts.map(function (a) {
    return h('tr', { 'data-partition': a.partition, 'data-status': a.status },
      num(a.partition), num(a.attempt + (a.speculative ? ' (speculative)' : '')), h('td', { text: a.executor }), h('td', { text: a.locality || '' }),
      h('td', null, badge(a.status)), num('+' + fmtMs(a.start - t0)),
      num(a.durationMs === null ? fmtMs(d.now - a.start) + '...' : fmtMs(a.durationMs)),
      num(a.status === 'succeeded' ? fmtCount(a.rows) : ''), num(fmtBytes(a.bytes)), h('td', { text: a.error || '' }));
  });
  var q = s.quantiles;
  return [crumbs([['Jobs', r.base + '/jobs'], ['Job ' + s.jobId, r.base + '/jobs/' + s.jobId], ['Stage ' + s.stageId]]),
    h('h1', null, 'Stage ' + s.stageId + ' of job ' + s.jobId, badge(s.status)),
    dl([['Operators', s.operators ? s.name : ''], ['Tasks', s.done + ' of ' + s.partitions + ' done' + (s.running ? ', ' + s.running + ' running' : '') + (s.coalescedFrom ? ' (' + s.coalescedFrom + ' shuffle partitions coalesced into ' + s.partitions + ')' : '')
        + (s.broadcastJoin ? ' (join run as a broadcast of ' + fmtBytes(s.broadcastJoin.buildBytes) + ', in place of stage ' + s.broadcastJoin.probeStage + "'s shuffle)" : '')
        + (s.keyFilter ? ' (rows filtered by the keys of stage ' + s.keyFilter.buildStage + ', ' + fmtCount(s.keyFilter.buildRows) + ' rows, before the shuffle)' : '')
        + (s.sortInOneTask ? ' (sort input of ' + fmtBytes(s.sortInOneTask.inputBytes) + ' sent to one partition; key sample stage ' + s.sortInOneTask.sampleStage + ' skipped)' : '')],
      ['Attempts', s.attemptCount + (s.failedAttempts ? ' (' + s.failedAttempts + ' failed)' : '')],
      ['Ignored results', s.ignoredResults || ''], ['Rows out', fmtCount(s.rows)], ['Bytes out', fmtBytes(s.bytes || null)],
      ['Duration', s.start ? fmtMs(elapsed(s.start, s.end, d.now)) : ''], ['Task time', fmtMs(s.taskMs)], ['Output', s.output],
      ['Parents', s.parents.length ? s.parents.map(function (p) { return [h('a', { href: r.base + '/jobs/' + s.jobId + '/stages/' + p, text: 'Stage ' + p }), ' ']; }) : ''],
      ['Placement', s.placements.length ? s.placements.map(function (p) { return [badge(p.device), ' ' + p.operator + ': ' + p.reason + ' ']; }) : ''],
      ['Pipeline', pipelineText(s.pipeline)],
      ['GPU fallbacks', s.gpuFallbacks ? s.gpuFallbacks + ' task' + (s.gpuFallbacks === 1 ? '' : 's') + ' ran on the CPU because the GPU failed' : ''],
      ['Lost output', s.lost.length ? s.lost.map(function (l) { return 'partitions ' + l.partitions.join(', ') + ' with ' + l.executor + '; '; }) : '']]),
    s.operators ? [h('h2', { text: 'Operators' }), h('pre', { id: 'operators', text: s.operators })] : null,
    h('h2', { text: 'Task durations' }),
    q ? table('quantiles', ['Min', '25th percentile', 'Median', '75th percentile', 'Max'], [h('tr', null, q.map(function (x) { return h('td', { text: fmtMs(x) }); }))])
      : h('p', { class: 'muted', text: 'No task has finished yet.' }),
    h('h2', { text: 'Timeline' }), svgBox('timeline', svg),
    h('h2', { text: 'Tasks (' + s.attempts.length + ' attempts)' }),
    table('tasks-table', ['#Partition', '#Attempt', 'Executor', 'Locality', 'Status', '#Start', '#Duration', '#Rows', '#Bytes', 'Error'], rows)];
}

function executorsPage(r, d) {
  hasRunning = d.executors.some(function (x) { return x.running > 0; });
  var rows = d.executors.map(function (x) {
    return h('tr', { 'data-executor': x.id, 'data-status': x.status },
      h('td', { text: x.id }), h('td', { text: x.name }), h('td', { text: x.host || '' }), h('td', null, badge(x.status)),
      num(x.workers === null ? '' : x.workers), num(x.running), num(x.succeeded), num(x.failed), num(fmtMs(x.taskMs)),
      num(fmtCount(x.rows)), num(fmtBytes(x.bytes || null)), num(fmtBytes(x.rssBytes)), h('td', { text: x.gpu || '' }),
      h('td', { text: fmtTime(x.added) }), h('td', { text: x.removed ? fmtTime(x.removed) + ' (' + x.removedReason + ')' : '' }));
  });
  return [h('h1', { text: 'Executors' }),
    d.executors.length ? table('executors-table', ['Executor', 'Name', 'Host', 'Status', '#Slots', '#Busy', '#Done', '#Failed', '#Task time', '#Rows', '#Bytes', '#Memory', 'GPU', 'Added', 'Removed'], rows)
      : h('p', { class: 'empty', text: 'No executor has run a task yet.' })];
}

// A rate history: input rows/s (grey) and processed rows/s (blue) of the last batches, on one scale.
function sparkline(recent) {
  var NS = 'http://www.w3.org/2000/svg', W = 140, H = 28;
  var svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', H); svg.setAttribute('class', 'rates');
  svg.setAttribute('data-points', recent.length);
  var max = 0;
  recent.forEach(function (b) { max = Math.max(max, b.inputRowsPerSecond || 0, b.processedRowsPerSecond || 0); });
  [['inputRowsPerSecond', '#94a3b8'], ['processedRowsPerSecond', '#2563eb']].forEach(function (k) {
    var pts = [];
    recent.forEach(function (b, i) {
      var v = b[k[0]];
      if (v === null || v === undefined) return;
      var x = recent.length === 1 ? W / 2 : 2 + (i * (W - 4)) / (recent.length - 1);
      pts.push(x.toFixed(1) + ',' + (H - 2 - (max > 0 ? (v / max) * (H - 4) : 0)).toFixed(1));
    });
    var line = document.createElementNS(NS, 'polyline');
    line.setAttribute('points', pts.join(' ')); line.setAttribute('fill', 'none'); line.setAttribute('stroke', k[1]); line.setAttribute('stroke-width', '1.5');
    line.setAttribute('data-series', k[0]);
    svg.appendChild(line);
  });
  var t = document.createElementNS(NS, 'title');
  t.textContent = 'input and processed rows/s of the last ' + recent.length + ' batches (max ' + fmtCount(max) + ' rows/s)';
  svg.appendChild(t);
  return svg;
}
function fmtRate(v) { return v === null || v === undefined ? '' : fmtCount(v); }

function streamingPage(r, d) {
  var active = d.streams.filter(function (x) { return x.status === 'active'; });
  hasRunning = active.length > 0;
  function rows(list) {
    return list.map(function (x) {
      var b = x.last || {};
      return h('tr', { 'data-query-id': x.id, 'data-run-id': x.runId, 'data-status': x.status },
        h('td', { text: x.name || '', title: x.sources.join(', ') + ' -> ' + x.sink }), h('td', { text: x.id.slice(0, 8), title: 'id ' + x.id + ', run ' + x.runId }),
        h('td', null, badge(x.status)), h('td', { text: fmtTime(x.start) }), num(fmtMs(elapsed(x.start, x.end, d.now))),
        num(x.last ? b.batchId : ''), num(fmtRate(b.inputRowsPerSecond)), num(fmtRate(b.processedRowsPerSecond)),
        num(x.last ? fmtMs(b.durationMs) : ''), h('td', { text: b.watermarkMs ? new Date(b.watermarkMs).toISOString().replace('T', ' ').replace('Z', '') : '' }),
        num(b.stateRows === null || b.stateRows === undefined ? '' : fmtCount(b.stateRows)), num(fmtCount(x.inputRows)), num(fmtCount(x.lateRows || 0)),
        h('td', null, sparkline(x.recent)), h('td', { text: x.sink }), h('td', { text: x.error || '' }));
    });
  }
  var heads = ['Name', 'Id', 'Status', 'Started', '#Duration', '#Last batch', '#Input rows/s', '#Processed rows/s', '#Batch duration', 'Watermark', '#State rows', '#Input rows', '#Late rows dropped', 'Rates', 'Sink', 'Error'];
  var done = d.streams.filter(function (x) { return x.status !== 'active'; });
  return [h('h1', { text: 'Streaming queries' }),
    h('p', { class: 'muted', text: active.length + ' active, ' + done.length + ' finished' }),
    h('h2', { text: 'Active' }),
    active.length ? table('streams-active', heads, rows(active)) : h('p', { class: 'empty', text: 'No streaming query is running (df.writeStream...start() runs one).' }),
    h('h2', { text: 'Finished' }),
    done.length ? table('streams-finished', heads, rows(done)) : h('p', { class: 'empty', text: 'No streaming query has ended yet.' })];
}

// "0:812 1:120 2:8": steps started with each staleness.
function stalenessText(hist) {
  var keys = Object.keys(hist || {}).map(Number).sort(function (a, b) { return a - b; });
  return keys.length ? keys.map(function (k) { return k + ':' + hist[k]; }).join(' ') : '';
}
function pct(x) { return x === null || x === undefined ? '' : (x * 100).toFixed(2) + '%'; }

function trainingPage(r, d) {
  var running = d.trainings.filter(function (x) { return x.status === 'running'; });
  hasRunning = running.length > 0;
  function rows(list) {
    return list.map(function (x) {
      var p = x.last || {};
      var epochs = x.epochEnds.map(function (e) { return 'epoch ' + e.epoch + ': loss ' + e.loss.toFixed(4) + ', acc ' + pct(e.accuracy) + (e.testAccuracy === null ? '' : ', test ' + pct(e.testAccuracy)); }).join('\n');
      return h('tr', { 'data-train-id': x.id, 'data-status': x.status },
        h('td', { text: x.id.slice(0, 8), title: x.id }), h('td', { text: x.model }),
        h('td', { text: x.consistency + (x.maxDelay === null ? '' : x.consistency === 'bounded-delay' ? ' (max delay ' + x.maxDelay + ')' : '') }),
        h('td', null, badge(x.status)), h('td', { text: fmtTime(x.start) }), num(fmtMs(elapsed(x.start, x.end, d.now))),
        num(x.workers + ' / ' + x.shards), num(x.last ? p.epoch + '/' + p.epochs + (p.epochEnd ? ' done' : '') : ''),
        num(x.last ? fmtCount(p.rows) + '/' + fmtCount(p.totalRows) : ''), num(x.last ? p.loss.toFixed(4) : ''), num(x.last ? pct(p.accuracy) : ''),
        num(pct(x.testAccuracy !== null ? x.testAccuracy : p.testAccuracy)), num(x.last ? p.stepsPerSecond.toFixed(1) : ''), num(x.last ? fmtCount(p.samplesPerSecond) : ''),
        h('td', { text: x.last ? stalenessText(p.staleness) : '', 'data-staleness': '' }), h('td', { text: x.epochEnds.length + ' ended', title: epochs }), h('td', { text: x.error || '' }));
    });
  }
  var heads = ['Id', 'Model', 'Consistency', 'Status', 'Started', '#Duration', '#Workers / shards', '#Epoch', '#Rows', '#Loss', '#Accuracy', '#Test accuracy', '#Steps/s', '#Samples/s', 'Staleness (steps)', 'Epochs', 'Error'];
  var done = d.trainings.filter(function (x) { return x.status !== 'running'; });
  return [h('h1', { text: 'Training' }),
    h('p', { class: 'muted', text: running.length + ' running, ' + done.length + ' finished (q.train: parameter servers across executors)' }),
    h('h2', { text: 'Running' }),
    running.length ? table('trainings-running', heads, rows(running)) : h('p', { class: 'empty', text: 'No training is running (q.train(df, { ... }) on a cluster session runs one).' }),
    h('h2', { text: 'Finished' }),
    done.length ? table('trainings-finished', heads, rows(done)) : h('p', { class: 'empty', text: 'No training has ended yet.' })];
}

// The capacity planner fitted to this application's jobs: each job's stages measured beside predicted, at the configuration that ran or a what-if.
function planPage(r, d) {
  var fields = [['executors', 'Executors'], ['workers', 'Workers per executor'], ['cores', 'Cores shared'], ['gpus', 'GPUs'], ['target', 'Target (e.g. 14000/s)'], ['latencyP99', 'p99 latency (e.g. 2s)']];
  var inputs = {};
  var form = h('form', { id: 'plan-form', class: 'plan-form' }, fields.map(function (f) {
    inputs[f[0]] = h('input', { name: f[0], value: d.params[f[0]] || '', size: 10 });
    return h('label', null, f[1] + ' ', inputs[f[0]]);
  }), h('button', { type: 'submit', text: 'Predict' }));
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var q = fields.map(function (f) { var v = inputs[f[0]].value.trim(); return v ? f[0] + '=' + encodeURIComponent(v) : ''; }).filter(Boolean).join('&');
    location.hash = r.base + '/plan' + (q ? '?' + q : '');
  });
  var head = [h('h1', { text: 'Capacity plan' }),
    h('p', { class: 'muted', text: "The planner (quiver plan) fitted to this application's succeeded jobs: each job's stages as measured (median over its runs) beside the model's prediction, at the configuration that ran unless a what-if is given." }), form];
  if (d.error) return head.concat([h('p', { class: 'empty', id: 'plan-error', text: d.error })]);
  var whatIf = Object.keys(d.params).some(function (k) { return k !== 'target' && k !== 'latencyP99'; });
  var jobs = d.plan.jobs.map(function (j, i) {
    var f = j.fit, b = j.whatIf.batch;
    var err = whatIf ? '' : ((b.recordsPerSecond / f.measured.recordsPerSecond - 1) * 100).toFixed(1) + '%';
    var rows = f.stages.map(function (s, k) {
      var p = b.stages[k];
      return h('tr', { 'data-stage': s.index, class: b.bottleneck === k ? 'bottleneck' : null },
        h('td', { text: s.index + ': ' + s.name }), h('td', { text: s.device }), num(s.tasks + (p.tasks !== s.tasks ? ' -> ' + p.tasks : '')),
        num(fmtMs(s.measuredMs)), num(fmtMs(p.makespanMs + p.gapMs)), num(fmtMs(s.taskMs.mean)), num(pct(p.utilization)), h('td', { text: b.bottleneck === k ? 'bottleneck' : '' }));
    });
    var sizing = j.sizing ? h('p', { class: 'plan-sizing', text: 'For ' + fmtCount(j.sizing.target) + ' records/s: ' + j.sizing.totals.workers + ' worker threads (' + j.sizing.totals.executors + ' executors), ' + j.sizing.totals.gpus + ' GPUs; bottleneck ' + j.sizing.bottleneck + '; p99 latency ' + fmtMs(j.sizing.latencyMs.model.p99) + (j.sizing.meetsLatency ? '' : ' (misses the p99 asked)') }) : null;
    return h('section', { class: 'plan-job', 'data-job-shape': i },
      h('h2', { text: f.name }),
      dl([['Runs', String(f.runs)], ['Records per run', fmtCount(f.records)], ['Ran on', f.executors + ' executor(s), ' + f.slots + ' worker slot(s)'],
        ['Predicted for', j.whatIf.executors + ' executor(s) x ' + j.whatIf.workersPerExecutor + ' worker(s)' + (j.whatIf.cores ? ' on ' + j.whatIf.cores + ' cores' : '') + (j.whatIf.gpus ? ', ' + j.whatIf.gpus + ' GPU(s)' : '')],
        ['Measured', fmtMs(f.measured.jobMs.p50) + ' per job, ' + fmtCount(f.measured.recordsPerSecond) + ' records/s'],
        ['Predicted', fmtMs(b.jobMs) + ' per job, ' + fmtCount(b.recordsPerSecond) + ' records/s' + (err ? ' (' + err + ' against measured)' : '')]]),
      table('plan-stages-' + i, ['Stage', 'Device', '#Tasks', '#Measured', '#Predicted', '#Task time (fit)', '#Utilization', ''], rows), sizing);
  });
  return head.concat(jobs, [details('plan-assumptions', 'Assumptions', h('ul', null, d.plan.assumptions.map(function (a) { return h('li', { text: a }); })))]);
}

function storagePage(r, d) {
  var rows = d.caches.map(function (c) {
    var where = Object.keys(c.executors).map(function (x) { return x + ' (' + c.executors[x] + ')'; }).join(', ');
    return h('tr', { 'data-cache': c.cacheId },
      h('td', { text: c.cacheId }), h('td', { text: c.name }), num(c.cached + ' / ' + c.partitions),
      num(fmtBytes(c.memoryBytes)), num(fmtBytes(c.diskBytes)), h('td', { text: where }));
  });
  return [h('h1', { text: 'Storage' }),
    d.caches.length ? table('storage-table', ['Cache', 'Name', '#Partitions cached', '#Memory', '#Disk', 'Executors'], rows)
      : h('p', { class: 'empty', text: 'No DataFrame is cached (df.cache() keeps one once a job computes it).' })];
}

function render() {
  if (rendering) { again = true; return; }
  rendering = true;
  var r = route();
  get('/api/apps').then(function (apps) {
    if (r.page === 'root' && apps.length === 1) { location.replace('#/apps/' + encodeURIComponent(apps[0].id) + '/jobs'); return null; }
    setNav(r, apps);
    var api = '/api/apps/' + encodeURIComponent(r.app || '');
    if (r.page === 'root') return appsPage(apps);
    if (r.page === 'jobs') return get(api + '/jobs').then(function (d) { return jobsPage(r, d); });
    if (r.page === 'executors') return get(api + '/executors').then(function (d) { return executorsPage(r, d); });
    if (r.page === 'storage') return get(api + '/storage').then(function (d) { return storagePage(r, d); });
    if (r.page === 'streaming') return get(api + '/streams').then(function (d) { return streamingPage(r, d); });
    if (r.page === 'training') return get(api + '/trainings').then(function (d) { return trainingPage(r, d); });
    if (r.page === 'plan') return get(api + '/plan' + (r.query ? '?' + r.query : '')).then(function (d) { return planPage(r, d); });
    var jb = api + '/jobs/' + encodeURIComponent(r.job);
    if (r.page === 'job') return Promise.all([get(jb), getText(jb + '/dag.svg')]).then(function (x) { return jobPage(r, x[0], x[1]); });
    var sb = jb + '/stages/' + encodeURIComponent(r.stage);
    // The timeline fits the page: main's width less its padding and the frame's.
    var width = Math.max(480, Math.min(3000, main.clientWidth - 70));
    return Promise.all([get(sb), getText(sb + '/timeline.svg?width=' + width)]).then(function (x) { return stagePage(r, x[0], x[1]); });
  }).then(function (content) {
    if (content === null) return;
    var y = window.scrollY;
    main.textContent = '';
    add(main, content);
    main.setAttribute('data-page', r.page);
    window.scrollTo(0, y);
  }, function (e) {
    main.textContent = '';
    add(main, [h('h1', { text: 'Not available' }), h('p', { class: 'muted', text: String(e.message || e) })]);
  }).then(function () {
    rendering = false;
    if (again) { again = false; schedule(); }
  });
}
function schedule() {
  if (renderQueued) return;
  renderQueued = true;
  setTimeout(function () { renderQueued = false; render(); }, 300);
}

window.addEventListener('hashchange', function () { openDetails = {}; render(); });
if (window.EventSource) {
  var es = new EventSource('/api/stream');
  es.addEventListener('open', function () { streamOk = true; pill(); });
  es.addEventListener('change', schedule);
  es.addEventListener('error', function () { streamOk = false; pill(); });
}
// Running tasks' bars and durations grow without events: refresh while something runs.
setInterval(function () { if (hasRunning) schedule(); }, 2000);
render();
})();
`;
