#!/usr/bin/env bash
# Benchmark: import a 1 GB content pack of 500 items with `parta content import`. Records the time,
# the peak RSS and the bytes the import wrote to disk (GNU time's "File system outputs", 512-byte
# blocks); the target is every item written once, i.e. about 1 GB.
#   tests/bench/pack_import.sh [PARTA] [ITEMS] [ITEM_MB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
parta=${1:-$here/../../build/tools/parta}
n=${2:-500}
mb=${3:-2}
tmp=$(mktemp -d /tmp/parta-packbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/make_pack.py" "$tmp/pack.tar" "$n" $((mb * 1024 * 1024))
"$parta" --data "$tmp/data" init >/dev/null
sync
/usr/bin/time -v "$parta" --data "$tmp/data" content import "$tmp/pack.tar" --reserve-mb 0 \
  >"$tmp/out" 2>"$tmp/time"
total=$((n * mb * 1024 * 1024))
blocks=$(awk -F': ' '/File system outputs/ {print $2}' "$tmp/time")
written=$((blocks * 512))
secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time")
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
stored=$(find "$tmp/data/blobs" -type f | wc -l)
cat <<MD
### $(date -u +%Y-%m-%d) — a $((total >> 20)) MB pack of $n items imported

- machine: $(nproc) cores, $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"), the data folder on the local disk
- \`parta content import\` ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)): **$secs** (m:ss) wall time, peak RSS **$((rss / 1024)) MiB**
- written to disk by the import: **$((written >> 20)) MB** for $((total >> 20)) MB of items ($(python3 -c "print(round($written / $total, 3))")×); $stored blobs stored
- $(cat "$tmp/out")
MD
