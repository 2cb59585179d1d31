// node tests/render_displays.js katex|mathjax: read JSON [{id, latex}] on stdin, print JSON
// [{id, error}] for every display the engine rejects.
//   katex: katex.renderToString with throwOnError (KATEX_PATH: the npm package's folder).
//   mathjax: MathJax 3 (MATHJAX_PATH: mathjax-full's folder), TeX to SVG; a display fails when TeX
//   input raises an error (undefined macros are errors: the noundefined and noerrors packages are
//   not loaded) or when a \text{} piece would show a backslash escape verbatim (MathJax's \text
//   has no text-mode macros: "\_" there prints as "\_").

function katexRenderer() {
  const katex = require(process.env.KATEX_PATH || "katex");
  return (latex) => katex.renderToString(latex, { displayMode: true, throwOnError: true, strict: "ignore" });
}

function mathjaxRenderer() {
  const base = process.env.MATHJAX_PATH || "mathjax-full";
  const { mathjax } = require(`${base}/js/mathjax.js`);
  const { TeX } = require(`${base}/js/input/tex.js`);
  const { SVG } = require(`${base}/js/output/svg.js`);
  const { liteAdaptor } = require(`${base}/js/adaptors/liteAdaptor.js`);
  const { RegisterHTMLHandler } = require(`${base}/js/handlers/html.js`);
  const { STATE } = require(`${base}/js/core/MathItem.js`);
  const { SerializedMmlVisitor } = require(`${base}/js/core/MmlTree/SerializedMmlVisitor.js`);
  const packages = ["base", "ams", "boldsymbol", "newcommand"];
  for (const pkg of packages) {
    const name = pkg[0].toUpperCase() + pkg.slice(1);
    require(`${base}/js/input/tex/${pkg}/${name}Configuration.js`);
  }
  RegisterHTMLHandler(liteAdaptor());
  const tex = new TeX({ packages, formatError: (jax, error) => { throw error; } });
  const page = mathjax.document("", { InputJax: tex, OutputJax: new SVG({ fontCache: "none" }) });
  const mathml = new SerializedMmlVisitor();
  return (latex) => {
    const tree = page.convert(latex, { display: true, end: STATE.COMPILED });
    const texts = [...mathml.visitTree(tree).matchAll(/<mtext[^>]*>([^<]*)<\/mtext>/g)];
    const verbatim = texts.map((m) => m[1]).find((t) => t.includes("\\"));
    if (verbatim !== undefined) throw new Error(`\\text shows a backslash verbatim: ${verbatim}`);
    page.convert(latex, { display: true });            // the whole pipeline, to SVG
  };
}

const render = { katex: katexRenderer, mathjax: mathjaxRenderer }[process.argv[2]]();
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const failures = [];
  for (const { id, latex } of JSON.parse(input)) {
    try {
      render(latex);
    } catch (e) {
      failures.push({ id, error: String(e.message).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(failures));
});
