# Shared by the benchmark scripts (sourced, not run): start partad on a free port of 127.0.0.1 and
# sign in through the real form.

# start_partad BINARY LOGFILE ARGS... → sets PARTAD_PID and PARTAD_BASE (http://127.0.0.1:PORT).
start_partad() {
  local binary=$1 log=$2 port=""
  shift 2
  "$binary" --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  PARTAD_PID=$!
  for _ in $(seq 100); do
    port=$(grep -o '(port [0-9]*)' "$log" | grep -o '[0-9]*' || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$log"; return 1; }
  PARTAD_BASE=http://127.0.0.1:$port
}

# csrf_of HTML → the page's CSRF token
csrf_of() { grep -o 'name="csrf" value="[^"]*"' <<<"$1" | head -1 | sed 's/.*value="//; s/"$//'; }

# sign_in BASE JAR LOGIN SECRET → the session cookie lands in the curl cookie jar JAR
sign_in() {
  local csrf
  csrf=$(csrf_of "$(curl -s -c "$2" -b "$2" "$1/login")")
  curl -s -c "$2" -b "$2" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "login=$3" \
    --data-urlencode "secret=$4" --data-urlencode "next=/" "$1/login"
}

# session_of JAR → the parta_session cookie's value
session_of() { awk '$6 == "parta_session" {print $7}' "$1"; }
