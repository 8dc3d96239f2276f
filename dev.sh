#!/usr/bin/env bash
# houqin's two commands, each self-contained on a fresh Debian 12 machine:
#   ./dev.sh demo   install what is missing, build, and run the demo
#   ./dev.sh test   install what is missing, build, start a throwaway PostgreSQL, run every test
# Also: ./dev.sh build | ./dev.sh deps | ./dev.sh bench | ./dev.sh abi-baseline (rewrite the C ABI
# baseline bindings/c/abi/libhouqin-c.abi from the built libhouqin-c; see docs/c-abi.md) |
# ./dev.sh sanitize (the C ABI tests under AddressSanitizer and a bounded libFuzzer run; part of test) |
# ./dev.sh tsan (the threaded parts' tests under ThreadSanitizer; part of test) | ./dev.sh tsan-build |
# ./dev.sh layers (render docs/layers.svg from the layer graph the build writes; see docs/development.md) |
# ./dev.sh docs (rewrite docs/operations.md from the service registry; the test docs.operations_doc
# fails while the committed file is stale; see docs/development.md)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD=${HOUQIN_BUILD_DIR:-$ROOT/build/release}
JOBS=${HOUQIN_JOBS:-2}

PACKAGES=(
  build-essential cmake ninja-build lld pkg-config graphviz
  libboost1.81-dev libsoci-dev libsqlite3-dev libpq-dev postgresql nlohmann-json3-dev
  libmodbus-dev pybind11-dev python3-dev python3-pytest libgtest-dev libbenchmark-dev libsodium-dev
  python3-pymodbus python3-serial python3-serial-asyncio mbpoll socat abigail-tools
  libmosquitto-dev mosquitto
  gammu gammu-smsd
  python3-numpy python3-pandas python3-nbclient python3-ipykernel python3-matplotlib python3-jsonschema mypy
  clang-16 libclang-rt-16-dev
  libzint-dev zlib1g-dev zbar-tools dmtx-utils librsvg2-bin libssl-dev
  libxlsxwriter-dev python3-openpyxl weasyprint fonts-noto-cjk fonts-wqy-microhei poppler-utils prometheus systemd wrk curl
  libjs-chart.js chromium chromium-driver python3-selenium openssl
  patroni etcd-server victoria-metrics
)

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# ---- phase timing: `phase <name> <command...>` runs a step (with `set -e` in force) and records
# its wall time; the table is printed when the script ends, also after a failure, which names the
# phase that failed. ----
PHASES=()
PHASE_T0=$(date +%s)
PHASE_NAME=""
PHASE_START=0
phase() {
  PHASE_NAME=$1
  PHASE_START=$(date +%s)
  shift
  "$@"
  PHASES+=("$(printf '%-22s %4d s' "$PHASE_NAME" $(( $(date +%s) - PHASE_START )))")
  PHASE_NAME=""
}
phase_report() {
  if [ -n "$PHASE_NAME" ]; then
    PHASES+=("$(printf '%-22s %4d s  FAILED' "$PHASE_NAME" $(( $(date +%s) - PHASE_START )))")
  fi
  [ ${#PHASES[@]} -gt 0 ] || return 0
  printf '\n\033[1m==> Phases (wall time)\033[0m\n'
  printf '  %s\n' "${PHASES[@]}"
  printf '  %-22s %4d s\n' "total" $(( $(date +%s) - PHASE_T0 ))
}

deps() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "Debian packages: all ${#PACKAGES[@]} present"
    return
  fi
  log "Installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

configure() {
  log "Configuring in $BUILD"
  # Ninja; a build tree made by another generator is configured afresh.
  if [ -f "$BUILD/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD/CMakeCache.txt"; then
    rm -rf "$BUILD"
  fi
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHOUQIN_WERROR=ON \
        -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
}
compile() {
  log "Building in $BUILD"
  cmake --build "$BUILD" -j "$JOBS"
}
build() {
  phase configure configure
  phase build compile
}

# ---- the sanitizer build: clang 16 (clang 14 cannot capture structured bindings in lambdas),
# ASan + UBSan + libFuzzer coverage, -O0 (half the compile time of -O1; HOUQIN_SAN_OPT=-O1 fuzzes
# about 12 times faster), only what the C ABI
# tests, the fuzz targets and the short soak need (libhouqin, libhouqin-c, tests/c_abi, tests/fuzz,
# tests/soak), with the same
# unity batches and precompiled headers as the release build. C programs link the C++ part of the
# UBSan runtime (libhouqin-c is C++). ----
SAN_BUILD=${HOUQIN_SAN_BUILD_DIR:-$ROOT/build/sanitize}
# `release_objects <list> <target>...`: builds the given targets of the release tree (current:
# a no-op after ./dev.sh test's build) and writes the absolute paths of their objects to <list>,
# for a sanitizer tree to link uninstrumented instead of compiling them again
# (HOUQIN_PLAIN_LAYER_OBJECTS). A target is `houqin` (the objects of libhouqin's layers) or one
# object file. Fails, and the tree compiles everything itself, without a release tree.
release_objects() {
  local list=$1 target
  shift
  [ -f "$BUILD/build.ninja" ] && (cd "$BUILD" && ninja "$@" >/dev/null) || return 1
  mkdir -p "$(dirname "$list")"
  for target in "$@"; do
    case $target in
      *.o) echo "$target" ;;
      houqin) (cd "$BUILD" && ninja -t commands houqin | grep -- ' -o libhouqin\.so' | tr ' ' '\n' |
                 grep -E '^CMakeFiles/houqin_[a-z]+\.dir/.*\.o$') ;;
    esac
  done | sed "s|^|$BUILD/|" >"$list.new"
  # Rewritten only when it changes, so that an unchanged list does not reconfigure the tree.
  if cmp -s "$list.new" "$list"; then rm -f "$list.new"; else mv "$list.new" "$list"; fi
}
SAN_TARGETS=(c_abi_lifecycle c_abi_errors c_abi_threads c_abi_auth c_abi_robustness c_abi_telemetry
             c_abi_header_c99 c_abi_header_cxx c_api_fuzz http_fuzz block_fuzz point_map_fuzz
             wal_fuzz backup_fuzz soak)
sanitize_build() {
  log "Sanitizer build (clang 16, ASan/UBSan/libFuzzer) in $SAN_BUILD"
  local flags="${HOUQIN_SAN_OPT:--O0} -gline-tables-only -fno-omit-frame-pointer -Wno-unknown-warning-option -fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined"
  if [ -f "$SAN_BUILD/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$SAN_BUILD/CMakeCache.txt"; then
    rm -rf "$SAN_BUILD"
  fi
  # The HTTP sources it leaves uninstrumented: the release tree's objects when it has them.
  local objects="$SAN_BUILD/plain-objects.txt" http=bindings/http/CMakeFiles/houqin_http.dir
  release_objects "$objects" "$http/server.cpp.o" "$http/webhooks.cpp.o" "$http/daemon.cpp.o" ||
    objects=""
  CC=clang-16 CXX=clang++-16 cmake -S "$ROOT" -B "$SAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE= \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined -fsanitize-link-c++-runtime -lstdc++" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DHOUQIN_BUILD_BENCHMARKS=OFF -DHOUQIN_BUILD_PYTHON=OFF \
        -DHOUQIN_BUILD_EXAMPLES=OFF -DHOUQIN_FUZZ_SECONDS="${HOUQIN_FUZZ_SECONDS:-45}" \
        -DHOUQIN_PLAIN_LAYER_OPTIONS="-fno-sanitize=address,undefined,fuzzer-no-link" \
        -DHOUQIN_PLAIN_LAYER_OBJECTS="$objects" \
        -DHOUQIN_HTTP_PLAIN_SOURCES="server.cpp;webhooks.cpp;daemon.cpp" >/dev/null
  cmake --build "$SAN_BUILD" -j "$JOBS" --target "${SAN_TARGETS[@]}"
}
# The C ABI's C tests (every backend) under the sanitizers, then the fuzz regressions and a bounded
# fuzz session. Needs HOUQIN_TEST_PG_URL like the other tests (./dev.sh test starts PostgreSQL).
san_ctest() {
  (cd "$SAN_BUILD" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
     ctest -j "$JOBS" --output-on-failure --timeout 900 -R "$1")
}
sanitize_test() {
  log "C ABI tests under AddressSanitizer"
  phase "sanitizer tests" san_ctest '^(c_abi\.(lifecycle|errors|threads|auth|robustness|telemetry)\.|c_abi\.header_|soak\.)'
  log "Fuzzing"
  [ $# -eq 0 ] || "$@"  # a step started beside the fuzzing (./dev.sh test: the TSan tests)
  phase fuzzing san_ctest '^fuzz\.'
}

# ---- ThreadSanitizer (clang 16): the threaded parts -- the telemetry pipeline, runtime and
# forwarder, the Modbus pollers and acquisition, the host's consumers and scheduler, the platform's
# threads, the HTTP server -- through their tests (docs/reliability.md). Its own tree; only the
# four test programs and what they link are built. The threaded layers and the HTTP binding are
# instrumented at -O1; the domain layers, which start no thread and run on the threads of those
# below, compile uninstrumented at -O0 (HOUQIN_PLAIN_LAYERS); the test programs at -O0. ----
TSAN_BUILD=${HOUQIN_TSAN_BUILD_DIR:-$ROOT/build/tsan}
TSAN_TARGETS=(telemetry_test drivers_test host_test http_test)
TSAN_TESTS='^([A-Za-z]+/)?(PipelineTest|PipelineAcquisitionTest|RuntimeTest|ForwardTest|StagesTest|ModbusPollerTest|AcquisitionTest|DriverTest|ConsumerTest|SchedulerTest|HostTest|LeaseTest|WakerTest|HttpTest)\.'
TSAN_PLAIN_LAYERS="protect;site;auth;notify;inventory;asset;repair;label;waste;inspection;hazard;emergency;patrol;survey;wiring;bi"
tsan_build() {
  log "ThreadSanitizer build (clang 16) in $TSAN_BUILD"
  local flags="-gline-tables-only -fno-omit-frame-pointer -Wno-unknown-warning-option -fsanitize=thread"
  # The plain layers and the webhook sender are the release tree's objects when it has them, so
  # the domains are not compiled a second time.
  local objects="$TSAN_BUILD/plain-layer-objects.txt"
  release_objects "$objects" houqin bindings/http/CMakeFiles/houqin_http.dir/webhooks.cpp.o || objects=""
  # RelWithDebInfo with -O1, so that the test programs get their -O0 (tests/CMakeLists.txt).
  CC=clang-16 CXX=clang++-16 cmake -S "$ROOT" -B "$TSAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 \
        -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
        -DHOUQIN_PLAIN_LAYERS="$TSAN_PLAIN_LAYERS" -DHOUQIN_PLAIN_LAYER_OPTIONS="-O0;-fno-sanitize=thread" \
        -DHOUQIN_PLAIN_LAYER_OBJECTS="$objects" \
        -DHOUQIN_BUILD_BENCHMARKS=OFF -DHOUQIN_BUILD_PYTHON=OFF -DHOUQIN_BUILD_EXAMPLES=OFF >/dev/null
  cmake --build "$TSAN_BUILD" -j "$JOBS" --target "${TSAN_TARGETS[@]}"
}
tsan_ctest() {
  local symbolizer
  symbolizer=$(ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | sort -V | tail -n 1 || true)
  (cd "$TSAN_BUILD" && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1${symbolizer:+ external_symbolizer_path=$symbolizer}" \
     ctest -j "$JOBS" --output-on-failure --timeout 900 -R "$TSAN_TESTS")
}

# ---- steps beside the phases: `beside_start <name> <log> <command...>` runs a step in the
# background, `beside_wait <name>` waits for it. ./dev.sh test builds the ThreadSanitizer tree at
# nice 19 while the release tests run (they leave about a third of the two cores idle, waiting on
# PostgreSQL, brokers and devices; nice 19 takes only what they leave), and runs its tests beside
# the time-bounded fuzzing. The report gives each its own wall time and the time waited for it. ----
declare -A BESIDE_PID=() BESIDE_LOG=() BESIDE_T0=()
beside_start() {
  local name=$1 logfile=$2
  shift 2
  log "Starting $name beside the next phases (log: $logfile)"
  BESIDE_T0[$name]=$(date +%s)
  BESIDE_LOG[$name]=$logfile
  mkdir -p "$(dirname "$logfile")"
  ( "$@" ) >"$logfile" 2>&1 &
  BESIDE_PID[$name]=$!
}
beside_wait() {
  local name=$1 rc=0
  wait "${BESIDE_PID[$name]}" || rc=$?
  unset "BESIDE_PID[$name]"
  PHASES+=("$(printf '%-22s %4d s  (beside the phases above)' "$name" $(( $(date +%s) - BESIDE_T0[$name] )))")
  if [ $rc -ne 0 ]; then
    tail -n 80 "${BESIDE_LOG[$name]}"
    log "$name failed (the whole log: ${BESIDE_LOG[$name]})"
    return $rc
  fi
  tail -n 3 "${BESIDE_LOG[$name]}"
}
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null || true); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}
beside_stop() {
  local pid
  for pid in "${BESIDE_PID[@]}"; do kill_tree "$pid"; done
}

# ---- the tests' temporary files (TMPDIR): in memory where the machine has room, like the
# PostgreSQL cluster below. The tests make and remove thousands of SQLite files, write-ahead logs,
# backups and whole clusters (the failover tests' initdb and pg_basebackup); on ext4 their file
# work and fsyncs cost about 11 CPU-s of system time in the C++ tests alone (docs/development.md).
# A process killed with SIGKILL keeps its page cache, so the crash tests stay as strict. ----
SCRATCH_DIR=""
shm_has_room() {
  [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $4}')" -gt 2097152 ] 2>/dev/null
}
scratch_start() {
  local base=/tmp
  shm_has_room && base=/dev/shm
  SCRATCH_DIR=$(mktemp -d "$base/houqin-tmp.XXXXXX")
  chmod 1777 "$SCRATCH_DIR"  # like /tmp: the postgres user makes its clusters' folders in it
  export TMPDIR="$SCRATCH_DIR"
}
scratch_stop() {
  [ -n "$SCRATCH_DIR" ] || return 0
  rm -rf "$SCRATCH_DIR"
  SCRATCH_DIR=""
}

# ---- a throwaway PostgreSQL cluster: user postgres, socket under /tmp, no TCP ----
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
PG_DIR=""
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_start() {
  # In memory where the machine has room (/dev/shm): the tests create and drop about a hundred
  # tables each, and on ext4 the file work costs the server about four times the CPU
  # (docs/development.md). The cluster is thrown away at the end either way.
  local base=/tmp
  shm_has_room && base=/dev/shm
  PG_DIR=$(mktemp -d "$base/houqin-pg.XXXXXX")
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  log "Starting PostgreSQL in $PG_DIR"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log"; return 1; }
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses='' -k $PG_DIR -c fsync=off -c max_connections=100" start >/dev/null \
    || { cat "$PG_DIR/server.log"; return 1; }
  export HOUQIN_TEST_PG_URL="postgresql://postgres@/postgres?host=$PG_DIR"
  export HOUQIN_REQUIRE_PG=1
  # A fixed test key for hosts that read keys from the environment (the C ABI, Python).
  export HOUQIN_KEYS="test1 WlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo="
}
pg_stop() {
  [ -n "$PG_DIR" ] || return 0
  log "Stopping PostgreSQL"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=""
}

# houqind serves the service desk's database for a bounded time: the registry over HTTP, signed
# in as the desk clerk the desk demo made (docs/daemon.md, docs/http.md).
demo_daemon() {
  local dir="$BUILD/demo" log="$BUILD/demo/houqind.log" simlog="$BUILD/demo/simulator.log"
  local url="" token="" seconds=45
  # The gas panel and two power meters of the Modbus simulator, on a free port; their point
  # map goes into the service desk's database, so that houqind polls them.
  "$BUILD/examples/modbus_simulator" --meters=2 --seconds=$((seconds + 10)) \
    --map="$dir/simulator_map.json" >"$simlog" 2>&1 &
  local sim=$!
  for _ in $(seq 100); do grep -q '^read ' "$simlog" && break; sleep 0.1; done
  PYTHONPATH="$BUILD/python" /usr/bin/python3 - "$dir" <<'PY'
import json, sys
import houqin
d = sys.argv[1]
with houqin.Store("sqlite:" + d + "/desk.sqlite", key_file=d + "/demo.keys") as store:
    houqin.drivers.import_point_map(store, json.load(open(d + "/simulator_map.json")))
PY
  printf '{"store": "sqlite:%s", "keys_file": "%s", "http": {"port": 0},\n "host": {"health_every": "PT0S", "telemetry": {"wal_dir": "%s"}}, "run_for": "PT%dS"}\n' \
    "$dir/desk.sqlite" "$dir/demo.keys" "$dir/wal" "$seconds" >"$dir/houqind.json"
  log "Starting houqind for $seconds s with the simulator's devices ($dir/houqind.json)"
  "$BUILD/bindings/http/houqind" --config "$dir/houqind.json" >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do
    url=$(sed -n 's|.*listening on \(http://[^ ]*\)|\1|p' "$log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  if [ -z "$url" ]; then cat "$log"; wait "$pid" || true; kill "$sim" 2>/dev/null; return 1; fi
  printf '\n  dashboard (服务台):  %s\n  phone pages:        %sm/\n  report from a room: %sm/?room=%s\n' \
    "$url" "$url" "$url" "A-B1-0001"
  printf '  sign in as desk (dashboard, dispatch) or tech (my orders) / Hq-demo-2026; OpenAPI: %sapi/v1/openapi.json\n\n' "$url"
  curl -sf "${url}readyz" && echo
  token=$(curl -sf -X POST "${url}api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"login": "desk", "password": "Hq-demo-2026", "bearer": true}' |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
  echo "signed in as desk; the service desk over HTTP:"
  curl -sf -X POST "${url}api/v1/bi/snapshot" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{}' | head -c 300
  echo
  sleep 3
  echo "the oxygen pressure the dashboard draws (telemetry.series, last 10 minutes):"
  curl -sf -X POST "${url}api/v1/telemetry/series" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"point_ids": [1], "buckets": 4}' | head -c 400
  echo
  echo "houqind stops by itself after $seconds s (open the dashboard meanwhile)"
  wait "$pid"
  wait "$sim" || true
}

run_ctest() {
  (cd "$BUILD" && ctest -j "$JOBS" --output-on-failure --timeout 900 "$@")
}

cmd=${1:-}
case "$cmd" in
  deps) deps ;;
  build) deps; build ;;
  demo)
    deps
    build
    mkdir -p "$BUILD/demo"
    log "Running the demo"
    "$BUILD/examples/hospital_demo" "$ROOT/examples/data/hospital.json" "$BUILD/demo"
    "$BUILD/examples/waste_demo" "$ROOT/examples/data/hospital.json" "$BUILD/demo"
    "$BUILD/examples/survey_demo" "$ROOT/examples/data/hospital.json" "$BUILD/demo"
    "$BUILD/examples/telemetry_demo" "$ROOT/examples/data/hospital.json" \
      "$ROOT/examples/data/point_map.json" "$BUILD/demo"
    # The demo ends on the service desk (服务台), summing up what the others did.
    "$BUILD/examples/desk_demo" "$ROOT/examples/data/hospital.json" "$BUILD/demo"
    demo_daemon
    ;;
  test)
    trap 'beside_stop; pg_stop; scratch_stop; phase_report' EXIT
    phase packages deps
    build
    scratch_start
    pg_start
    if [ $# -gt 1 ]; then
      log "Running the selected tests"
      phase "selected tests" run_ctest "${@:2}"
    else
      log "Running the C++, C and example tests"
      beside_start "TSan build" "$ROOT/build/tsan-build.log" nice -n 19 "$ROOT/dev.sh" tsan-build
      phase "C++ tests" run_ctest -LE '^python$'
      log "Running the Python tests"
      phase "Python tests" run_ctest -L '^python$'
      phase "sanitizer build" sanitize_build
      phase "TSan build, waited" beside_wait "TSan build"
      sanitize_test beside_start "TSan tests" "$ROOT/build/tsan-tests.log" tsan_ctest
      phase "TSan tests, waited" beside_wait "TSan tests"
    fi
    ;;
  sanitize)
    trap 'pg_stop; scratch_stop; phase_report' EXIT
    phase packages deps
    phase "sanitizer build" sanitize_build
    scratch_start
    pg_start
    sanitize_test
    ;;
  tsan-build)  # the ThreadSanitizer tree alone (./dev.sh test runs it beside the tests)
    tsan_build
    ;;
  tsan)
    trap 'pg_stop; scratch_stop; phase_report' EXIT
    phase packages deps
    phase "thread sanitizer build" tsan_build
    scratch_start
    pg_start
    phase "thread sanitizer tests" tsan_ctest
    ;;
  layers)
    deps
    phase configure configure
    cp "$BUILD/layers.dot" docs/layers.dot
    dot -Tsvg docs/layers.dot -o docs/layers.svg
    log "docs/layers.dot and docs/layers.svg rewritten"
    ;;
  docs)
    deps
    phase configure configure
    log "Building the operations_doc generator"
    cmake --build "$BUILD" -j "$JOBS" --target operations_doc
    "$BUILD/tests/operations_doc" docs/operations.md
    log "docs/operations.md rewritten from the service registry"
    ;;
  abi-baseline)
    deps
    build
    bindings/c/abi/abi.sh dump "$BUILD/bindings/c/libhouqin-c.so" bindings/c/abi/libhouqin-c.abi
    ;;
  bench)
    deps
    build
    "$BUILD/benchmarks/store_bench" "${@:2}"
    ;;
  soak)
    # A hospital month at an accelerated clock, at full length (docs/reliability.md); arguments
    # go to the soak program (--days, --points, --seconds, ...).
    deps
    phase configure configure
    cmake --build "$BUILD" -j "$JOBS" --target soak
    "$BUILD/tests/soak" "${@:2}"
    ;;
  *)
    echo "usage: ./dev.sh demo | test [ctest args] | build | deps | bench [benchmark args] | soak [soak args] | abi-baseline | sanitize | tsan | tsan-build | layers | docs" >&2
    exit 2
    ;;
esac
