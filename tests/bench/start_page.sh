#!/usr/bin/env bash
# Benchmark: the logged-in student start page from partad vs the same bytes as a static file from
# nginx, both gzip-compressed, with wrk at 64 connections, in the same run on the same machine.
# Prints a Markdown block for RESULTS.md (throughput ratio, p99 latency, partad's peak RSS).
#   tests/bench/start_page.sh [PARTAD_BINARY] [SECONDS]
# Needs nginx and wrk (tools/install-deps.sh). Traffic stays on 127.0.0.1; everything it starts
# is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
partad=${1:-$here/../../build/server/partad}
seconds=${2:-15}
conns=64
tmp=$(mktemp -d /tmp/parta-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# partad with the demo school
start_partad "$partad" "$tmp/partad.log" --data "$tmp/data" --demo --threads 64
partad_pid=$PARTAD_PID
pids+=("$partad_pid")
base=$PARTAD_BASE

# Sign in as a student (demo: ivanov.a / PIN 202620) through the real form.
jar=$tmp/cookies
sign_in "$base" "$jar" ivanov.a 202620
session=$(session_of "$jar")
[ -n "$session" ] || { echo "sign-in failed"; exit 1; }
cookie="Cookie: parta_session=$session"
curl -s -H "$cookie" -H 'Accept-Encoding: gzip' -o "$tmp/page.gz" "$base/"
gunzip -c "$tmp/page.gz" >"$tmp/index.html"
grep -q 'Здравствуй' "$tmp/index.html" || { echo "not the student start page"; exit 1; }

# nginx serving the same page, pre-compressed (gzip_static), as a static file.
mkdir -p "$tmp/www" "$tmp/nginx"
cp "$tmp/index.html" "$tmp/www/index.html"
cp "$tmp/page.gz" "$tmp/www/index.html.gz"
nport=$(free_port)
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
  server {
    listen 127.0.0.1:$nport;
    root $tmp/www;
    gzip_static on;
    default_type text/html;
  }
}
NGINX
nginx -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
sleep 0.5

run_wrk() {  # url, extra header → "rps p99_ms"
  local out
  out=$(wrk -t2 -c$conns -d"${seconds}s" --latency -H 'Accept-Encoding: gzip' -H "$2" "$1")
  echo "$out" >&2
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  # wrk prints 1.23ms, 456.00us or 1.02s
  p99=$(python3 -c "v='$p99'; print(round(float(v[:-2])/1000,3) if v.endswith('us') else round(float(v[:-2]),3) if v.endswith('ms') else round(float(v[:-1])*1000,3))")
  echo "$rps $p99"
}

read -r p_rps p_p99 < <(run_wrk "$base/" "$cookie")
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/"$partad_pid"/status)
read -r n_rps n_p99 < <(run_wrk "http://127.0.0.1:$nport/index.html" "X-Bench: 1")
ratio=$(python3 -c "print(round($p_rps / $n_rps, 3))")
bytes=$(stat -c %s "$tmp/page.gz")

cat <<MD
### $(date -u +%Y-%m-%d) — student start page, $conns connections, ${seconds}s each

- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"); wrk and the servers share the cores
- page: the signed-in student's start page, $bytes bytes gzipped ($(stat -c %s "$tmp/index.html") bytes of HTML)
- partad ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown), 64 threads): **$p_rps req/s**, p99 **$p_p99 ms**, peak RSS **$((rss_kb / 1024)) MiB** ($rss_kb kB VmHWM)
- nginx $(nginx -v 2>&1 | sed 's/.*\///') static file (gzip_static): $n_rps req/s, p99 $n_p99 ms
- partad / nginx throughput: **$ratio**
- targets: p99 < 50 ms $(python3 -c "print('met' if $p_p99 < 50 else 'MISSED')"), RSS < 64 MiB $( ((rss_kb < 65536)) && echo met || echo MISSED)
MD
