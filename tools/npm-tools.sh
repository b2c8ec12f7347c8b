#!/usr/bin/env bash
# npm-tools.sh [redocly ARGS...] - the one place that installs and runs the
# npm tools of `make lint` and `make docs`: Redocly CLI, pinned, in
# build/tools (npm itself comes from tools/deps.sh when missing).
#
#   tools/npm-tools.sh                      install what is missing, run nothing
#   tools/npm-tools.sh redocly lint X.yaml  run the pinned redocly
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
