// asyncapi-validate.mjs MODULES FILE - validate an AsyncAPI document with
// @asyncapi/parser (the library `asyncapi validate` runs), installed by
// tools/npm-tools.sh into MODULES.  Prints every diagnostic the parser's
// rules give; exits 1 when the document does not parse or has an error.
// Warnings fail too: `make lint` keeps api-docs/asyncapi.yaml clean.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [modules, file] = process.argv.slice(2);
if (!modules || !file) {
	console.error('usage: asyncapi-validate.mjs MODULES FILE');
	process.exit(2);
}
const { Parser, DiagnosticSeverity } =
	createRequire(join(modules, 'noop.js'))('@asyncapi/parser');
const names = ['error', 'warning', 'information', 'hint'];

const { document, diagnostics } =
	await new Parser().parse(readFileSync(file, 'utf8'), { source: file });
let failing = 0;
for (const d of diagnostics) {
	const line = (d.range?.start?.line ?? 0) + 1;
	console.log(`${file}:${line}: ${names[d.severity]}: ${d.message} ` +
		`(${d.code}) at ${d.path.join('.') || '/'}`);
	if (d.severity === DiagnosticSeverity.Error ||
		d.severity === DiagnosticSeverity.Warning)
		failing++;
}
if (!document || failing) {
	console.error(`${file}: ${failing} problem(s)`);
	process.exit(1);
}
console.log(`${file}: valid AsyncAPI ${document.version()}`);
