"""The report's style sheet and script, inlined into each page: the page
needs no server, no network and no other file than its pictures."""

__all__ = ['CSS', 'SCRIPT']

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1400px;
 padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px
 solid #ccc}
table{border-collapse:collapse;margin:.5em 0}
td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child,td.text,th.text{text-align:left}
table.sortable th{cursor:pointer;user-select:none;background:#f4f4f4}
table.sortable th[data-dir=desc]::after{content:" \\25BC"}
table.sortable th[data-dir=asc]::after{content:" \\25B2"}
.summary td{font-size:1.2em}.summary td.big{font-size:1.6em;font-weight:600}
.sw{display:inline-block;width:.9em;height:.9em;border:1px solid #888;
 vertical-align:middle;margin-right:4px}
.neg{color:#b00}.pos{color:#070}.muted{color:#888}
.scroll{max-height:32em;overflow:auto;display:inline-block}
.gallery figure{display:inline-block;margin:0 4px 4px 0;vertical-align:top}
.gallery figcaption{font-size:.85em;color:#555}
.gallery img{display:block;width:240px;height:auto;image-rendering:pixelated}
.item{margin:.8em 0;padding:.5em;border:1px solid #ddd;border-radius:4px}
.legend span{display:inline-block;margin-right:10px;font-size:.9em}
table.heat td{text-align:center;min-width:2.2em;font-size:.8em;
 border:1px solid #fff}
table.heat th.col{writing-mode:vertical-rl;transform:rotate(180deg);
 text-align:left;font-weight:normal;font-size:.85em;vertical-align:bottom}
table.heat th.row{font-weight:normal;font-size:.85em;text-align:right}
"""

SCRIPT = r"""
function cellValue(row, i) {
  const cell = row.cells[i];
  if (cell.dataset.v === undefined) return cell.textContent.trim();
  return cell.dataset.v === '' ? null : parseFloat(cell.dataset.v);
}
function sortBy(th) {
  const table = th.closest('table');
  const i = Array.prototype.indexOf.call(th.parentNode.children, th);
  const dir = th.dataset.dir === 'desc' ? 'asc' : 'desc';
  table.querySelectorAll('th').forEach(h => delete h.dataset.dir);
  th.dataset.dir = dir;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const sign = dir === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const x = cellValue(a, i), y = cellValue(b, i);
    if (x === null || y === null) return (x === null) - (y === null);
    if (typeof x === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y));
  });
  const frag = document.createDocumentFragment();
  rows.forEach(r => frag.appendChild(r));
  body.appendChild(frag);
}
function makeSortable(root) {
  root.querySelectorAll('table.sortable th').forEach(th => {
    if (!th.onclick) th.onclick = () => sortBy(th);
  });
}
function fmt(v) { return v === null ? '' : v.toFixed(2); }
function renderLazy(details) {
  if (details.dataset.rendered) return;
  details.dataset.rendered = '1';
  const data = JSON.parse(
    document.getElementById(details.dataset.json).textContent);
  const body = details.querySelector('tbody');
  const frag = document.createDocumentFragment();
  for (const row of data) {
    const tr = document.createElement('tr');
    row.forEach((v, j) => {
      const td = document.createElement('td');
      if (typeof v === 'number' || v === null) {
        td.dataset.v = v === null ? '' : v; td.textContent = fmt(v);
      } else { td.textContent = v; }
      tr.appendChild(td);
    });
    frag.appendChild(tr);
  }
  body.appendChild(frag);
  makeSortable(details);
}
document.addEventListener('DOMContentLoaded', () => {
  makeSortable(document);
  document.querySelectorAll('details[data-json]').forEach(d =>
    d.addEventListener('toggle', () => { if (d.open) renderLazy(d); }));
});
// Self-check for tests and measurements (open the page with #selfcheck):
// after every picture loaded, record what loaded, the tables' rows and a
// sort of each sortable table's columns, into the pre#selfcheck element.
function columnValues(table, i) {
  return Array.from(table.tBodies[0].rows).map(r => cellValue(r, i));
}
// Written apart from sortBy's comparison, so that a broken sort is seen:
// whether the text values are in localeCompare order for dir.
function textInOrder(values, dir) {
  const sign = dir === 'asc' ? 1 : -1;
  const texts = values.filter(v => typeof v === 'string');
  return texts.every((v, k) =>
    k === 0 || sign * texts[k - 1].localeCompare(v) <= 0);
}
window.addEventListener('load', () => {
  if (location.hash !== '#selfcheck') return;
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const r = {dom_content_loaded_ms: nav.domContentLoadedEventEnd,
             load_ms: nav.loadEventStart, html_bytes: nav.transferSize ||
             nav.decodedBodySize};
  const images = Array.from(document.images);
  r.images = images.length;
  r.broken = images.filter(im => !(im.complete && im.naturalWidth > 0))
    .map(im => im.getAttribute('src'));
  const t0 = performance.now();
  document.querySelectorAll('details[data-json]').forEach(renderLazy);
  r.lazy_tables_ms = performance.now() - t0;
  r.tables = {}; r.sorts = {};
  document.querySelectorAll('table[id]').forEach(t => {
    r.tables[t.id] = t.tBodies[0] ? t.tBodies[0].rows.length : 0;
    if (!t.classList.contains('sortable')) return;
    const ths = Array.from(t.tHead.rows[0].cells);
    r.sorts[t.id] = ths.map((th, i) => {
      const before = columnValues(t, i);
      th.click(); const first = columnValues(t, i), dir1 = th.dataset.dir;
      th.click(); const second = columnValues(t, i), dir2 = th.dataset.dir;
      return {column: th.textContent.replace(/[\u25B2\u25BC]/g, '').trim(),
              before, first, dir1, second, dir2,
              text_in_order1: textInOrder(first, dir1),
              text_in_order2: textInOrder(second, dir2)};
    });
  });
  const pre = document.createElement('pre');
  pre.id = 'selfcheck'; pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
"""
