/** The dashboard's style sheet (served as /ui/assets/app.<hash>.css; no inline styles under the CSP). */
export const STYLES = `
:root{--fg:#1d2330;--muted:#5b6475;--bg:#f5f6f8;--card:#fff;--line:#d9dde5;--accent:#2458c6;--bad:#b3261e;--ok:#1e7a3c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:var(--fg);color:#fff}
header a{color:#cfd8ea;text-decoration:none;margin-right:1em}
header a[aria-current=page]{color:#fff;border-bottom:2px solid #fff}
.signout{margin-left:auto}
main{max-width:1100px;margin:0 auto;padding:1em 1.2em}
h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0 .6em}
.card{display:block;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.9em 1em;margin:0 0 1em}
.card label{display:block;margin:.4em 0}
.inline label{display:inline-block;margin-right:1em}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:1em}
.chart{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5em .7em}
.chart svg{width:100%;height:80px;display:block}
.chart polyline{fill:none;stroke:var(--accent);stroke-width:2;vector-effect:non-scaling-stroke}
.chart output{float:right;font-weight:600}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid var(--line);vertical-align:top}
.mono{font-family:ui-monospace,monospace;font-size:.9em;overflow-wrap:anywhere}
.healthy{color:var(--ok)}.unhealthy,.error{color:var(--bad)}
.note{background:#fff6d6;padding:.5em .8em;border-radius:4px}
button{font:inherit;padding:.3em .9em;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
button.danger{background:var(--bad);border-color:var(--bad)}
button[value=cancel]{background:#fff;color:var(--fg);border-color:var(--line)}
input,select,textarea{font:inherit;padding:.25em .4em;max-width:100%}
textarea{width:100%}
.tag{display:inline-block;background:#e7ecf7;border-radius:3px;padding:0 .4em;margin-right:.3em}
.thumbs{display:flex;flex-wrap:wrap;gap:.8em}
.thumb{margin:0;width:140px}.thumb img{width:140px;height:105px;object-fit:cover;border:1px solid var(--line)}
.match img{max-width:100%;border:1px solid var(--line)}
.verdict{font-weight:600}
dialog{border:1px solid var(--line);border-radius:6px}
`
  .trim()
  .replace(/\n/g, '');
