import { TRACES_SEPARATOR } from '../goroutine/index.js';
import { Details, type Detail } from './detail.js';
import { diagram, Geometry, GUTTER, lockColours, MARK_COLOUR, shape } from './diagram.js';
import { MARK_KINDS } from './mark.js';
import { escapeHtml as esc, scriptJson, virtualTime } from './text.js';
import type { Timeline } from './timeline.js';

/**
 * A run as one self-contained HTML page: no fonts, scripts or styles from anywhere
 * else, so it opens from a CI artefact or a bug report as it is. Every text of the run
 * is escaped; the details shown on hover travel as JSON and are put in with textContent.
 */
export function swimlanePage(t: Timeline): string {
  const g = new Geometry(t);
  const details = new Details(t);
  const heads = laneHeads(g, details);
  const svg = diagram(g, details);
  const v = t.verdict;
  const title = `${v.kind} · ${t.model} · seed ${t.seed}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`tapa-sim: ${title}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1><span class="badge badge-${esc(v.kind)}">${esc(v.kind)}</span> ${esc(t.model)} <span class="dim">· seed ${t.seed} · ${t.marks.length} steps · ${esc(virtualTime(t.marks.at(-1)?.time ?? 0))} of virtual time</span></h1>
<p class="message">${esc(firstLine(v.message))}${report(v.message)}</p>
${legend(t)}
</header>
<main>
<div id="chart">
${heads}
${svg}
</div>
<aside id="panel">${summary(t)}</aside>
</main>
<script type="application/json" id="details">${scriptJson(details.payload())}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? '';
}

/** The whole report, the goroutine dump folded apart as in `replay --dump`. */
function report(message: string): string {
  if (!message.includes('\n')) return '';
  const at = message.indexOf(TRACES_SEPARATOR);
  const main = at < 0 ? message : message.slice(0, at).trimEnd();
  const dump = at < 0 ? '' : `<details><summary>goroutine dump</summary><pre>${esc(message.slice(at))}</pre></details>`;
  return ` <details><summary>full report</summary><pre>${esc(main)}</pre></details>${dump}`;
}

function laneHeads(g: Geometry, details: Details): string {
  const heads = g.t.lanes.map((l, i) => {
    const role = l.role === 'live' ? '' : `<span class="role role-${l.role}">${l.role === 'cycle' ? 'deadlock cycle' : 'stuck'}</span>`;
    const waits = l.stuck ? `<span class="waits">${esc(`${l.stuck.waitsFor.op} ${l.stuck.waitsFor.object}`)}</span>` : '';
    return `<div class="head head-${l.role} group-${l.group}" style="left:${g.x(i)}px;width:${g.widthOf(l.group)}px" data-lane="${esc(l.id)}" data-d="${details.lane(l)}"><b>${breakable(l.title)}</b><span class="sub">${esc(l.subtitle)}</span>${role}${waits}</div>`;
  });
  return `<div id="heads" style="width:${g.width}px"><div class="head gutter" style="left:0;width:${GUTTER}px"><b>virtual time</b><span class="sub">step</span></div>${heads.join('')}</div>`;
}

/** Long Go names wrap after a dot rather than anywhere. */
function breakable(name: string): string {
  return esc(name).replace(/\./g, '.<wbr>');
}

function legend(t: Timeline): string {
  const icon = (inner: string): string => `<svg width="16" height="16" viewBox="0 0 16 16">${inner}</svg>`;
  const present = new Set(t.marks.map((m) => m.kind));
  const marks = MARK_KINDS.filter((k) => present.has(k.kind)).map(
    (k) => `<span title="${esc(k.text)}">${icon(shape(k.kind, 8, 8, MARK_COLOUR[k.kind]))}${esc(k.short)}</span>`,
  );
  const locks = [...lockColours(t.holds)].map(
    ([lock, colour]) => `<span><i class="swatch" style="background:${colour}"></i>${esc(lock)}</span>`,
  );
  const lines = [
    ...(t.waits.length > 0
      ? [
          `<span>${icon('<line x1="1" y1="8" x2="15" y2="8" stroke="#d97706" stroke-width="2" stroke-dasharray="3 2"/>')}parked, waits for (arrow)</span>`,
        ]
      : []),
    ...(t.waits.some((w) => w.cycle)
      ? [`<span class="cycle-key">${icon('<line x1="1" y1="8" x2="15" y2="8" stroke="#dc2626" stroke-width="3"/>')}deadlock cycle</span>`]
      : []),
    `<label title="a message, a spawn, a wake-up"><input type="checkbox" id="show-causes" checked>${icon('<line x1="1" y1="12" x2="15" y2="4" stroke="#94a3b8" stroke-width="1.5"/>')}caused by</label>`,
  ];
  const lockRow = locks.length > 0 ? `<span class="dim">locks held (bars):</span>${locks.join('')}` : '';
  return `<div class="legend">${[...marks, ...lines, lockRow].join('')}</div>`;
}

/** What the panel shows when the cursor is on nothing: the verdict, and the cycle member by member. */
function summary(t: Timeline): string {
  const v = t.verdict;
  const members = t.lanes.flatMap((l) => (l.role === 'cycle' && l.stuck ? [{ lane: l, stuck: l.stuck }] : []));
  const parts = [
    `<h2>${esc(v.kind)}${v.time === undefined ? '' : ` at t = ${esc(virtualTime(v.time))}`}${v.step === undefined ? '' : `, step ${v.step}`}</h2>`,
    `<p>${esc(firstLine(v.message))}</p>`,
    ...(members.length > 0 ? [`<h3>the cycle: each waits for the next, the last for the first</h3>`] : []),
    ...members.map(({ lane, stuck }) =>
      detailHtml({
        title: `${lane.title} ${lane.subtitle}`,
        fields: [
          ['holds', stuck.holds.join(', ') || '-'],
          ['waits', `${stuck.waitsFor.op} ${stuck.waitsFor.object}`],
        ],
        stack: stuck.stack,
      }),
    ),
    '<p class="hint">Hover a step, a lock bar, a wait or a lane title for its details.</p>',
  ];
  return parts.join('');
}

/** The same layout as the script's `show`, for the panel's first content. */
function detailHtml(d: Detail): string {
  const fields = d.fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const stack = d.stack ? `<pre>${esc(d.stack.join('\n'))}</pre>` : '';
  return `<section><h4>${esc(d.title)}</h4><dl>${fields}</dl>${stack}</section>`;
}

const STYLE = `
*{box-sizing:border-box}
html,body{margin:0;height:100%}
body{display:flex;flex-direction:column;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#0f172a;background:#fff}
header{padding:10px 16px 6px;border-bottom:1px solid #cbd5e1;background:#f8fafc}
h1{font-size:17px;margin:0 0 2px;font-weight:600}
h1 .dim{font-weight:400;color:#64748b;font-size:14px}
.message{margin:0 0 4px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;color:#7f1d1d}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;background:#dc2626;font-size:13px;vertical-align:1px}
.badge-passed{background:#16a34a}.badge-hang,.badge-convergence{background:#d97706}.badge-potential-deadlock{background:#9333ea}
header details{display:inline-block;margin-left:14px;font:12px system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#334155}
header details[open]{display:block;margin-left:0}
header pre{max-height:260px;overflow:auto;background:#fff;border:1px solid #e2e8f0;padding:6px;font-size:11px}
.legend{display:flex;flex-wrap:wrap;gap:2px 14px;align-items:center;font-size:12px;color:#334155;margin-top:3px}
.legend span,.legend label{display:inline-flex;align-items:center;gap:4px}
.swatch{display:inline-block;width:6px;height:14px;border-radius:2px}
.dim{color:#64748b}.cycle-key{color:#b91c1c;font-weight:600}
main{flex:1;display:flex;min-height:0}
#chart{flex:1;overflow:auto;position:relative}
#heads{position:sticky;top:0;z-index:2;height:84px;background:#fff;border-bottom:1px solid #94a3b8}
.head{position:absolute;top:0;height:84px;padding:5px 4px 3px 7px;overflow:hidden;border-left:1px solid #e2e8f0;display:flex;flex-direction:column;cursor:default}
.head b{font-size:11.5px;line-height:1.2;overflow-wrap:anywhere;max-height:29px;overflow:hidden;flex:none}
.head .sub{font-size:11px;color:#64748b;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.head .waits{font-size:10.5px;color:#991b1b;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
.head-cycle{background:#fee2e2;border-top:4px solid #dc2626}
.head-stuck{background:#fef3c7;border-top:4px solid #d97706}
.group-outside b{color:#1d4ed8}.group-server b{color:#0f766e}
.role{font-size:10px;font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.role-cycle{color:#dc2626}.role-stuck{color:#b45309}
.diagram{display:block}
.diagram text{font:10px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:#1e293b}
.lane-even{fill:#fff}.lane-odd{fill:#f8fafc}.lane-cycle{fill:#fff1f2}.lane-stuck{fill:#fffbeb}
.row{fill:transparent}.row:hover{fill:rgba(37,99,235,.07)}
.band{opacity:.1}.band-tap-call{fill:#2563eb}.band-configuration{fill:#0d9488}.band-nsm-event{fill:#7c3aed}.band-fault{fill:#ea580c}
.tick{stroke:#cbd5e1;stroke-width:1}
.diagram .time{fill:#0f172a;font-weight:600}.diagram .time-same{fill:#94a3b8;font-weight:400}
.diagram .seq{fill:#94a3b8}
.lifeline{stroke:#94a3b8;stroke-width:1}
.hold{stroke:rgba(15,23,42,.25);stroke-width:.5}
.hold-cycle{stroke:#dc2626;stroke-width:1.5}
.hold:hover,.wait:hover{filter:brightness(.85)}
.cause{stroke:#94a3b8;stroke-width:.8;opacity:.45;pointer-events:none}
.no-causes .causes{display:none}
.wait-span{stroke:#d97706;stroke-width:2;stroke-dasharray:4 3}
.wait-arrow{stroke:#d97706;stroke-width:1.4}
.diagram .wait-label{fill:#b45309;font-size:9.5px;paint-order:stroke;stroke:#fff;stroke-width:3px}
.wait-cycle .wait-span{stroke:#dc2626;stroke-width:2.5;stroke-dasharray:none}
.wait-cycle .wait-arrow{stroke:#dc2626;stroke-width:2.5}
.diagram .wait-cycle .wait-label{fill:#b91c1c;font-weight:700}
.mark{stroke:#fff;stroke-width:1;pointer-events:none}
.diagram .label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round;pointer-events:none}
.verdict-band{fill:#fee2e2;opacity:.85}
.diagram .verdict-text{fill:#991b1b;font-size:12px;font-weight:700}
.ring{fill:none;stroke:#dc2626;stroke-width:2.5}
.diagram .ring-label{fill:#991b1b;font-weight:700;paint-order:stroke;stroke:#fee2e2;stroke-width:3px}
aside{width:360px;flex:none;border-left:1px solid #cbd5e1;overflow:auto;padding:10px 14px;background:#f8fafc;font-size:12.5px}
aside h2{font-size:15px;margin:0 0 4px;color:#991b1b}
aside h3{font-size:12.5px;margin:10px 0 4px;color:#334155}
aside h4{font-size:12.5px;margin:8px 0 2px;overflow-wrap:anywhere}
aside p{margin:0 0 6px;overflow-wrap:anywhere}
aside dl{display:grid;grid-template-columns:auto 1fr;gap:1px 8px;margin:0}
aside dt{color:#64748b}aside dd{margin:0;overflow-wrap:anywhere}
aside pre{margin:4px 0 0;padding:5px 6px;background:#fff;border:1px solid #e2e8f0;font-size:10.5px;overflow:auto}
aside section{border-top:1px solid #e2e8f0;padding-top:2px}
.hint{color:#64748b;margin-top:10px}
`;

const SCRIPT = `
(function () {
  var payload = JSON.parse(document.getElementById('details').textContent);
  var chart = document.getElementById('chart');
  var panel = document.getElementById('panel');
  var idle = Array.prototype.slice.call(panel.childNodes);
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; return e; }
  function show(d) {
    var section = el('section');
    section.appendChild(el('h4', d.title));
    var dl = el('dl');
    d.fields.forEach(function (f) { dl.appendChild(el('dt', f[0])); dl.appendChild(el('dd', f[1])); });
    section.appendChild(dl);
    if (d.stack !== undefined) section.appendChild(el('pre', payload.stacks[d.stack]));
    panel.replaceChildren(section);
  }
  chart.addEventListener('mouseover', function (e) {
    var target = e.target instanceof Element ? e.target.closest('[data-d]') : null;
    if (target) show(payload.entries[Number(target.getAttribute('data-d'))]);
  });
  chart.addEventListener('mouseleave', function () { panel.replaceChildren.apply(panel, idle); });
  document.getElementById('show-causes').addEventListener('change', function (e) {
    chart.classList.toggle('no-causes', !e.target.checked);
  });
  var verdict = document.getElementById('verdict');
  // The verdict at the bottom of the view, with as much of what led to it as fits above,
  // until the reader scrolls.
  var heads = document.getElementById('heads');
  var moved = false;
  function frame() {
    if (verdict && !moved) chart.scrollTop = Math.max(0, Number(verdict.getAttribute('data-bottom')) + heads.offsetHeight + 24 - chart.clientHeight);
  }
  frame();
  window.addEventListener('resize', frame);
  ['wheel', 'keydown', 'mousedown', 'touchstart'].forEach(function (e) { chart.addEventListener(e, function () { moved = true; }, { passive: true }); });
})();
`;
