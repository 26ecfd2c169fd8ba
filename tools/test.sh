#!/usr/bin/env bash
# Builds Parta and runs the whole test suite: unit, integration (real partad over HTTP), role x
# route permissions, fuzz smoke runs, the i18n check and the headless-Chromium browser test.
#   tools/test.sh              normal build in build/
#   tools/test.sh --sanitize   ASan + UBSan build in build-asan/
# PARTA_LONG_TESTS=1 in the environment adds the long runs (-DPARTA_LONG_TESTS=ON): many kill
# points, the full flaky-link profile, the whole arm64 suite under qemu-user and the SD image, which
# is then booted under qemu-system-aarch64: boot, power cuts and card writes (tests/image/box_test.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh

build=build
opts=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARTA_WERROR=ON -DPARTA_TESTS=ON)
case "${PARTA_LONG_TESTS:-}" in "" | 0 | OFF | off) opts+=(-DPARTA_LONG_TESTS=OFF) ;;
  *) opts+=(-DPARTA_LONG_TESTS=ON) ;; esac
if [[ "${1:-}" == "--sanitize" ]]; then
  build=build-asan
  opts+=(-DPARTA_SANITIZE=ON)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp
fi
cmake -S . -B "$build" "${opts[@]}" >/dev/null
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
