#!/usr/bin/env bash
# docs/operations.md is what the service registry says: the generator writes the document to a
# temporary file and this compares it with the committed one (./dev.sh docs rewrites it).
#   check_operations_doc.sh <operations_doc program> <source dir>
set -euo pipefail
gen=$1 src=$2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$gen" "$tmp"
if ! diff -u "$src/docs/operations.md" "$tmp"; then
  echo "FAIL: docs/operations.md is stale (it differs from what the service registry publishes): run ./dev.sh docs and commit docs/operations.md" >&2
  exit 1
fi
echo "docs/operations.md is current"
