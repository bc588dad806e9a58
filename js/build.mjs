// Bundles js/ into lineage_nb/view/static/widget.js; its first line carries a hash of the sources,
// which tests/test_widget.py recomputes to catch a bundle that is older than js/.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const out = join(here, "..", "lineage_nb", "view", "static", "widget.js");

export function sourceFiles() {
  const src = readdirSync(join(here, "src")).map((f) => join("src", f));
  return ["package.json", "widget.js", ...src].sort();
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const file of sourceFiles()) hash.update(file + "\0" + readFileSync(join(here, file)) + "\0");
  return hash.digest("hex");
}

const hash = sourceHash();
const result = await build({
  entryPoints: [join(here, "widget.js")],
  bundle: true,
  format: "esm",
  minify: process.env.NOMINIFY ? false : true,
  target: "es2020",
  loader: { ".css": "text" },
  legalComments: "none",
  write: false,
});
const header = `// lineage_nb widget bundle; sources sha256: ${hash}\n`;
writeFileSync(out, header + result.outputFiles[0].text);
console.log(`wrote ${out} (${(result.outputFiles[0].contents.length / 1024).toFixed(0)} KB)`);
