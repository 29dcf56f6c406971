/**
 * `--format html` / `--html FILE`: one self-contained page — no network needed to open it.
 * uPlot (MIT, ~50 KB, the charting library; see README design notes) and its stylesheet are
 * inlined from the installed npm package, the report object is embedded once as JSON, and a
 * small script renders everything from that object, so the page and `--format json` never
 * disagree. Light and dark themes (system preference, with a toggle), readable on a phone.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Report } from '../report/report.js';
import type { PacketReport } from '../report/packet-report.js';

const require = createRequire(import.meta.url);
let assets: { js: string; css: string } | null = null;

function uplot(): { js: string; css: string } {
  assets ??= {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
  return assets;
}

/** JSON safe inside a <script> element (no "</script>", no HTML comment openers). */
function embed(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Timelines above this many points are downsampled (summed into wider bins) for the page. */
export const MAX_POINTS = 2000;

const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--muted:#5b6570;--card:#f5f7f9;--line:#d5dbe1;--accent:#1f6feb;--bad:#cf222e;--warn:#bf8700;--info:#0a7ea4;--shade:rgba(207,34,46,.16)}
[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--card:#161b22;--line:#30363d;--accent:#58a6ff;--bad:#ff7b72;--warn:#d29922;--info:#39c5cf;--shade:rgba(255,123,114,.18)}
@media (prefers-color-scheme:dark){[data-theme=auto]{--bg:#0d1117;--fg:#e6edf3;--muted:#8b949e;--card:#161b22;--line:#30363d;--accent:#58a6ff;--bad:#ff7b72;--warn:#d29922;--info:#39c5cf;--shade:rgba(255,123,114,.18)}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:20px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:15px;margin:0}
.muted{color:var(--muted)}.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px;margin:10px 0}
.verdict{font-weight:600;font-size:16px}.sev{display:inline-block;border-radius:4px;padding:1px 6px;font-size:12px;font-weight:700;color:#fff;margin-right:6px}
.sev-high{background:var(--bad)}.sev-medium{background:var(--warn)}.sev-low{background:#8c959f}.sev-info{background:var(--info)}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
td.num,th.num{text-align:right}th{cursor:pointer;user-select:none}th.sorted-asc::after{content:" ▲"}th.sorted-desc::after{content:" ▼"}
.scroll{overflow:auto;max-height:420px}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:10px}
.bars>div{display:grid;grid-template-columns:minmax(56px,32%) minmax(30px,1fr) auto;align-items:center;gap:6px;margin:2px 0}
.bars .k{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.bars .bar{display:block;height:10px;background:var(--accent);border-radius:2px}
.chart{position:relative;overflow:hidden}.span{position:absolute;top:0;bottom:30px;background:var(--shade);pointer-events:none;border-left:1px solid var(--bad);border-right:1px solid var(--bad)}
.span b{position:absolute;top:2px;left:3px;font-size:11px;color:var(--bad);white-space:nowrap}
button{font:inherit;border:1px solid var(--line);background:var(--card);color:var(--fg);border-radius:6px;padding:3px 10px;cursor:pointer}
textarea{width:100%;height:120px;font:12px/1.3 ui-monospace,monospace;background:var(--bg);color:var(--fg);border:1px solid var(--line)}
header{display:flex;justify-content:space-between;gap:10px;align-items:start;flex-wrap:wrap}.uplot{font-family:inherit}.u-legend{font-size:12px}
@media (max-width:600px){main{padding:8px}th,td{padding:3px 4px}}
`;

/** The page script: renders #app from the embedded report. Plain ES2017, no dependencies but uPlot. */
const APP = String.raw`
(function(){
const R = JSON.parse(document.getElementById('report').textContent);
const app = document.getElementById('app');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
/** A share (0..1) as "12.3 %". */
const pct = (x) => Math.round(x * 1000) / 10 + ' %';
const el = (tag, attrs, html) => { const e = document.createElement(tag); for (const k in attrs||{}) e.setAttribute(k, attrs[k]); if (html != null) e.innerHTML = html; return e; };
const isCap = R.kind === 'capture';
const unit = isCap ? 'packets' : 'requests';
const t = (iso) => Date.parse(iso) / 1000;
const zone = R.input.timeZone;
// Shift epoch seconds so uPlot (which draws in the browser's zone) shows the report's zone.
const zoneMin = (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
const shift = (sec) => sec + zoneMin * 60 + new Date(sec * 1000).getTimezoneOffset() * 60;

// Header.
const hdr = el('header');
const files = (R.input.files || []).map((f) => esc(f.name) + (f.compressed ? ' (gzip)' : '')).join(', ');
hdr.appendChild(el('div', {}, '<h1>floodscope report</h1><div class="muted">' + files + '</div><div class="muted">' +
  (R.input.start ? esc(R.input.start) + ' → ' + esc(R.input.end) + ' (' + esc(zone) + ')' : 'no data') + '</div>'));
const tb = el('button', {id: 'theme'}, 'theme');
tb.onclick = () => { const d = document.documentElement; d.dataset.theme = d.dataset.theme === 'dark' ? 'light' : d.dataset.theme === 'light' ? 'auto' : 'dark'; };
hdr.appendChild(tb);
app.appendChild(hdr);
app.appendChild(el('div', {class: 'card verdict', id: 'verdict'}, esc(R.summary.verdict)));

// Totals.
const s = R.summary;
const totals = isCap
  ? [['packets', fmt(s.packets)], ['bytes', fmt(s.bytes)], ['sources', '~' + fmt(s.distinctSources)], ['peak', fmt(s.peakRate) + ' packets/s']]
  : [['requests', fmt(s.requests)], ['sources', '~' + fmt(s.distinctSources)], ['average', s.averageRate + ' req/s'], ['peak', fmt(s.peakRate) + ' req/s']];
app.appendChild(el('div', {class: 'grid'}, totals.map(([k, v]) => '<div class="card"><div class="muted">' + k + '</div><b>' + v + '</b></div>').join('')));

// Timeline with attack spans, zoomable (drag to zoom, double-click to reset).
app.appendChild(el('h2', {}, (isCap ? 'Packets' : 'Requests') + (R.timeline.resolution > 60 ? ' per ' + (R.timeline.resolution / 60) + ' minutes' : ' per minute')));
const chartBox = el('div', {class: 'card chart', id: 'timeline'});
app.appendChild(chartBox);
// Times the log is silent (the server down, or not logging): under the chart's flat line.
const silences = (!isCap && R.input.silences) || [];
if (silences.length > 0 && silences.length <= 3) {
  app.appendChild(el('div', {class: 'card failing', id: 'silences'}, silences.map((x) => '<div>log silent ' + esc(x.start) + ' → ' + esc(x.end) + ' (' + fmt(x.seconds) + ' s): nothing logged ' + (x.between ? 'between the end of ' + esc(x.between[0]) + ' and the start of ' + esc(x.between[1]) + ', after ' + esc(x.rateBefore) + ' req/s — a rotated file missing, or the server down?' : 'after ' + esc(x.rateBefore) + ' req/s — the server down or restarting, or its logging stopped?') + '</div>').join('')));
} else if (silences.length > 3) {
  const all = silences.reduce((a, x) => a + x.seconds, 0);
  app.appendChild(el('div', {class: 'card failing', id: 'silences'}, 'log silent ' + fmt(silences.length) + ' times, ' + fmt(all) + ' s in all: a log with gaps (sampled or filtered?), or a server often down; each in the JSON report'));
}
const counts = isCap ? R.timeline.packets : R.timeline.counts;
const start0 = R.timeline.start ? t(R.timeline.start) : 0;
const xs = [], ys = [], es = [];
// Requests the server answered 5xx (logs): a second line, drawn when there are any.
const errs = isCap ? [] : (R.timeline.serverErrors || []);
const per = Math.max(1, Math.ceil(counts.length / ${MAX_POINTS}));
for (let i = 0; i < counts.length; i += per) {
  let sum = 0, err = 0; for (let j = i; j < Math.min(counts.length, i + per); j++) { sum += counts[j]; err += errs[j] || 0; }
  xs.push(shift(start0 + i * R.timeline.resolution)); ys.push(sum); es.push(err);
}
const failing = es.some((e) => e > 0);
const attacks = R.attacks;
let plot = null;
function placeSpans(u) {
  chartBox.querySelectorAll('.span').forEach((n) => n.remove());
  const stack = {};
  attacks.forEach((a) => {
    if (!a.attack) return;
    const level = stack[a.start] = (stack[a.start] || 0) + 1;
    const l = u.valToPos(shift(t(a.start)), 'x'), r = u.valToPos(shift(t(a.end)) + 60, 'x');
    const left = Math.max(0, l), right = Math.min(u.bbox.width / devicePixelRatio, r);
    const d = el('div', {class: 'span', 'data-attack': String(a.id)}, '<b style="top:' + (2 + (level - 1) * 14) + 'px">' + esc(a.signature) + '</b>');
    d.style.left = (u.over.offsetLeft + left) + 'px';
    d.style.width = Math.max(2, right - left) + 'px';
    d.style.display = right < 0 || left > u.bbox.width / devicePixelRatio ? 'none' : '';
    chartBox.appendChild(d);
  });
}
if (xs.length > 0 && window.uPlot) {
  const width = () => Math.max(280, chartBox.clientWidth - 24);
  const cs = getComputedStyle(document.documentElement);
  plot = new uPlot({
    width: width(), height: 260,
    // A capture of one minute still gets a readable x range.
    scales: {x: xs.length === 1 ? {time: true, range: [xs[0] - 60, xs[0] + 120]} : {time: true}},
    series: [{}, {label: unit + (per > 1 ? ' per ' + per + ' min' : ' per minute'), stroke: cs.getPropertyValue('--accent').trim() || '#1f6feb', width: 1.5, fill: 'rgba(31,111,235,0.08)'}].concat(failing ? [{label: 'answered 5xx', stroke: '#d1242f', width: 1.5}] : []),
    axes: [{stroke: cs.getPropertyValue('--muted')}, {stroke: cs.getPropertyValue('--muted'), size: 64}],
    hooks: {draw: [placeSpans]},
  }, failing ? [xs, ys, es] : [xs, ys], chartBox);
  window.addEventListener('resize', () => plot.setSize({width: width(), height: 260}));
}

// Sortable table.
function table(cols, rows, id) {
  const wrap = el('div', {class: 'scroll'});
  const tbl = el('table', id ? {id: id} : {});
  const head = el('tr');
  cols.forEach((c, i) => { const th = el('th', {class: c.num ? 'num' : ''}, esc(c.label)); th.onclick = () => sortBy(i, th); head.appendChild(th); });
  const thead = el('thead'); thead.appendChild(head); tbl.appendChild(thead);
  const body = el('tbody'); tbl.appendChild(body);
  let data = rows.slice();
  function draw() { body.innerHTML = data.map((r) => '<tr>' + r.map((v, i) => '<td class="' + (cols[i].num ? 'num' : '') + '">' + (cols[i].num ? fmt(v) : esc(v)) + '</td>').join('') + '</tr>').join(''); }
  let by = -1, asc = false;
  function sortBy(i, th) {
    asc = by === i ? !asc : !cols[i].num; by = i;
    data.sort((a, b) => (cols[i].num ? a[i] - b[i] : String(a[i]).localeCompare(String(b[i]))) * (asc ? 1 : -1));
    head.querySelectorAll('th').forEach((h) => h.classList.remove('sorted-asc', 'sorted-desc'));
    th.classList.add(asc ? 'sorted-asc' : 'sorted-desc');
    draw();
  }
  draw(); wrap.appendChild(tbl); return wrap;
}
function bars(items) {
  const max = Math.max(1, ...items.map((x) => x.v));
  return '<div class="bars">' + items.map((x) => '<div><span class="k">' + esc(x.k) + '</span><span><span class="bar" style="width:' + Math.max(1, Math.round(x.v / max * 100)) + '%"></span></span><span class="muted">' + esc(x.label) + '</span></div>').join('') + '</div>';
}

// Victims (captures).
if (isCap && R.victims.length > 0) {
  app.appendChild(el('h2', {}, 'Victims'));
  app.appendChild(table([{label: 'address'}, {label: 'packets', num: 1}, {label: 'bytes', num: 1}, {label: 'TCP', num: 1}, {label: 'UDP', num: 1}, {label: 'ICMP', num: 1}],
    R.victims.map((v) => [v.ip, v.packets, v.bytes, v.tcp, v.udp, v.icmp]), 'victims'));
}

// Attacks.
app.appendChild(el('h2', {}, 'Findings (' + attacks.length + ')'));
if (attacks.length === 0) app.appendChild(el('div', {class: 'card muted'}, 'No attack found.'));
const RANK = {info: 0, low: 1, medium: 2, high: 3};
const byId = new Map(attacks.map((a) => [a.id, a]));
// What is known of a finding's edges: under way as the input began or ended, the log silent at them.
function edges(a) {
  const out = [];
  if (a.underWay) out.push({cls: 'muted', text: a.underWay.atStart && a.underWay.atEnd ? 'under way for the whole input: it began at its start or earlier, and may go on past its end' : a.underWay.atStart ? 'under way when the input begins: it began then or earlier' : 'still under way when the input ends: it may go on'});
  (a.silences || []).forEach((x) => out.push({cls: 'failing', text: x.where === 'after' ? 'the log falls silent at ' + x.start + ' for ' + fmt(x.seconds) + ' s: not seen to end' : x.where === 'before' ? 'under way when the log resumes after ' + fmt(x.seconds) + ' s of silence (' + x.start + ' → ' + x.end + '): it began then or earlier' : 'the log is silent ' + x.start + ' → ' + x.end + ' (' + fmt(x.seconds) + ' s) during it: nothing logged, the attack\'s requests included'}));
  return out;
}
// A finding with its episodes: the most severe of them, and their requests (packets) in all.
const groupSev = (a) => (a.episodes || []).reduce((m, e) => (RANK[e.severity] > RANK[m] ? e.severity : m), a.severity);
const groupTotal = (a) => (a.episodes ? a.episodes.reduce((n, e) => n + e.count, 0) : isCap ? a.packets : a.requests);
// Findings of one signature on one target (a rate going over its limit again and again) are one
// card, their episodes a table; a finding on the same traffic as an earlier one points to it.
attacks.forEach((a) => {
  if (a.episodeOf != null || a.inBrief) return;
  const eps = a.episodes || [];
  const sev = groupSev(a);
  const sec = el('section', {class: 'card attack', id: 'attack-' + a.id, 'data-signature': a.signature});
  sec.appendChild(el('h3', {}, '<span class="sev sev-' + esc(sev) + '">' + esc(sev.toUpperCase()) + '</span>' + esc(a.signature) + ' — ' + esc(a.target) + (a.attack ? '' : ' <span class="muted">(not an attack)</span>')));
  if (eps.length > 0) {
    sec.appendChild(el('p', {class: 'episodes'}, fmt(eps.length) + ' episodes, ' + fmt(groupTotal(a)) + ' ' + unit + ' in all; the first in detail below'));
    // Each later episode's edges beside it (the first's are in its detail below).
    const notes = eps.map((e, k) => (k === 0 ? '' : edges(byId.get(e.id) || {}).map((x) => x.text).join('; ')));
    const noted = notes.some((n) => n !== '');
    sec.appendChild(table([{label: 'start'}, {label: 'end'}, {label: 'seconds', num: 1}, {label: unit, num: 1}, {label: 'severity'}].concat(noted ? [{label: 'note'}] : []), eps.map((e, k) => [e.start, e.end, e.durationSeconds, e.count, e.severity].concat(noted ? [notes[k]] : []))));
  }
  const count = isCap ? a.packets : a.requests;
  sec.appendChild(el('p', {}, esc(a.start) + ' → ' + esc(a.end) + ' (' + fmt(a.durationSeconds) + ' s) · peak ' + fmt(a.peakRate) + ' ' + unit + '/s at ' + esc(a.peakAt) + ' · ' + fmt(count) + ' ' + unit + ' from ~' + fmt(a.distinctSources) + ' sources'));
  sec.appendChild(el('p', {class: 'muted'}, Object.keys(a.evidence).map((k) => esc(k) + '=' + esc(a.evidence[k])).join(' · ')));
  edges(a).forEach((x) => sec.appendChild(el('p', {class: x.cls}, esc(x.text))));
  if (a.note) sec.appendChild(el('p', {}, esc(a.note)));
  const q = a.queries;
  if (q) sec.appendChild(el('p', {class: 'queries' + (q.cacheBusting ? ' failing' : '')}, 'query strings: on ' + pct(q.share) + ' of its requests, ' + (q.distinct === 1 ? '1' : '~' + fmt(q.distinct)) + ' distinct' + (q.cacheBusting ? ': a different one on nearly every request — cache-busting, each misses any cache and reaches the server' : '') + (q.examples.length > 0 ? '; e.g. ' + q.examples.map((e) => '?' + esc(e)).join(', ') : '')));
  const se = a.serverErrors;
  if (se && (se.share >= 0.01 || (se.before || 0) >= 0.01)) sec.appendChild(el('p', {class: 'failing'}, 'server errors (5xx): ' + pct(se.share) + ' of all requests meanwhile' + (se.target != null && se.rest != null ? ' (' + pct(se.target) + ' of its own, ' + pct(se.rest) + ' of the rest of the site\'s)' : '') + (se.before != null ? ', ' + pct(se.before) + ' in the hour before' : '')));
  const part = a.partOf ? byId.get(a.partOf.id) : undefined;
  if (part) sec.appendChild(el('p', {class: 'part-of'}, 'part of <a href="#attack-' + part.id + '">' + esc(part.signature) + ' on ' + esc(part.target) + '</a>: ' + fmt(a.partOf.count) + ' of its ' + fmt(isCap ? part.packets : part.requests) + ' ' + unit + ' came from this address'));
  // On the same traffic as a finding above: its sources and texts are there, not listed again.
  const same = a.sameTrafficAs != null ? byId.get(a.sameTrafficAs) : undefined;
  if (same) {
    sec.appendChild(el('p', {class: 'same-traffic'}, 'the same traffic as <a href="#attack-' + same.id + '">' + esc(same.signature) + ' on ' + esc(same.target) + '</a>: its sources, countries and texts are listed there'));
    app.appendChild(sec);
    return;
  }
  const grid = el('div', {class: 'grid'});
  if (a.sourcesOverTime && a.sourcesOverTime.length > 0) {
    const box = el('div', {class: 'card sources-over-time'}, '<div class="muted">distinct sources over time</div>');
    grid.appendChild(box);
    requestAnimationFrame(() => { if (window.uPlot) new uPlot({width: Math.max(220, box.clientWidth - 20), height: 140, scales: {x: {time: true}}, legend: {show: false}, axes: [{}, {size: 56}],
      series: [{}, {stroke: getComputedStyle(document.documentElement).getPropertyValue('--bad').trim() || '#cf222e', width: 1.5}]},
      [a.sourcesOverTime.map((p) => shift(t(p.start))), a.sourcesOverTime.map((p) => p.distinct)], box); });
  }
  if (a.countries && a.countries.length > 0) {
    grid.appendChild(el('div', {class: 'card countries'}, '<div class="muted">countries</div>' + bars(a.countries.slice(0, 10).map((c) => ({k: c.country, v: c.share, label: Math.round(c.share * 100) + '%' + (c.before != null ? ' (before ' + Math.round(c.before * 100) + '%)' : '')})))));
  }
  if (a.prefixes && a.prefixes.length > 0) {
    grid.appendChild(el('div', {class: 'card'}, '<div class="muted">prefixes</div>' + bars(a.prefixes.slice(0, 8).map((p) => ({k: p.prefix, v: p.count, label: p.members + ' sources, ' + Math.round(p.share * 100) + '%'})))));
  }
  // Dense wider prefixes (/16, /48): many of their /24s or /64s attack (the rotating-IPv6 flood's /48).
  if (a.widePrefixes && a.widePrefixes.length > 0) {
    grid.appendChild(el('div', {class: 'card dense'}, '<div class="muted">dense prefixes</div>' + bars(a.widePrefixes.slice(0, 8).map((p) => ({k: p.prefix, v: p.count, label: p.members + ' sources, ' + Math.round(p.share * 100) + '%'})))));
  }
  sec.appendChild(grid);
  if (a.topSources.length > 0) {
    // Counts from a summary that had to evict are bounds: "at least" beside them. Sources the
    // block list leaves out say why.
    const ranged = a.topSources.some((x) => x.minCount != null);
    const asn = a.topSources.some((x) => x.asn != null);
    const regular = new Set(a.regularSources || []);
    const visitors = new Set(a.visitorSources || []);
    const kept = regular.size + visitors.size > 0;
    const cols = [{label: 'source'}, {label: unit, num: 1}].concat(ranged ? [{label: 'at least', num: 1}] : [], [{label: 'country'}], asn ? [{label: 'ASN'}] : [], kept ? [{label: 'not blocked'}] : []);
    const rows = a.topSources.map((x) => [x.ip, x.count].concat(
      ranged ? [x.minCount != null ? x.minCount : x.count] : [],
      [(x.country || '') + (x.city ? ' ' + x.city : '')],
      asn ? [x.asn != null ? 'AS' + x.asn + ' ' + (x.asOrg || '') : ''] : [],
      kept ? [regular.has(x.ip) ? (s.cdn ? 'regular source or ' + s.cdn.name + ' edge' : 'regular source') : visitors.has(x.ip) ? (isCap ? 'client' : 'visitor') : ''] : []));
    sec.appendChild(el('div', {class: 'muted'}, 'top sources (' + fmt(a.topSources.length) + (a.topSources.length < a.distinctSources ? ' of ~' + fmt(a.distinctSources) : '') + ')' + (ranged ? ': more sources than the summary holds, so a count is an upper bound and "at least" what is sure' : '')));
    sec.appendChild(table(cols, rows));
  }
  // Block list entries for this attack's sources, with a copy button.
  if (R.blocklist) {
    const mine = R.blocklist.entries.filter((e) => e.signatures.includes(a.signature) && e.comment.indexOf(a.target.slice(0, 40)) >= 0);
    if (mine.length > 0) {
      const text = mine.map((e) => e.cidr + ' # ' + e.comment).join('\n');
      const box = el('div', {class: 'blocklist'}, '<div class="muted">block list entries (' + mine.length + ')</div>');
      const ta = el('textarea', {readonly: ''}); ta.value = text;
      const btn = el('button', {class: 'copy'}, 'copy');
      btn.onclick = () => {
        // The selection copy works from a file:// page and in every browser; the Clipboard API
        // needs a secure context and a permission, so it is only the fallback.
        const done = () => { btn.textContent = 'copied'; };
        ta.select();
        let ok = false;
        try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
        if (ok) done(); else if (navigator.clipboard) navigator.clipboard.writeText(text).then(done, () => { btn.textContent = 'select and copy by hand'; });
      };
      box.appendChild(ta); box.appendChild(btn); sec.appendChild(box);
    }
  }
  app.appendChild(sec);
});
// Many addresses of one signature, each over its limit (a botnet): past the most severe and
// heaviest, shown above in full, one row each.
const brief = new Map();
attacks.forEach((a) => { if (a.inBrief) { if (!brief.has(a.signature)) brief.set(a.signature, []); brief.get(a.signature).push(a); } });
brief.forEach((list, sig) => {
  const sec = el('section', {class: 'card attack brief', 'data-signature': sig});
  sec.appendChild(el('h3', {}, esc(sig) + ' — ' + fmt(list.length) + ' more addresses, one row each'));
  sec.appendChild(el('p', {class: 'muted'}, 'each over its limit; the most severe and heaviest are above in full, every one in the JSON report'));
  sec.appendChild(table([{label: 'address'}, {label: 'severity'}, {label: 'start'}, {label: 'end'}, {label: 'peak/s', num: 1}, {label: unit, num: 1}, {label: 'part of'}],
    list.slice().sort((x, y) => RANK[groupSev(y)] - RANK[groupSev(x)] || groupTotal(y) - groupTotal(x)).map((a) => { const p = a.partOf ? byId.get(a.partOf.id) : null; return [a.target, groupSev(a), a.start, a.end, a.peakRate, groupTotal(a), p ? p.signature + ' on ' + p.target : '']; })));
  app.appendChild(sec);
});

// Mix: status codes (logs) or protocols (captures).
app.appendChild(el('h2', {}, isCap ? 'Protocol mix' : 'Status codes'));
const mix = isCap ? s.protocols : s.status;
app.appendChild(el('div', {class: 'card', id: 'mix'}, bars(Object.keys(mix).map((k) => ({k: k, v: mix[k], label: fmt(mix[k])})))));

// Input quality.
app.appendChild(el('h2', {}, 'Input'));
const i = R.input;
const q = isCap
  ? fmt(i.packets) + ' packets; ' + fmt(i.truncated) + ' truncated, ' + fmt(i.unknownLink) + ' of unknown link type, ' + fmt(i.fragments) + ' fragments'
  : fmt(i.lines) + ' lines: ' + fmt(i.parsed) + ' parsed, ' + fmt(i.malformed) + ' malformed, ' + fmt(i.blank) + ' blank (format ' + esc(i.format) + ', ' + esc(i.formatSource) + ')';
const malformed = !isCap && i.malformedSamples.length > 0 ? '<pre class="muted">' + i.malformedSamples.map((m) => esc(m.file + ':' + m.line + ': ' + m.reason)).join('\n') + '</pre>' : '';
app.appendChild(el('div', {class: 'card', id: 'input'}, q + malformed + (i.warnings || []).concat(i.errors || []).map((w) => '<div>' + esc(w) + '</div>').join('')));
if (R.geo) app.appendChild(el('p', {class: 'muted'}, esc(R.geo.attribution)));
app.appendChild(el('p', {class: 'muted'}, 'floodscope ' + esc(R.tool.version) + ' · ' + esc(R.schema)));
})();
`;

export function renderHtml(report: Report | PacketReport): string {
  const { js, css } = uplot();
  const title = `floodscope — ${report.summary.verdict}`;
  return `<!doctype html>
<html lang="en" data-theme="auto">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.replace(/[<&>"]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;', '"': '&quot;' })[c]!)}</title>
<style>${css}</style>
<style>${CSS}</style>
<script>${js.replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="report">${embed(report)}</script>
</head>
<body>
<main id="app"></main>
<script>${APP}</script>
</body>
</html>
`;
}
