#!/usr/bin/env bash
# The ABI baseline of libhouqin-c, with libabigail (Debian abigail-tools):
#   abi.sh dump  LIBRARY BASELINE   write the library's ABI (public headers only) to BASELINE
#   abi.sh check LIBRARY BASELINE   compare the library with BASELINE; fail when a function was
#                                   removed, an existing function or a type it uses changed, or
#                                   the SONAME differs; accept (and report) added functions
# `./dev.sh abi-baseline` runs dump; the CTest test c_abi.abi_compatible runs check. A deliberate
# break raises HOUQIN_C_SOVERSION (bindings/c/CMakeLists.txt) and regenerates the baseline in the
# same commit.
set -euo pipefail
cmd=$1
lib=$2
baseline=$3
inc="$(cd "$(dirname "$0")/../../../include/houqin" && pwd)"
# Only the types the C headers declare, reached from exported functions, count.
flags=(--headers-dir "$inc/c" --header-file "$inc/houqin.h" --drop-private-types)
case "$cmd" in
  dump)
    abidw "${flags[@]}" --exported-interfaces-only --no-show-locs --no-corpus-path \
      --no-comp-dir-path --out-file "$baseline" "$lib"
    echo "wrote $baseline"
    ;;
  check)
    set +e
    # (No header filter here: the baseline has no source locations to filter by, and the library
    # side reaches only the C API's types from its exported functions anyway.)
    report=$(abidiff --exported-interfaces-only --no-show-locs "$baseline" "$lib")
    rc=$?
    set -e
    [ -z "$report" ] || echo "$report"
    # abidiff's exit status is a bit mask: 1 error, 2 usage error, 4 change, 8 incompatible change
    # (removed function, other SONAME). A changed type under an existing function is only "4",
    # yet it may move a field or resize a struct: treat every change to an existing function or
    # variable as a break to be reviewed. Only added functions pass.
    if (( rc & 3 )); then
      echo "abidiff failed ($rc)"
      exit 1
    fi
    changed=$( (grep -Eo '(Functions|Variables) changes summary: [0-9]+ Removed, [0-9]+ Changed' \
      <<<"$report" || true) | (grep -Eo '[0-9]+ (Removed|Changed)' || true) |
      awk '{ n += $1 } END { print n + 0 }')
    if (( rc & 8 )) || (( changed > 0 )); then
      echo "ABI CHANGE against $baseline: an existing function, type or the SONAME differs."
      echo "A deliberate break raises HOUQIN_C_SOVERSION (bindings/c/CMakeLists.txt); a reviewed"
      echo "compatible change (appended enumerator, field appended to a versioned options struct)"
      echo "keeps it. Either way run ./dev.sh abi-baseline in the same commit (docs/c-abi.md)."
      exit 1
    fi
    if (( rc & 4 )); then
      echo "functions added against $baseline (compatible): run ./dev.sh abi-baseline to record them."
    else
      echo "ABI unchanged against $baseline"
    fi
    ;;
  *)
    echo "usage: abi.sh dump|check LIBRARY BASELINE" >&2
    exit 2
    ;;
esac
