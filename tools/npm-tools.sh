#!/usr/bin/env bash
# npm-tools.sh [TOOL ARGS...] - the one place that installs and runs the
# npm tools of `make build`, `make lint` and `make docs`: Redocly CLI and the
# AsyncAPI parser, pinned, in build/tools, and the console's locked
# dependencies (console/package-lock.json, `npm ci` into build/console-npm).
# npm itself comes from tools/deps.sh when missing.
#
#   tools/npm-tools.sh                      install the pinned tools if missing
#   tools/npm-tools.sh redocly lint X.yaml  run the pinned redocly
#   tools/npm-tools.sh docs SPEC TEMPLATE OUT
#                                           the self-contained API reference page
#   tools/npm-tools.sh asyncapi FILE        validate an AsyncAPI document
#   tools/npm-tools.sh console OUTDIR       build the console into OUTDIR
#   tools/npm-tools.sh docs-csp PAGE.html   print the page's Content-Security-Policy
#
# The versions run on Debian 12's own Node.js (18.19+): Redocly CLI 1.34
# needs Node >= 18.17 where 2.x needs 20.19, and the AsyncAPI parser is the
# library the asyncapi CLI validates with, without the CLI's hundreds of
# packages.  Redocly 1.x's build-docs points the page at Redoc on a CDN;
# tools/docs-inline.mjs puts the same Redoc bundle, from build/tools, into
# the page instead, so it loads nothing remote.
#
# The console's packages are installed with --ignore-scripts: no package runs
# code at install time (esbuild finds its binary in its platform package).
# They are installed again only when the lock file changes.
#
# Nothing is sent home: Redocly CLI reports anonymous usage data after every
# command, and build-docs builds the same choice into the page it writes,
# unless REDOCLY_TELEMETRY=off (redocly.yaml also says `telemetry: off`, for
# whoever runs redocly by hand); REDOCLY_SUPPRESS_UPDATE_NOTICE stops its
# check of the registry for a newer version.
set -euo pipefail

REDOCLY_VERSION=1.34.20
ASYNCAPI_PARSER_VERSION=3.6.6
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/build/tools
redocly=$tools/node_modules/.bin/redocly

command -v npm >/dev/null 2>&1 || "$root/tools/deps.sh" npm >&2

console_deps() {
	local deps=$root/build/console-npm
	if ! cmp -s "$root/console/package-lock.json" "$deps/package-lock.json" ||
		! cmp -s "$root/console/package.json" "$deps/package.json" ||
		[ ! -d "$deps/node_modules/esbuild" ]; then
		echo "npm-tools: installing the console's packages (package-lock.json) into build/console-npm" >&2
		rm -rf "$deps"
		mkdir -p "$deps"
		cp "$root/console/package.json" "$root/console/package-lock.json" "$deps/"
		(cd "$deps" && npm ci --silent --ignore-scripts --no-audit --no-fund --no-update-notifier >/dev/null)
	fi
	echo "$deps/node_modules"
}

case ${1:-} in
console)
	[ $# -eq 2 ] || { echo "usage: tools/npm-tools.sh console OUTDIR" >&2; exit 2; }
	modules=$(console_deps)
	exec node "$root/console/build.mjs" "$modules" "$2"
	;;
docs-csp)
	[ $# -eq 2 ] || { echo "usage: tools/npm-tools.sh docs-csp PAGE.html" >&2; exit 2; }
	exec node "$root/tools/docs-csp.mjs" "$2"
	;;
esac

stamp=$tools/versions
want="redocly $REDOCLY_VERSION asyncapi-parser $ASYNCAPI_PARSER_VERSION"
if [ ! -x "$redocly" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	echo "npm-tools: installing @redocly/cli@$REDOCLY_VERSION and @asyncapi/parser@$ASYNCAPI_PARSER_VERSION into build/tools" >&2
	rm -rf "$tools"
	mkdir -p "$tools"
	npm install --silent --ignore-scripts --no-audit --no-fund --no-update-notifier --prefix "$tools" \
		"@redocly/cli@$REDOCLY_VERSION" "@asyncapi/parser@$ASYNCAPI_PARSER_VERSION" >/dev/null
	echo "$want" >"$stamp"
fi

[ $# -eq 0 ] && exit 0
tool=$1
shift
case $tool in
redocly)
	export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
	exec "$redocly" "$@"
	;;
docs)
	[ $# -eq 3 ] || { echo "usage: tools/npm-tools.sh docs SPEC TEMPLATE OUT" >&2; exit 2; }
	export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
	"$redocly" build-docs "$1" --template "$2" --disableGoogleFont --output "$3.cdn"
	node "$root/tools/docs-inline.mjs" "$3.cdn" "$tools/node_modules/redoc/bundles/redoc.standalone.js" "$3"
	rm -f "$3.cdn"
	;;
asyncapi)
	[ $# -eq 1 ] || { echo "usage: tools/npm-tools.sh asyncapi FILE" >&2; exit 2; }
	exec node "$root/tools/asyncapi-validate.mjs" "$tools/node_modules" "$1"
	;;
*)
	echo "npm-tools: unknown tool: $tool" >&2
	exit 2
	;;
esac
