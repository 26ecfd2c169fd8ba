#!/bin/bash
# A real IPP printer for the tests, and a CUPS scheduler of their own in front of it, all under
# one folder and all stopped when this script is killed: a private D-Bus (ippeveprinter needs
# Avahi, Avahi needs D-Bus), Avahi on loopback, ippeveprinter (cups-ipp-utils) writing what it
# prints into $DIR/spool, and cupsd -f with a queue "parta" (IPP Everywhere, A4).
# Usage: virtual_printer.sh DIR    — prints "ready CUPS_SERVER=<socket>" once the queue accepts jobs.
# Needs cups, cups-ipp-utils and avahi-daemon; the helpers run as "nobody", Avahi starts as root.
set -u
W=${1:?usage: virtual_printer.sh DIR}
PORT=${PRINTER_PORT:-8631}
AS_NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
[ "$(id -u)" = 0 ] || AS_NOBODY=""
# Only one avahi-daemon can run (it keeps /run/avahi-daemon/pid). One left behind by an earlier
# run of this script that was killed outright serves a D-Bus that is gone: stop it. (A system
# avahi-daemon is not matched: it does not run with a …/printer/avahi.conf of ours.)
pkill -KILL -f 'avahi-daemon -f .*/printer/avahi.conf' 2>/dev/null && sleep 0.5
rm -rf "$W"; mkdir -p "$W/spool" "$W/cups/"{etc/ppd,etc/ssl,spool/temp,cache,state,log}
PIDS=()
# Stopped last-started first (D-Bus last, or Avahi spins without it), then anything left is killed.
cleanup() {
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[i]}" 2>/dev/null; sleep 0.2; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 0' TERM INT

cat > "$W/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$W/dbus.sock</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/></policy>
</busconfig>
CONF
cat > "$W/avahi.conf" <<CONF
[server]
allow-interfaces=lo
enable-dbus=yes
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
chmod -R a+rwX "$W"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$W/dbus.sock
$AS_NOBODY dbus-daemon --config-file="$W/dbus.conf" --nofork > "$W/dbus.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do [ -S "$W/dbus.sock" ] && break; sleep 0.1; done
avahi-daemon -f "$W/avahi.conf" --no-chroot --no-rlimits --no-proc-title > "$W/avahi.log" 2>&1 & PIDS+=($!)
sleep 1
$AS_NOBODY ippeveprinter -p "$PORT" -n localhost -d "$W/spool" -k -s 60 \
    -f application/pdf,image/pwg-raster,image/urf "PartaTestPrinter" > "$W/ippeve.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do
  ipptool -q -T 2 "ipp://localhost:$PORT/ipp/print" get-printer-attributes.test 2>/dev/null && break
  sleep 0.1
done

B=$W/cups
cat > "$B/cupsd.conf" <<CONF
Listen $B/cups.sock
LogLevel warn
Browsing Off
WebInterface No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF
cat > "$B/cups-files.conf" <<CONF
User nobody
Group nogroup
SystemGroup nogroup
FileDevice Yes
ServerRoot $B/etc
StateDir $B/state
CacheDir $B/cache
RequestRoot $B/spool
TempDir $B/spool/temp
ServerBin /usr/lib/cups
DataDir /usr/share/cups
DocumentRoot /usr/share/cups/doc-root
AccessLog $B/log/access_log
ErrorLog $B/log/error_log
PageLog $B/log/page_log
CONF
[ -n "$AS_NOBODY" ] && chown -R nobody:nogroup "$B"
$AS_NOBODY cupsd -f -c "$B/cupsd.conf" -s "$B/cups-files.conf" > "$B/cupsd.out" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do [ -S "$B/cups.sock" ] && break; sleep 0.1; done
export CUPS_SERVER=$B/cups.sock
# The generated IPP Everywhere queue defaults to Letter; A4 needs its own lpadmin call.
$AS_NOBODY env CUPS_SERVER="$CUPS_SERVER" lpadmin -p parta -E -v "ipp://localhost:$PORT/ipp/print" -m everywhere \
  && $AS_NOBODY env CUPS_SERVER="$CUPS_SERVER" lpadmin -p parta -o PageSize=A4 -o media=iso_a4_210x297mm \
  || { echo "lpadmin failed"; cat "$B/log/error_log" 2>/dev/null | tail -5; exit 1; }
echo "ready CUPS_SERVER=$CUPS_SERVER"
wait
