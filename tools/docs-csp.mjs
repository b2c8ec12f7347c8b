// docs-csp.mjs PAGE.html - print the Content-Security-Policy with which
// isacd serves the API reference page (GET /docs): scripts only the page's
// own inline ones, by their SHA-256 (no 'unsafe-inline' for scripts),
// inline styles (Redoc sets them at run time), data: images and fonts, its
// search index's Web Worker (which Redoc makes from a blob: URL; only the
// hashed scripts can make one, and it inherits this policy), and no
// connection, frame, form or base anywhere.  Run by `make build` through
// tools/npm-tools.sh; tools/embed.sh puts the line into the binary.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const page = readFileSync(process.argv[2], "utf8");
const hashes = [];
for (const m of page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
  if (/\ssrc\s*=/i.test(m[1])) {
    console.error(`docs-csp: ${process.argv[2]} loads a script from a file; the page must be self-contained`);
    process.exit(1);
  }
  hashes.push(`'sha256-${createHash("sha256").update(m[2], "utf8").digest("base64")}'`);
}
if (!hashes.length) {
  console.error(`docs-csp: no inline script in ${process.argv[2]}`);
  process.exit(1);
}
process.stdout.write([
  "default-src 'none'",
  `script-src ${hashes.join(" ")}`,
  "style-src 'unsafe-inline'",
  "img-src data:",
  "font-src data:",
  "worker-src blob:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; "));
