#!/usr/bin/env bash
# check_exports.sh LIBRARY HEADER_DIR: the library's exported (dynamic, defined) symbols are all
# hq_ functions, and every function declared with HQ_API in HEADER_DIR (houqin.h and c/*.h) is
# among them. Prints both lists' differences and fails on any.
set -euo pipefail
lib=$1
headers=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u)
# Declarations may wrap: drop preprocessor lines, join the rest into one line, then take the name
# before the "(" that follows HQ_API.
declared=$(grep -hv "^\s*#" "$headers/houqin.h" "$headers"/c/*.h | tr '\n' ' ' |
  grep -o 'HQ_API [^;(]*(' | grep -o '[A-Za-z_][A-Za-z0-9_]*($' | tr -d '(' | sort -u)
status=0
stray=$(grep -v '^hq_' <<<"$exported" || true)
if [ -n "$stray" ]; then
  echo "exported symbols that are not hq_ functions:"
  sed 's/^/  /' <<<"$stray" | head -50
  status=1
fi
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
if [ -n "$missing" ]; then
  echo "declared in the headers but not exported:"
  sed 's/^/  /' <<<"$missing"
  status=1
fi
undeclared=$(comm -23 <(grep '^hq_' <<<"$exported" || true) <(echo "$declared"))
if [ -n "$undeclared" ]; then
  echo "exported but declared in no header:"
  sed 's/^/  /' <<<"$undeclared"
  status=1
fi
echo "$(wc -l <<<"$exported") exported, $(wc -l <<<"$declared") declared"
exit $status
