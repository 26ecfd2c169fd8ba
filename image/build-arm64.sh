#!/usr/bin/env bash
# Cross-builds Parta for arm64 on Debian 12 amd64, runs its unit tests under qemu-user and makes
# parta_<version>_arm64.deb. Installs what is missing (the cross compiler, qemu-user-static, the
# arm64 multiarch -dev packages); idempotent.
# Usage: image/build-arm64.sh [--ci] [--no-tests] [--build-dir DIR]
#   default    every unit test and fuzz smoke under qemu, then the first-boot check (parta
#              firstboot, partad on HTTP, the admin signs in) with the arm64 programs under qemu
#   --ci       the subset CI runs (see image/README.md): partad, parta and the content tests
#              built; the content tests, the fuzz smokes of the bundle and pack readers and the
#              first-boot check run under qemu
#   --no-tests build and package only
# Every heavy step takes /tmp/parta-build.lock, so it never runs at the same time as another build
# on this 2-core machine. The .deb ends up in the build folder (default build-arm64/).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-arm64
tests=default
while (($#)); do
  case "$1" in
    --ci) tests=ci; shift ;;
    --no-tests) tests=none; shift ;;
    --build-dir) build=$(realpath -m "$2"); shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-arm64: unknown option $1" >&2; exit 2 ;;
  esac
done
. "$src/image/lock.sh"  # lock CMD...: runs CMD holding /tmp/parta-build.lock
say() { printf '== %s\n' "$*"; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive

# ---- what the build needs ----
host_packages=(crossbuild-essential-arm64 qemu-user-static cmake pkg-config file dpkg-dev
               nlohmann-json3-dev libboost-dev civetweb)
# The arm64 twins of tools/install-deps.sh's -dev packages that the build links (nlohmann-json
# is arch-all; Boost is headers only, the amd64 package serves), plus the runtime libraries of
# libvips42 except libopenslide0 (see the overlay below).
arm64_dev=(libcivetweb-dev libsqlite3-dev libsodium-dev libmstch-dev libcsv-dev libcmark-dev
           libxlsxwriter-dev libarchive-dev libzstd-dev libqrencode-dev libcairo2-dev
           libpango1.0-dev libzxing-dev libcups2-dev libpoppler-dev libpoppler-glib8
           libglib2.0-dev libsystemd-dev zlib1g-dev libcurl4-openssl-dev libgtest-dev libgmock-dev
           libzim8 libxapian30 libicu-dev liblzma-dev libqpdf-dev libpq5 libssl-dev)
# Not Multi-Arch: same, so apt would remove their amd64 twins (and with them the host's
# libvips-dev): these are unpacked into an overlay folder instead, never installed.
overlay_debs=(libvips42 libvips-dev libopenslide0 libpoppler-glib-dev libzim-dev libxapian-dev
              libpq-dev)

missing() {  # prints the packages of "$@" that are not installed
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
apt_install() {
  lock $sudo apt-get install -y --no-install-recommends "$@"
}

t0=$SECONDS
mapfile -t need < <(missing "${host_packages[@]}")
if ((${#need[@]})); then
  say "installing ${need[*]}"
  lock $sudo apt-get update -qq
  apt_install "${need[@]}"
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  say "adding the arm64 architecture to dpkg"
  $sudo dpkg --add-architecture arm64
  lock $sudo apt-get update -qq
fi
if ! apt-cache show libvips42:arm64 >/dev/null 2>&1; then lock $sudo apt-get update -qq; fi

# libvips42:arm64's own dependencies (and libopenslide0's), read from the packages themselves.
overlay=$build/overlay
mkdir -p "$build/debs"
for p in "${overlay_debs[@]}"; do
  compgen -G "$build/debs/${p}_*_arm64.deb" >/dev/null ||
    (cd "$build/debs" && lock apt-get download -q -o APT::Sandbox::User=root "$p:arm64")
done
runtime=()
for p in libvips42 libopenslide0; do
  deps=$(dpkg-deb -f "$(ls "$build"/debs/${p}_*_arm64.deb)" Depends)
  for d in $(echo "$deps" | tr ',' '\n' | sed -e 's/(.*)//' -e 's/|.*//' -e 's/ //g'); do
    case "$d" in libvips42 | libopenslide0 | "") ;; *) runtime+=("$d") ;; esac
  done
done
mapfile -t need < <(missing $(printf '%s:arm64\n' "${arm64_dev[@]}" "${runtime[@]}" | sort -u))
if ((${#need[@]})); then
  say "installing arm64 packages: ${need[*]}"
  # Refuse anything that would remove a package (an amd64 twin that is not Multi-Arch: same).
  if apt-get install -s --no-install-recommends "${need[@]}" | grep '^Remv'; then
    echo "build-arm64: installing these would remove the packages above; stopping" >&2
    exit 1
  fi
  apt_install "${need[@]}"
fi
stamp=$(cd "$build/debs" && ls -- *_arm64.deb | sha256sum | cut -c1-16)
if [ "$(cat "$overlay/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "unpacking ${overlay_debs[*]} (arm64) into $overlay"
  rm -rf "$overlay"
  mkdir -p "$overlay"
  for d in "$build"/debs/*_arm64.deb; do dpkg-deb -x "$d" "$overlay"; done
  # Their .pc files point into the overlay (the .so links are relative). vips lists two dozen
  # Requires.private that pkg-config insists on finding even for dynamic linking; we never link
  # it statically, so they go (the libraries themselves are installed, for the linker and qemu).
  sed -i -e "s|=/usr/|=$overlay/usr/|" -e "s|=/usr\$|=$overlay/usr|" \
    "$overlay"/usr/lib/aarch64-linux-gnu/pkgconfig/*.pc
  sed -i '/^Requires.private:/d' "$overlay"/usr/lib/aarch64-linux-gnu/pkgconfig/vips*.pc
  # A -dev package's .so link whose library is installed (libpoppler-glib8:arm64) points there.
  for l in "$overlay"/usr/lib/aarch64-linux-gnu/*.so; do
    [ -e "$l" ] || ln -sfn "/usr/lib/aarch64-linux-gnu/$(readlink "$l")" "$l"
  done
  # What dpkg-shlibdeps cannot find out for unpacked libraries: the package to depend on.
  v=$(dpkg-deb -f "$(ls "$build"/debs/libvips42_*_arm64.deb)" Version)
  echo "libvips42 (>= ${v%%-*})" >"$overlay/depends"
  echo "$stamp" >"$overlay/.stamp"
fi
t_deps=$((SECONDS - t0))

# ---- configure and build ----
t0=$SECONDS
say "configuring $build"
lock cmake -S "$src" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$src/image/arm64-toolchain.cmake" \
  -DPARTA_ARM64_OVERLAY="$overlay" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >"$build/configure.log" ||
  { cat "$build/configure.log"; exit 1; }
say "building partad (with its helper parta-paper) and parta"
lock cmake --build "$build" -j2 --target partad parta
t_build=$((SECONDS - t0))
file "$build/server/partad" | grep -q 'ARM aarch64' || { echo "partad is not arm64" >&2; exit 1; }

# ---- tests under qemu-user ----
# CI's subset: the content library's tests (bundles, durable files), the fuzz smokes of the two
# readers of what arrives on a stick (sync bundles, content packs), and the first-boot check.
ci_fuzz=(bundle pack)
t_build_tests=0 t_tests=0
if [ "$tests" != none ]; then
  t0=$SECONDS
  targets=(parta_content_tests)
  if [ "$tests" = ci ]; then
    for f in "${ci_fuzz[@]}"; do targets+=("fuzz_$f"); done
  else
    targets+=(parta_unit_tests)
    for f in "$src"/tests/fuzz/*_fuzz.cpp; do
      f=${f##*/}
      targets+=("fuzz_${f%_fuzz.cpp}")
    done
  fi
  say "building ${targets[*]}"
  lock cmake --build "$build" -j2 --target "${targets[@]}"
  t_build_tests=$((SECONDS - t0))

  t0=$SECONDS
  say "tests under qemu-aarch64 ($tests)"
  args=(--output-on-failure -j2 --timeout 900)
  if [ "$tests" = ci ]; then
    (cd "$build" && lock ctest "${args[@]}" -L content)
    (cd "$build" && lock ctest "${args[@]}" -R "^fuzz_smoke_($(IFS='|'; echo "${ci_fuzz[*]}"))\$")
  else
    (cd "$build" && lock ctest "${args[@]}" -L 'unit|fuzz')
  fi
  # The first boot with the arm64 programs: parta firstboot makes the keys and the admin, partad
  # serves HTTP on a free port, the admin signs in with the password and changes it
  # (tests/firmware/firstboot_test.py, given the wrappers image/CMakeLists.txt generates: each
  # runs the program under CMAKE_CROSSCOMPILING_EMULATOR, the toolchain's qemu command line).
  say "first boot under qemu-aarch64"
  lock python3 "$src/tests/firmware/firstboot_test.py" --partad "$build/qemu/partad" \
    --parta "$build/qemu/parta"
  t_tests=$((SECONDS - t0))
fi

# ---- the .deb ----
# (cpack installs partad, parta-paper and parta as built above; CMAKE_SKIP_INSTALL_ALL_DEPENDENCY
# keeps it from first building every other target, the integration tests included.)
t0=$SECONDS
say "packaging"
rm -f "$build"/parta_*_arm64.deb
(cd "$build" && lock env DEB_HOST_ARCH=arm64 cpack -G DEB >"$build/cpack.log") ||
  { cat "$build/cpack.log"; exit 1; }
deb=$(ls "$build"/parta_*_arm64.deb)
dpkg-deb -f "$deb" Architecture | grep -qx arm64
dpkg-deb -f "$deb" Depends | grep -q 'libsqlite3-0' ||
  { echo "build-arm64: $deb has no library dependencies" >&2; exit 1; }
t_pack=$((SECONDS - t0))
say "done: $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends
echo "times (s): packages $t_deps, configure+build of partad and parta $t_build," \
  "test programs $t_build_tests, tests under qemu $t_tests, package $t_pack"
