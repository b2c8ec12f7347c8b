#!/usr/bin/env bash
# npm-tools.sh [TOOL ARGS...] - the one place that installs and runs the
# npm tools of `make build`, `make lint` and `make docs`: Redocly CLI,
# pinned, in build/tools, and the console's locked dependencies
# (console/package-lock.json, `npm ci` into build/console-npm).  npm itself
# comes from tools/deps.sh when missing.
#
#   tools/npm-tools.sh                      install redocly if missing, run nothing
#   tools/npm-tools.sh redocly lint X.yaml  run the pinned redocly
#   tools/npm-tools.sh console OUTDIR       build the console into OUTDIR
#   tools/npm-tools.sh docs-csp PAGE.html   print the page's Content-Security-Policy
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

REDOCLY_VERSION=2.77.0
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

if [ ! -x "$redocly" ] ||
	! grep -q "\"version\": \"$REDOCLY_VERSION\"" "$tools/node_modules/@redocly/cli/package.json" 2>/dev/null; then
	mkdir -p "$tools"
	echo "npm-tools: installing @redocly/cli@$REDOCLY_VERSION into build/tools" >&2
	npm install --silent --no-audit --no-fund --no-update-notifier --prefix "$tools" \
		"@redocly/cli@$REDOCLY_VERSION" >/dev/null
fi

[ $# -eq 0 ] && exit 0
tool=$1
shift
case $tool in
redocly)
	export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
	exec "$redocly" "$@"
	;;
*)
	echo "npm-tools: unknown tool: $tool" >&2
	exit 2
	;;
esac
