#!/usr/bin/env bash
# Installs everything Parta needs to build, run and test, from Debian packages only.
# Idempotent: run it as often as you like; it installs only what is missing.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  # design card and chosen libraries
  libboost-dev libcivetweb-dev civetweb libsqlite3-dev sqlite3 libsodium-dev
  nlohmann-json3-dev libmstch-dev libcsv-dev libcmark-dev libxlsxwriter-dev libarchive-dev libzstd-dev
  libqrencode-dev libcairo2-dev libpango1.0-dev libzxing-dev libcups2-dev libpoppler-glib-dev
  libqpdf-dev
  libvips-dev libsystemd-dev fonts-dejavu-core fonts-noto-core
  # the district hub's database: PostgreSQL 15 (libpq; the tests start their own cluster)
  libpq-dev postgresql-15 postgresql-client-15
  # the reference library: ZIM archives (libzim); the tests make archives with python3-libzim,
  # and the benchmark runs kiwix-serve beside partad on the same archive
  libzim-dev python3-libzim zim-tools kiwix-tools
  # printing on the box (and the tests' virtual IPP printer)
  cups cups-ipp-utils avahi-daemon
  # the firmware layer's tests check the rendered access-point and DNS configuration; the USB
  # stick test makes exFAT and FAT32 stick images (exfat-fuse mounts exFAT where the kernel has no
  # driver) and runs the district hub a day ahead (faketime)
  dnsmasq-base hostapd dosfstools exfatprogs exfat-fuse mtools util-linux faketime
  # tests and benchmarks
  zlib1g-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev curl poppler-utils chromium chromium-driver python3-selenium
  nginx-light wrk time zstd python3-pil python3-numpy python3-cryptography sqlite3
  procps
  # the travel copies' legibility bench: notebook photos in handwriting-like fonts with Cyrillic,
  # read back by tesseract in Russian (tests/fixtures/notebook, tests/bench/travel_copies.py)
  tesseract-ocr tesseract-ocr-rus fonts-seto fonts-klee
  # the SD image booted under full-system emulation (tests/image/box_test.py, nightly): qemu's
  # arm64 machines, qemu-img and qemu-storage-daemon (the card with the box off), the partition
  # table and the boot partition read without mounting, e2fsck on the card's partitions
  qemu-system-arm qemu-utils qemu-system-common fdisk e2fsprogs
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
