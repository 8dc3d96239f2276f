#!/usr/bin/env bash
# The layers are enforced by the build (cmake/houqinLayers.cmake): each layer compiles against a
# view of include/houqin that holds only itself and the layers below it. This test shows that the
# views refuse what they must and accept what they may, with the compiler the build uses, and
# that docs/layers.dot is the graph the build wrote.
#   layers.sh <c++ compiler> <build dir> <source dir>
set -euo pipefail
cxx=$1 build=$2 src=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The committed graph is current (./dev.sh layers rewrites it).
diff -u "$src/docs/layers.dot" "$build/layers.dot" ||
  fail "docs/layers.dot differs from the layer graph of the build: run ./dev.sh layers"

# 2. Upward includes fail, with the compiler the build uses: a probe TU of a layer compiles
#    against that layer's view only.
probe() {  # probe <layer> <header>: 0 when a TU of <layer> including <header> compiles
  printf '#include "%s"\n' "$2" |
    "$cxx" -std=c++20 -fsyntax-only -I"$build/layers/$1/include" -I"$build/layers/$1/src" \
      -I"$build/include" -x c++ - 2>/dev/null
}
# A lower layer may not include a higher one; it may include itself and what is below it.
probe store "houqin/store/repository.hpp" || fail "store cannot include its own header"
probe store "houqin/core/json.hpp" || fail "store cannot include core"
probe repair "houqin/site/model.hpp" || fail "repair cannot include site"
! probe store "houqin/repair/model.hpp" || fail "store includes repair"
! probe core "houqin/store/store.hpp" || fail "core includes store"
! probe telemetry "houqin/gas/profile.hpp" || fail "telemetry includes gas"
! probe protect "houqin/site/model.hpp" || fail "protect includes site"
! probe site "houqin/auth/auth.hpp" || fail "site includes auth"
! probe repair "houqin/wiring/wiring.hpp" || fail "repair includes wiring"
echo "layers enforced: upward includes refused, downward ones accepted, docs/layers.dot current"
