# Sourced by image/*.sh and tests/image/*.sh: lock CMD... runs CMD holding /tmp/parta-build.lock,
# the lock every build, test run and qemu job on this 2-core machine takes, so two never run at
# once. When an ancestor already holds it (ctest run under `flock /tmp/parta-build.lock ...`,
# or one of these scripts calling another) CMD just runs: waiting for it would wait forever.
PARTA_LOCK=/tmp/parta-build.lock
lock() {
  local p=$$ ino
  touch "$PARTA_LOCK" 2>/dev/null || true
  ino=$(stat -c %i "$PARTA_LOCK")
  while [ "${p:-0}" -gt 1 ]; do
    if awk -v pid="$p" -v ino="$ino" '$2 == "FLOCK" && $5 == pid && $6 ~ (":" ino "$") { f = 1 }
                                       END { exit !f }' /proc/locks; then
      "$@"
      return
    fi
    p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
  done
  flock "$PARTA_LOCK" "$@"
}
