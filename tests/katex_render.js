// Read JSON [{id, latex}] on stdin; print JSON [{id, error}] for every display KaTeX rejects.
const katex = require(process.env.KATEX_PATH || "katex");
let input = "";
process.stdin.on("data", (c) => (input += c));
process.stdin.on("end", () => {
  const failures = [];
  for (const { id, latex } of JSON.parse(input)) {
    try {
      katex.renderToString(latex, { displayMode: true, throwOnError: true, strict: "ignore" });
    } catch (e) {
      failures.push({ id, error: String(e.message).slice(0, 300) });
    }
  }
  process.stdout.write(JSON.stringify(failures));
});
