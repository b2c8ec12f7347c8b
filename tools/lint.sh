#!/usr/bin/env bash
# lint.sh - what `make lint` checks: formatting (the committed .clang-format),
# cppcheck over server/src, and redocly over api-docs/openapi.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh clang-format cppcheck
status=0
files=$(find server tests/fuzz -name '*.[ch]' | sort)

echo "== clang-format"
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files; then
	echo "formatting differs: run make format"; status=1
fi

echo "== cppcheck"
make --no-print-directory build/gen/version.h build/gen/embedded.c >/dev/null
if ! cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	--inline-suppr -D__GNUC__ -Iserver/src -Ibuild/gen \
	--suppress=missingIncludeSystem --suppress=unmatchedSuppression \
	server/src; then
	status=1
fi

echo "== redocly lint api-docs/openapi.yaml"
# tools/npm-tools.sh installs the pinned redocly (npm too, when missing) and
# runs it with telemetry off.
if ! tools/npm-tools.sh redocly lint api-docs/openapi.yaml; then
	status=1
fi
exit $status
