#!/usr/bin/env node
// Draws throughput and commit latency against offered load from the benchmark JSON
// (govledger-bench single / cluster write <out>/single-<suite>.json and cluster-<suite>.json with
// one row per offered-load level under details.levels). Plain Node.js, no packages.
//
//   node scripts/perf_chart.js RESULTS_DIR OUT.svg
//
// Left panel: committed tx/s against offered tx/s (log-log; the dashed diagonal is "commits all
// it is offered"). Right panel: commit latency p50 (solid) and p99 (dashed) of the probes, in ms
// (log), against offered tx/s. One colour per benchmark file; the machine's load average at the
// start and end of each run is in the legend, because the machine is shared.
'use strict';

const fs = require('fs');
const path = require('path');

function usage(msg) {
  if (msg) process.stderr.write(`perf_chart.js: ${msg}\n`);
  process.stderr.write('usage: node scripts/perf_chart.js RESULTS_DIR OUT.svg\n');
  process.exit(2);
}

const [dir, outFile] = process.argv.slice(2);
if (!dir || !outFile) usage();
if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) usage(`${dir} is not a directory`);

const runs = [];
for (const name of fs.readdirSync(dir).sort()) {
  if (!/^(single|cluster)-.*\.json$/.test(name)) continue;
  let j;
  try {
    j = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  } catch (e) {
    usage(`${name}: not JSON (${e.message})`);
  }
  const levels = ((j.details || {}).levels || []).filter((l) => l.offered_tps > 0);
  if (levels.length === 0) continue;
  levels.sort((a, b) => a.offered_tps - b.offered_tps);
  const m = j.machine || {};
  runs.push({ name: j.bench || name, levels, load: [m.loadavg_1m_start, m.loadavg_1m_end] });
}
if (runs.length === 0) usage(`no single-*.json or cluster-*.json with load levels in ${dir}`);

const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 460, H = 320, M = { l: 62, r: 14, t: 34, b: 46 };
const pw = W - M.l - M.r, ph = H - M.t - M.b;

function logScale(lo, hi, size, invert) {
  const a = Math.log10(lo), b = Math.log10(hi);
  return (v) => {
    const f = (Math.log10(Math.max(v, lo)) - a) / (b - a);
    return invert ? size - f * size : f * size;
  };
}
function decades(lo, hi) {
  const out = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const k of [1, 2, 5]) {
      const v = k * Math.pow(10, e);
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out;
}
const fmt = (v) => (v >= 1000 ? `${v / 1000}k` : `${v}`);
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(x0, title, xLabel, yLabel, xr, yr, series) {
  const sx = logScale(xr[0], xr[1], pw, false), sy = logScale(yr[0], yr[1], ph, true);
  const g = [`<g transform="translate(${x0 + M.l},${M.t})">`];
  g.push(`<rect width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const v of decades(xr[0], xr[1])) {
    g.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="0" y2="${ph}" stroke="#eee"/>`);
    g.push(`<text x="${sx(v)}" y="${ph + 14}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of decades(yr[0], yr[1])) {
    g.push(`<line x1="0" x2="${pw}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    g.push(`<text x="-5" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  g.push(`<text x="${pw / 2}" y="-14" text-anchor="middle" font-weight="bold">${esc(title)}</text>`);
  g.push(`<text x="${pw / 2}" y="${ph + 32}" text-anchor="middle">${esc(xLabel)}</text>`);
  g.push(`<text transform="translate(-46,${ph / 2}) rotate(-90)" text-anchor="middle">` +
         `${esc(yLabel)}</text>`);
  for (const s of series) {
    const pts = s.points.filter((p) => p[1] > 0).map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`);
    if (pts.length === 0) continue;
    const dash = s.dash ? ' stroke-dasharray="5,3"' : '';
    g.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.8"${dash}/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      g.push(`<circle cx="${x}" cy="${y}" r="2.6" fill="${s.colour}"/>`);
    }
  }
  g.push('</g>');
  return g.join('\n');
}

const all = runs.flatMap((r) => r.levels);
const xr = [Math.min(...all.map((l) => l.offered_tps)) / 1.5, Math.max(...all.map((l) => l.offered_tps)) * 1.5];
const tput = [];
const lat = [];
tput.push({ colour: '#bbb', dash: true, points: [[xr[0], xr[0]], [xr[1], xr[1]]] });
runs.forEach((r, i) => {
  const colour = colours[i % colours.length];
  tput.push({ colour, points: r.levels.map((l) => [l.offered_tps, l.committed_tps]) });
  lat.push({ colour, points: r.levels.map((l) => [l.offered_tps, l.commit_latency_p50_ms]) });
  lat.push({ colour, dash: true, points: r.levels.map((l) => [l.offered_tps, l.commit_latency_p99_ms]) });
});
const lats = all.flatMap((l) => [l.commit_latency_p50_ms, l.commit_latency_p99_ms]).filter((v) => v > 0);
const yl = [Math.max(0.5, Math.min(...lats) / 1.5), Math.max(...lats) * 1.5];

const legendH = 18 * runs.length + 10;
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + legendH}" ` +
    `font-family="sans-serif" font-size="11">`,
  `<rect width="100%" height="100%" fill="white"/>`,
  panel(0, 'Committed vs offered load', 'offered tx/s', 'committed tx/s', xr, xr, tput),
  panel(W, 'Commit latency (p50 solid, p99 dashed)', 'offered tx/s', 'ms', xr, yl, lat),
];
runs.forEach((r, i) => {
  const y = H + 12 + 18 * i;
  const load = r.load.every((v) => typeof v === 'number') ? ` (load average ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)})` : '';
  svg.push(`<line x1="${M.l}" x2="${M.l + 24}" y1="${y}" y2="${y}" stroke="${colours[i % colours.length]}" stroke-width="2"/>`);
  svg.push(`<text x="${M.l + 30}" y="${y + 4}">${esc(r.name)}${esc(load)}</text>`);
});
svg.push('</svg>');
fs.writeFileSync(outFile, svg.join('\n') + '\n');
process.stdout.write(`perf_chart.js: ${outFile} from ${runs.map((r) => r.name).join(', ')}\n`);
