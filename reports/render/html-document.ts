import { compile, type TopLevelSpec } from 'vega-lite'
import type { ChartSpec } from '../charts/chart-common.js'

/** A chart placed on a page: its slot id and its vega-lite spec. */
export interface PageChart {
  readonly id: string
  readonly spec: ChartSpec
}

/** What a page is made of; `runtime` is vega's browser build, inlined so the page works offline. */
export interface HtmlDocumentInput {
  readonly title: string
  /** HTML of the page body; charts appear where {@link chartSlot} placed them. */
  readonly body: string
  readonly charts: readonly PageChart[]
  readonly runtime: string
  /** Files the page offers for download, carried inside it; links come from {@link downloadLink}. */
  readonly downloads?: readonly PageDownload[]
}

/** A file carried inside a page: offered by a link that needs no request, online or not. */
export interface PageDownload {
  readonly id: string
  /** The file name the browser saves it as. */
  readonly file: string
  readonly type: string
  readonly text: string
}

/** A link that saves one of the page's {@link PageDownload}s (its href is made from the embedded text when the page loads). */
export function downloadLink(d: PageDownload, label: string): string {
  return `<a class="download" data-download="lb-download-${escapeHtml(d.id)}" data-type="${escapeHtml(d.type)}" download="${escapeHtml(d.file)}">${escapeHtml(label)}</a>`
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

/** The element a chart renders into. */
export function chartSlot(id: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(id)}"></figure>`
}

/**
 * Compiles a vega-lite spec to vega. Pages carry compiled specs, so only vega's runtime is
 * inlined (not vega-lite's compiler), and a spec vega-lite rejects fails here, at render time,
 * rather than in a reader's browser.
 */
export function compileChart(spec: ChartSpec): object {
  return compile(spec as unknown as TopLevelSpec).spec
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no HTML comment openers). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/** Inline script source made safe to sit inside a `<script>` element. */
function inlineScript(source: string): string {
  return source.replace(/<\/script/gi, '<\\/script')
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d0d7de; --bg-soft: #f6f8fa; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px 28px 64px; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); } h3 { font-size: 15px; margin: 20px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; max-width: 900px; }
nav.crumbs { font-size: 13px; margin-bottom: 12px; } a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.tags span { display: inline-block; font-size: 12px; padding: 0 8px; margin-right: 4px; border: 1px solid var(--line); border-radius: 10px; color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; } td.num { text-align: right; white-space: nowrap; }
.pass { color: var(--ok); font-weight: 600; } .fail { color: var(--bad); font-weight: 600; } .warn { color: var(--warn); }
.verdict-regression { color: var(--bad); font-weight: 600; } .verdict-improvement { color: var(--ok); font-weight: 600; } .verdict-inconclusive { color: var(--warn); }
figure.chart { margin: 12px 0 20px; min-height: 40px; overflow-x: auto; }
div.wide { overflow-x: auto; }
.headline { font-size: 15px; margin: 8px 0 16px; }
details > summary { cursor: pointer; color: var(--muted); margin: 6px 0; }
section.answer { margin: 8px 0 16px; } p.question { font-size: 16px; margin: 4px 0 10px; max-width: 900px; }
p.downloads a.download { margin-right: 12px; } ul.verdicts { margin: 4px 0 8px; padding-left: 20px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg-soft); padding: 0 4px; border-radius: 4px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
`

// Points every download link at a blob of its embedded text (nothing is fetched), then renders
// every chart slot with vega's SVG renderer; a chart's failure is shown in place and logged.
const BOOT = `
(function () {
  document.querySelectorAll('a[data-download]').forEach(function (a) {
    var text = JSON.parse(document.getElementById(a.dataset.download).textContent);
    a.href = URL.createObjectURL(new Blob([text], { type: a.dataset.type }));
  });
  var specs = JSON.parse(document.getElementById('lb-charts').textContent);
  var slots = document.querySelectorAll('[data-chart]');
  var pending = slots.length;
  document.body.dataset.charts = String(pending);
  if (pending === 0) document.body.dataset.chartsDone = 'true';
  slots.forEach(function (el) {
    var done = function () { if (--pending === 0) document.body.dataset.chartsDone = 'true'; };
    try {
      var view = new vega.View(vega.parse(specs[el.dataset.chart]), { renderer: 'svg', container: el, hover: true });
      view.runAsync().then(function () { el.dataset.rendered = 'true'; done(); }, function (e) { el.dataset.rendered = 'error'; el.textContent = 'chart failed: ' + e.message; console.error(e); done(); });
    } catch (e) { el.dataset.rendered = 'error'; el.textContent = 'chart failed: ' + e.message; console.error(e); done(); }
  });
})();
`

/**
 * A complete, self-contained HTML page: styles, vega's runtime and the compiled chart specs are
 * inlined, and a Content-Security-Policy forbids every network request, so the page opens from
 * disk offline and cannot fetch anything even by mistake.
 */
export function htmlDocument(input: HtmlDocumentInput): string {
  const specs = Object.fromEntries(input.charts.map((c) => [c.id, compileChart(c.spec)]))
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>${escapeHtml(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${input.body}
${(input.downloads ?? []).map((d) => `<script id="lb-download-${escapeHtml(d.id)}" type="application/json">${scriptJson(d.text)}</script>`).join('\n')}
<script id="lb-charts" type="application/json">${scriptJson(specs)}</script>
<script>${inlineScript(input.runtime)}</script>
<script>${BOOT}</script>
</body>
</html>
`
}
