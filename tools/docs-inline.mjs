// docs-inline.mjs IN BUNDLE OUT - make the page redocly build-docs wrote
// self-contained: its one <script src="https://…/redoc.standalone.js"> is
// replaced by the same Redoc bundle, inline, read from BUNDLE (the copy
// tools/npm-tools.sh installed with the pinned Redocly CLI).  Fails unless
// there is exactly one such tag, so a change in redocly's output is loud.
import { readFileSync, writeFileSync } from 'node:fs';

const [input, bundle, output] = process.argv.slice(2);
if (!input || !bundle || !output) {
	console.error('usage: docs-inline.mjs IN BUNDLE OUT');
	process.exit(2);
}
const page = readFileSync(input, 'utf8');
const tag = /<script src="https:\/\/[^"]*\/redoc\.standalone\.js"><\/script>/g;
const found = page.match(tag) || [];
if (found.length !== 1) {
	console.error(`docs-inline: ${input} has ${found.length} Redoc script tags, want 1`);
	process.exit(1);
}
// A bundle that said "</script" or "<!--" would end or confuse the inline
// element; written as "<\/script" and "<\!--" the JavaScript is the same.
const code = readFileSync(bundle, 'utf8')
	.replace(/<\/script/gi, '<\\/script')
	.replace(/<!--/g, '<\\!--');
// a function replacement: the bundle's "$&" and "$1" stay as they are
writeFileSync(output, page.replace(tag, () => `<script>${code}</script>`));
