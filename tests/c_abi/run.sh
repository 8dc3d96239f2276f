#!/usr/bin/env bash
# Runs one C ABI test program on one backend: run.sh BACKEND PROGRAM [ARGS...]; the program gets
# the store URL as its last argument. BACKEND is sqlite_memory, sqlite_file (a fresh folder whose
# path has a space) or postgresql (a fresh schema in HOUQIN_TEST_PG_URL, dropped afterwards).
# Without HOUQIN_TEST_PG_URL the PostgreSQL run is skipped (exit 77), or fails when
# HOUQIN_REQUIRE_PG is set, as ./dev.sh test does.
set -euo pipefail
backend=$1
shift
case "$backend" in
  sqlite_memory)
    exec "$@" "sqlite::memory:"
    ;;
  sqlite_file)
    dir=$(mktemp -d /tmp/houqin-c-abi.XXXXXX)
    trap 'rm -rf "$dir"' EXIT
    mkdir "$dir/with space"
    "$@" "sqlite:$dir/with space/test.sqlite"
    ;;
  postgresql)
    url=${HOUQIN_TEST_PG_URL:-}
    if [ -z "$url" ]; then
      if [ -n "${HOUQIN_REQUIRE_PG:-}" ]; then
        echo "HOUQIN_TEST_PG_URL is not set but HOUQIN_REQUIRE_PG is" >&2
        exit 1
      fi
      echo "skipped: PostgreSQL not configured (HOUQIN_TEST_PG_URL)"
      exit 77
    fi
    schema="hq_c_$$_${RANDOM}"
    psql "$url" -qX -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $schema" >/dev/null
    trap 'psql "$url" -qX -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true' EXIT
    sep='?'
    [[ "$url" == *\?* ]] && sep='&'
    "$@" "${url}${sep}options=-csearch_path%3D${schema}"
    ;;
  *)
    echo "unknown backend '$backend'" >&2
    exit 2
    ;;
esac
