#!/usr/bin/env bash
# fuzz.sh SECONDS TARGET... - build each libFuzzer target with clang
# (-fsanitize=fuzzer,address,undefined) and run it for SECONDS.
#
# The committed corpus is read, never written: new inputs go to a work folder
# under build/fuzz/.  A crash is saved in build/fuzz/crashes/; copy it into
# tests/fuzz/regression/<target>/ so `make test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?seconds}; shift
tools/deps.sh clang libclang-rt-14-dev
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out/crashes"
make --no-print-directory build/gen/embedded.c build/gen/version.h >/dev/null
pkgs="libevent libevent_openssl libevent_pthreads jansson libargon2 libpq openssl"
cflags="-std=c17 -D_GNU_SOURCE -g -O1 -Iserver/src -Ibuild/gen $(pkg-config --cflags $pkgs)"
libs="$(pkg-config --libs $pkgs) -lwslay -lpthread"
srcs=$(find server/src -name '*.c' ! -name main.c | sort)
status=0
for t in "$@"; do
	bin=$out/$t
	echo "== $t: building"
	# shellcheck disable=SC2086
	$CC $cflags -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-o "$bin" "tests/fuzz/$t.c" $srcs build/gen/embedded.c $libs
	work=$out/work/$t
	mkdir -p "$work"
	dict=()
	[ "$t" = fuzz_http_head ] && dict=(-dict=tests/fuzz/http.dict)
	[ "$t" = fuzz_indicator ] && dict=(-dict=tests/fuzz/indicator.dict)
	[ "$t" = fuzz_stix ] && dict=(-dict=tests/fuzz/stix.dict)
	[ "$t" = fuzz_search ] && dict=(-dict=tests/fuzz/search.dict)
	[ "$t" = fuzz_ws ] && dict=(-dict=tests/fuzz/ws.dict)
	[ "$t" = fuzz_proxy ] && dict=(-dict=tests/fuzz/proxy.dict)
	[ "$t" = fuzz_rt_msg ] && dict=(-dict=tests/fuzz/rt_msg.dict)
	echo "== $t: running for ${secs}s"
	if ! "$bin" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$out/crashes/$t-" -print_final_stats=1 \
		"$work" "tests/fuzz/corpus/$t" "tests/fuzz/regression/$t" 2>&1 | tail -n 12; then
		status=1
	fi
	[ "${PIPESTATUS[0]}" = 0 ] || status=1
done
if ls "$out"/crashes/* >/dev/null 2>&1; then
	echo "crashes saved in $out/crashes/:"; ls "$out"/crashes/
	status=1
fi
exit $status
