// build.mjs NODE_MODULES OUTDIR - bundle the console for embedding.
//
// Run by `make build` through tools/npm-tools.sh, which first installs the
// locked dependencies (package-lock.json, `npm ci`) into build/, never here.
// esbuild bundles src/main.js and what it imports (our modules, markdown-it,
// DOMPurify) into one ES module, and src/style.css into one stylesheet; each
// output's name carries a hash of its content, so isacd can let browsers
// cache them for a year.  index.html is written last, naming those files; it
// is the file make watches.  Nothing else goes into OUTDIR: isacd serves
// every file in it (tools/embed.sh).
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [modules, outArg] = process.argv.slice(2);
if (!modules || !outArg) {
  console.error("usage: node console/build.mjs NODE_MODULES OUTDIR");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(outArg);
const work = out + ".tmp";
const esbuild = await import(pathToFileURL(join(resolve(modules), "esbuild", "lib", "main.js")).href);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: join(here, "src", "main.js"), style: join(here, "src", "style.css") },
  nodePaths: [resolve(modules)],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome111", "firefox115", "safari16"],
  entryNames: "[name]-[hash]",
  outdir: work,
  metafile: true,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
});

const built = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint) built[meta.entryPoint.endsWith(".css") ? "style" : "app"] = basename(file);
}

// the icon, named by its content like the rest
const iconSrc = join(here, "src", "icon.svg");
const iconHash = createHash("sha256").update(readFileSync(iconSrc)).digest("hex").slice(0, 8);
built.icon = `icon-${iconHash}.svg`;
copyFileSync(iconSrc, join(work, built.icon));

const page = readFileSync(join(here, "src", "index.html"), "utf8").replace(
  /\{\{(app|style|icon)\}\}/g,
  (_, key) => `/console/${built[key]}`,
);
writeFileSync(join(work, "index.html"), page);

rmSync(out, { recursive: true, force: true });
renameSync(work, out);
