#!/bin/sh
# gen-common-passwords.sh - rebuild server/data/common-passwords.txt from
# Debian's john-data word list (public domain) plus tools/extra-passwords.txt
# (long passwords that top breach lists and meet the 12-character minimum).
# Lower-cased, deduplicated, sorted: the server compares case-insensitively.
set -eu
cd "$(dirname "$0")/.."
src=/usr/share/john/password.lst
[ -r "$src" ] || { echo "install john-data first (apt-get install john-data)" >&2; exit 1; }
{ grep -v '^#!comment:' "$src"; cat tools/extra-passwords.txt; } |
	tr 'A-Z' 'a-z' | tr -d '\r' | grep -v '^$' | LC_ALL=C sort -u > server/data/common-passwords.txt
wc -l server/data/common-passwords.txt
