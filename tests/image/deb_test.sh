#!/bin/bash
# The .deb, installed with dpkg into a root of its own (no container, no chroot: the maintainer
# scripts run "chrootless" with DPKG_ROOT set): files in place, the user and the data folder
# made, the school's data and an edited conffile kept across an upgrade, and a purge that asks
# nothing and leaves no stray files.
# Usage: deb_test.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: deb_test.sh BUILD_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

cpack --config "$build/CPackConfig.cmake" -B "$tmp/out" >/dev/null
deb=$(ls "$tmp"/out/parta_*.deb)
echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"
check "it depends on the libraries it links" "dpkg-deb -f '$deb' Depends | grep -q libsqlite3"
check "it depends on nginx (the front)" "dpkg-deb -f '$deb' Depends | grep -q 'nginx (>= 1.22)'"

R=$tmp/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
touch "$R/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\n' > "$R/etc/group"
before=$(cd "$R" && find . | sort)
DPKG="dpkg --root=$R --force-script-chrootless --force-depends --force-not-root --log=/dev/null"
# The root has no libraries installed: the dependency warnings go to a log, shown on failure.
exec 2>>"$tmp/dpkg.log"
trap '[ $fail = 0 ] || cat "$tmp/dpkg.log" >&3; rm -rf "$tmp"' EXIT
exec 3>&1

$DPKG -i "$deb" >/dev/null
for f in usr/bin/partad usr/bin/parta usr/lib/systemd/system/partad.service usr/lib/udev/rules.d/90-parta-usb.rules \
         usr/lib/parta/parta-usb usr/lib/parta/parta-render-config etc/parta/partad.conf etc/parta/box.conf \
         usr/share/parta/firmware/hostapd.conf.in usr/lib/systemd/journald.conf.d/parta.conf \
         usr/lib/systemd/system/parta-firstboot.service usr/lib/parta/parta-firstboot \
         usr/lib/parta/parta-box-settings.sh usr/lib/NetworkManager/conf.d/90-parta-wlan0.conf \
         usr/lib/systemd/system/parta-front.service usr/share/parta/firmware/front.conf.in \
         usr/share/parta/front/error.html usr/lib/parta/parta-paper; do
  check "installed /$f" "[ -e '$R/$f' ]"
done
check "the data folder /var/lib/parta" "[ -d '$R/var/lib/parta' ]"
check "the system user parta" "grep -q '^parta:' '$R/etc/passwd'"
check "partad from the package runs" "'$R/usr/bin/partad' --help | grep -q 'Usage: partad'"
# The front: the package's renderer, template and error page make a configuration nginx takes
# from the package's partad.conf (its data folder moved to a scratch one, so nothing is made
# in the root).
mkdir -p "$tmp/front/data/front" "$tmp/front/run"
sed "s|^data = .*|data = $tmp/front/data|" "$R/etc/parta/partad.conf" >"$tmp/front/partad.conf"
check "partad.conf puts partad behind the front" \
  "grep -qx 'listen = 127.0.0.1:8081' '$tmp/front/partad.conf' && grep -qx 'trusted_front = 127.0.0.1' '$tmp/front/partad.conf'"
check "the package renders the front's configuration" \
  "'$R/usr/lib/parta/parta-render-config' --front '$tmp/front/run/nginx.conf' --partad-conf '$tmp/front/partad.conf' \
     --templates '$R/usr/share/parta/firmware' --errors '$R/usr/share/parta/front' --run-dir '$tmp/front/run' >/dev/null"
if command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; then
  check "nginx accepts it" "PATH=\$PATH:/usr/sbin nginx -t -q -p '$tmp/front/run' -c '$tmp/front/run/nginx.conf'"
fi
# partad finds its helper at ../lib/parta/parta-paper; the helper answers a job of another version
# with a refusal (exit code 2, hence the process substitution under pipefail).
check "the paper helper from the package runs" \
  "grep -q '\"error\":\"version\"' <(echo '{\"v\":99,\"kind\":\"printers\"}' | '$R/usr/lib/parta/parta-paper')"

# Upgrade: the school's data and the admin's edit of partad.conf stay.
echo "sentinel" > "$R/var/lib/parta/parta.db"
echo "# edited by the admin" >> "$R/etc/parta/partad.conf"
$DPKG --force-confold -i "$deb" >/dev/null
check "upgrade keeps the data" "grep -q sentinel '$R/var/lib/parta/parta.db'"
check "upgrade keeps the edited conffile" "grep -q 'edited by the admin' '$R/etc/parta/partad.conf'"

# Remove keeps the data; purge removes everything, asking nothing.
$DPKG -r parta >/dev/null
check "remove keeps the data" "[ -e '$R/var/lib/parta/parta.db' ]"
$DPKG --purge parta </dev/null >/dev/null
after=$(cd "$R" && find . | grep -v '^./var/lib/dpkg' | sort)
stray=$(comm -13 <(echo "$before" | grep -v '^./var/lib/dpkg') <(echo "$after"))
check "purge leaves no stray files${stray:+: $stray}" "[ -z '$stray' ]"
check "purge removes the user" "! grep -q '^parta:' '$R/etc/passwd'"
exit $fail
