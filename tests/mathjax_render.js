// Read JSON [{id, latex}] on stdin; print JSON [{id, error}] for every display MathJax 3 rejects.
// A display fails when TeX input raises an error (undefined macros are errors: the noundefined
// and noerrors packages are not loaded) or when a \text{} piece would show a backslash escape
// verbatim (MathJax's \text has no text-mode macros: "\_" there prints as "\_").
const base = process.env.MATHJAX_PATH || "mathjax-full";
const { mathjax } = require(`${base}/js/mathjax.js`);
const { TeX } = require(`${base}/js/input/tex.js`);
const { SVG } = require(`${base}/js/output/svg.js`);
const { liteAdaptor } = require(`${base}/js/adaptors/liteAdaptor.js`);
const { RegisterHTMLHandler } = require(`${base}/js/handlers/html.js`);
const { STATE } = require(`${base}/js/core/MathItem.js`);
const { SerializedMmlVisitor } = require(`${base}/js/core/MmlTree/SerializedMmlVisitor.js`);
for (const pkg of ["base/BaseConfiguration", "ams/AmsConfiguration",
                   "boldsymbol/BoldsymbolConfiguration", "newcommand/NewcommandConfiguration"]) {
  require(`${base}/js/input/tex/${pkg}.js`);
}

RegisterHTMLHandler(liteAdaptor());
const tex = new TeX({
  packages: ["base", "ams", "boldsymbol", "newcommand"],
  formatError: (jax, error) => { throw error; },
});
const page = mathjax.document("", { InputJax: tex, OutputJax: new SVG({ fontCache: "none" }) });
const mathml = new SerializedMmlVisitor();

let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const failures = [];
  for (const { id, latex } of JSON.parse(input)) {
    try {
      const tree = page.convert(latex, { display: true, end: STATE.COMPILED });
      const texts = [...mathml.visitTree(tree).matchAll(/<mtext[^>]*>([^<]*)<\/mtext>/g)];
      const verbatim = texts.map((m) => m[1]).find((t) => t.includes("\\"));
      if (verbatim !== undefined) throw new Error(`\\text shows a backslash verbatim: ${verbatim}`);
      page.convert(latex, { display: true });            // the whole pipeline, to SVG
    } catch (e) {
      failures.push({ id, error: String(e.message).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(failures));
});
