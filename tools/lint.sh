#!/usr/bin/env bash
# lint.sh - what `make lint` checks: formatting (the committed .clang-format),
# cppcheck over server/src, redocly over api-docs/openapi.yaml, the AsyncAPI
# parser over api-docs/asyncapi.yaml, and that no
# migration that has landed was edited.
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

echo "== landed migrations unchanged (schema/landed.sha256)"
# A database migrated from a landed file refuses to start once that file
# changes (its SHA-256 is recorded), so a change is a new migration.  A new
# migration's line goes into schema/landed.sha256 in the commit that lands it.
if ! (cd schema && sha256sum --quiet --strict -c landed.sha256); then
	echo "a landed migration was edited: put it back and add a new migration"; status=1
fi

echo "== redocly lint api-docs/openapi.yaml"
# tools/npm-tools.sh installs the pinned redocly (npm too, when missing) and
# runs it with telemetry off.
if ! tools/npm-tools.sh redocly lint api-docs/openapi.yaml; then
	status=1
fi

echo "== AsyncAPI validation of api-docs/asyncapi.yaml"
# the parser `asyncapi validate` uses, pinned beside redocly; warnings fail
if ! tools/npm-tools.sh asyncapi api-docs/asyncapi.yaml; then
	status=1
fi
exit $status
