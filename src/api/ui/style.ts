/** The status page's stylesheet: inline, so the page needs no other request. */
export const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #1d3557; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header form { margin-left: auto; }
main { padding: 0 1.2rem 2rem; }
h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #e1e4e8; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.path { font-family: ui-monospace, monospace; word-break: break-all; }
td.error, p.error { color: #b00020; }
.muted { color: #6a737d; }
header .muted { color: #c8d3e0; }
progress { width: 12rem; vertical-align: middle; }
a { color: #0b5cad; }
.login { max-width: 22rem; margin: 15vh auto; padding: 1.5rem; background: #fff; border: 1px solid #e1e4e8; }
.login label, .login input, .login button { display: block; width: 100%; box-sizing: border-box; margin-top: .5rem; }
.login input { padding: .4rem; }
button { padding: .35rem .9rem; cursor: pointer; }
`;
