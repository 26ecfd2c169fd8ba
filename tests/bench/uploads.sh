#!/usr/bin/env bash
# Benchmark: 50 students upload a 5 MB photo each at the same moment (a class handing in work at
# the bell). Records the wall time, throughput, partad's peak RSS, and checks every photo arrived
# intact (its SHA-256 is a blob of the store and a submission file).
#   tests/bench/uploads.sh [PARTAD] [PARTA] [STUDENTS] [MB]
# Everything runs on 127.0.0.1 and is stopped on exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
partad=${1:-$here/../../build/server/partad}
parta=${2:-$here/../../build/tools/parta}
n=${3:-50}
mb=${4:-5}
tmp=$(mktemp -d /tmp/parta-upbench.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

# The demo school plus $n more students in 5А, imported from a roster like a school would.
"$parta" --data "$tmp/data" demo >/dev/null
{
  echo "Класс;Фамилия;Имя;Номер ученика;Логин"
  for i in $(seq "$n"); do echo "5А;Нагрузкин;Ученик;B$i;bench$i"; done
} >"$tmp/roster.csv"
"$parta" --data "$tmp/data" roster import "$tmp/roster.csv" >"$tmp/creds.txt"

start_partad "$partad" "$tmp/partad.log" --data "$tmp/data" --threads 64
pid=$PARTAD_PID
base=$PARTAD_BASE
login() { sign_in "$base" "$@"; }

# The teacher sets the assignment.
login "$tmp/t.jar" smirnova demo2026
csrf=$(csrf_of "$(curl -s -b "$tmp/t.jar" "$base/assignments")")
class=$(curl -s -b "$tmp/t.jar" "$base/api/v1/classes" | python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["name"]=="5А"][0])')
subject=$(curl -s -b "$tmp/t.jar" "$base/assignments" | grep -o "new?class=$class&amp;subject=[0-9]*" | head -1 | grep -o '[0-9]*$')
loc=$(curl -s -b "$tmp/t.jar" -o /dev/null -w '%{redirect_url}' -F "csrf=$csrf" -F "class_id=$class" \
  -F "subject_id=$subject" -F "title=Фото тетради" -F grading=mark -F due_date=2099-01-01 \
  -F due_time=18:00 "$base/assignments")
aid=${loc##*/}

# Each student: a session, a CSRF token, their own photo (random bytes behind a JPEG header).
for i in $(seq "$n"); do
  pin=$(awk -v l="bench$i" '$0 ~ " "l" " {print $NF}' "$tmp/creds.txt")
  login "$tmp/s$i.jar" "bench$i" "$pin"
  sid=$(curl -s -b "$tmp/s$i.jar" "$base/api/v1/me" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  echo "$sid" >"$tmp/s$i.id"
  csrf_of "$(curl -s -b "$tmp/s$i.jar" "$base/assignments/$aid/students/$sid")" >"$tmp/s$i.csrf"
  { printf '\xff\xd8\xff\xe0'; head -c $((mb * 1024 * 1024 - 4)) /dev/urandom; } >"$tmp/p$i.jpg"
done
grep VmHWM /proc/$pid/status >"$tmp/rss_before"

start=$(date +%s.%N)
for i in $(seq "$n"); do
  sid=$(cat "$tmp/s$i.id")
  curl -s -b "$tmp/s$i.jar" -o /dev/null -w '%{http_code}\n' -F "csrf=$(cat "$tmp/s$i.csrf")" \
    -F "files=@$tmp/p$i.jpg;type=image/jpeg" "$base/assignments/$aid/students/$sid/submit" \
    >"$tmp/s$i.code" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
end=$(date +%s.%N)
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)

ok=0
for i in $(seq "$n"); do
  code=$(cat "$tmp/s$i.code")
  sha=$(sha256sum "$tmp/p$i.jpg" | cut -d' ' -f1)
  blob="$tmp/data/blobs/${sha:0:2}/$sha"
  recorded=$(sqlite3 "$tmp/data/parta.db" "SELECT COUNT(*) FROM submission_files WHERE sha256 = '$sha'")
  if [ "$code" = 303 ] && [ -f "$blob" ] && [ "$(sha256sum "$blob" | cut -d' ' -f1)" = "$sha" ] &&
     [ "$recorded" = 1 ]; then
    ok=$((ok + 1))
  else
    echo "student $i: HTTP $code, blob $( [ -f "$blob" ] && echo present || echo missing), recorded $recorded" >&2
  fi
done
secs=$(python3 -c "print(round($end - $start, 2))")
mbps=$(python3 -c "print(round($n * $mb / ($end - $start), 1))")
cat <<MD
### $(date -u +%Y-%m-%d) — $n students upload a $mb MB photo at once

- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -m), $(. /etc/os-release; echo "$PRETTY_NAME"); the $n curl clients share the cores
- partad ($(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown), 64 threads, data on the local disk): all $n uploads done in **${secs} s**, **${mbps} MB/s** in total
- stored intact: **$ok / $n** (SHA-256 of each photo is a blob and exactly one submission file)
- partad peak RSS: **$((rss_kb / 1024)) MiB** ($rss_kb kB VmHWM, $(awk '{print $2}' "$tmp/rss_before") kB before the uploads); target < 64 MiB $( ((rss_kb < 65536)) && echo met || echo MISSED)
MD
[ "$ok" = "$n" ]
