#!/usr/bin/env bash
# Benchmark: 30 clients download the same 50 MB video lesson from the library at once, from partad
# and from nginx serving the same file in the same run (wrk, 30 connections, whole-file GETs).
# Prints a Markdown block for RESULTS.md: transfer rate of each, the ratio, partad's peak RSS.
#   tests/bench/downloads.sh [PARTAD] [PARTA] [SECONDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
partad=${1:-$here/../../build/server/partad}
parta=${2:-$here/../../build/tools/parta}
seconds=${3:-15}
tmp=$(mktemp -d /tmp/parta-dlbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

python3 "$here/make_pack.py" "$tmp/video.tar" 1 $((50 * 1024 * 1024))
"$parta" --data "$tmp/data" demo >/dev/null
"$parta" --data "$tmp/data" content import "$tmp/video.tar" --reserve-mb 0 >/dev/null
start_partad "$partad" "$tmp/partad.log" --data "$tmp/data" --threads 64
pid=$PARTAD_PID
pids+=("$pid")
base=$PARTAD_BASE
sign_in "$base" "$tmp/jar" ivanov.a 202620
session=$(session_of "$tmp/jar")
item=$(curl -s -b "$tmp/jar" "$base/library?q=%D0%92%D0%B8%D0%B4%D0%B5%D0%BE" | grep -o '/library/[0-9]*"' | head -1 | tr -d '"')
url="$base$item/file"
sha=$(sqlite3 "$tmp/data/parta.db" "SELECT sha256 FROM library_items WHERE title = 'Видеоурок 1'")
mkdir -p "$tmp/www"
cp "$tmp/data/blobs/${sha:0:2}/$sha" "$tmp/www/video.mp4"
chmod 755 "$tmp" "$tmp/www"
chmod 644 "$tmp/www/video.mp4"
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/nginx.conf" <<NGINX
worker_processes auto;
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; types { video/mp4 mp4; }
  client_body_temp_path $tmp; proxy_temp_path $tmp; fastcgi_temp_path $tmp; uwsgi_temp_path $tmp; scgi_temp_path $tmp;
  server { listen 127.0.0.1:$nport; root $tmp/www; } }
NGINX
nginx -c "$tmp/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5
# A sanity check: the bytes arrive whole, from both.
[ "$(curl -s "http://127.0.0.1:$nport/video.mp4" | sha256sum | cut -d" " -f1)" = "$sha" ]
[ "$(curl -s -H "Cookie: parta_session=$session" "$url" | sha256sum | cut -d' ' -f1)" = "$sha" ]

rate() {  # wrk output → MB/s
  awk '/Transfer\/sec/ {v=$2; u=substr(v, length(v)-1); n=substr(v, 1, length(v)-2);
       if (u=="GB") n*=1024; if (u=="KB") n/=1024; print n}'
}
p_out=$(wrk -t2 -c30 -d"${seconds}s" -H "Cookie: parta_session=$session" "$url")
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
n_out=$(wrk -t2 -c30 -d"${seconds}s" "http://127.0.0.1:$nport/video.mp4")
p_rate=$(rate <<<"$p_out")
n_rate=$(rate <<<"$n_out")
ratio=$(python3 -c "print(round($p_rate / $n_rate, 3))")
cat <<MD
### $(date -u +%Y-%m-%d) — 30 clients download one 50 MB video, ${seconds} s each

- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"); wrk and the servers share the cores
- partad ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)): **$p_rate MB/s** ($(awk '/requests in/ {print $1}' <<<"$p_out") whole downloads), peak RSS **$((rss_kb / 1024)) MiB**
- nginx $(nginx -v 2>&1 | sed 's/.*\///') (sendfile on): $n_rate MB/s ($(awk '/requests in/ {print $1}' <<<"$n_out") whole downloads)
- partad / nginx: **$ratio** (target ≥ 0.8 $(python3 -c "print('met' if $ratio >= 0.8 else 'MISSED')")); RSS < 64 MiB $( ((rss_kb < 65536)) && echo met || echo MISSED)
MD
