#!/usr/bin/env bash
# Installs what is missing, builds, and starts the portal with a demo school on
# http://127.0.0.1:8080, served the way the box serves it: the box's nginx front on
# 127.0.0.1:8080 (its configuration rendered by firmware/bin/parta-render-config --front, as
# parta-front.service renders it), partad behind it on 127.0.0.1:8081. Data goes to ./data, the
# front's files (partad.conf, nginx.conf, its log, buffered bodies) to ./data/front. The demo
# logins are printed at start. Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARTA_TESTS=OFF >/dev/null
cmake --build build -j2 --target partad parta

data=$PWD/data
front=$data/front
mkdir -p "$front"
# The box's /etc/parta/partad.conf (firmware/config/partad.conf), with the demo's folder and ports.
cat >"$front/partad.conf" <<EOF
# Written by tools/run-demo.sh at each start.
data = $data
listen = 127.0.0.1:8081
trusted_front = 127.0.0.1
accel_prefix = /_accel/blobs/
portal_host = 127.0.0.1:8080
threads = 32
EOF
firmware/bin/parta-render-config --front "$front/nginx.conf" --partad-conf "$front/partad.conf" \
  --listen 127.0.0.1:8080 --run-dir "$front" --errors "$PWD/firmware/front" \
  --templates "$PWD/firmware/config" >/dev/null

# Unprivileged, nginx runs as whoever started the demo; started by root, its workers would become
# "nobody", who cannot read partad's files (0640), so they stay root then.
globals="daemon off;"
[ "$(id -u)" -ne 0 ] || globals="daemon off; user root;"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
"$nginx" -p "$front" -c "$front/nginx.conf" -g "$globals" 2>>"$front/nginx.log" &
nginx_pid=$!
trap 'kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true' EXIT
sleep 0.3
kill -0 "$nginx_pid" 2>/dev/null || { tail -5 "$front/nginx.log" >&2; exit 1; }
build/server/partad --config "$front/partad.conf" --demo "$@"
