#!/usr/bin/env bash
# Installs what is missing, builds, and starts the portal with a demo school on
# http://127.0.0.1:8080 (data in ./data). The demo logins are printed at start. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARTA_TESTS=OFF >/dev/null
cmake --build build -j2 --target partad parta
exec build/server/partad --data data --listen 127.0.0.1:8080 --demo "$@"
