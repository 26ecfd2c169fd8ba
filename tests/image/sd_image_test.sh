#!/bin/bash
# The SD-card image, checked without a Pi and without loop devices: its partition table and
# labels; the root filesystem (copied out with debugfs) has partad, parta, the units enabled, the
# configuration, hostname and fstab, an empty data folder and no machine id; the boot partition
# has the Pi's firmware, kernel and config; partad from the image starts under qemu-user on the
# image's own arm64 libraries behind the image's nginx front (also under qemu, with the
# configuration the image's renderer makes from the image's partad.conf) and answers HTTP; and the
# first-boot script, run in the image's root under qemu, takes the Wi-Fi settings from the boot
# partition, makes the admin account, and that admin's start page shows the password.
# Usage: sd_image_test.sh [--build] [--image FILE]
#   --build  make the image first (image/build-sd-image.sh, which cross-builds the .deb), slow
#   --image  the image (default build-image/parta-sd-arm64.img)
# ctest runs it as `sd_image` with -DPARTA_LONG_TESTS=ON. Needs root (chroot) and binfmt_misc.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
img=$src/build-image/parta-sd-arm64.img
build=0
while (($#)); do
  case "$1" in
    --build) build=1; shift ;;
    --image) img=$(realpath -m "$2"); shift 2 ;;
    *) echo "usage: sd_image_test.sh [--build] [--image FILE]" >&2; exit 2 ;;
  esac
done
. "$src/image/lock.sh"
if ((build)); then
  t0=$SECONDS
  "$src/image/build-sd-image.sh" --out "$img"
  echo "image built in $((SECONDS - t0)) s"
fi
[ -f "$img" ] || { echo "no image at $img: run image/build-sd-image.sh (or this with --build)"; exit 1; }

tmp=$(mktemp -d /tmp/parta-sd-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  { grep -o " $tmp/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fail=1; fi; }

# ---- the partition table ----
echo "image: $img ($(du -m --apparent-size "$img" | cut -f1) MiB, $(du -m "$img" | cut -f1) MiB used)"
table=$(sfdisk -d "$img")
starts=($(echo "$table" | sed -n 's/.*start= *\([0-9]*\).*/\1/p'))
check "three partitions" "[ ${#starts[@]} = 3 ]"
check "an MBR table, the first partition FAT32 and bootable" \
  "echo '$table' | grep -q 'label: dos' && echo '$table' | sed -n 2,99p | grep -m1 'start=' | grep -q 'type=c, bootable'"
label() { blkid -p -O $((${starts[$1]} * 512)) -s LABEL -s TYPE -o export "$img" | tr '\n' ' '; }
check "boot partition: $(label 0)" "label 0 | grep -q 'LABEL=PARTABOOT TYPE=vfat'"
check "root partition: $(label 1)" "label 1 | grep -q 'LABEL=PARTAROOT TYPE=ext4'"
check "data partition: $(label 2)" "label 2 | grep -q 'LABEL=PARTADATA TYPE=ext4'"

# ---- the root filesystem, copied out ----
R=$tmp/root
mkdir -p "$R"
# (rdump skips device nodes and says so; what matters is checked below.)
debugfs -R "rdump / $R" "$img?offset=$((${starts[1]} * 512))" >/dev/null 2>"$tmp/rdump.log" || true
[ -x "$R/usr/bin/partad" ] || { tail -20 "$tmp/rdump.log"; echo "FAIL the root could not be read"; exit 1; }
for f in usr/bin/partad usr/bin/parta usr/lib/parta/parta-render-config usr/lib/parta/parta-usb \
         usr/lib/parta/parta-ap-address usr/lib/parta/parta-firstboot usr/lib/parta/parta-box-settings.sh \
         usr/lib/systemd/system/partad.service usr/lib/systemd/system/parta-ap.service \
         usr/lib/systemd/system/parta-dns.service usr/lib/systemd/system/parta-usb@.service \
         usr/lib/systemd/system/parta-firstboot.service usr/lib/udev/rules.d/90-parta-usb.rules \
         usr/lib/systemd/journald.conf.d/parta.conf etc/parta/partad.conf etc/parta/box.conf \
         usr/share/parta/firmware/hostapd.conf.in usr/share/parta/firmware/dnsmasq.conf.in \
         usr/lib/systemd/system/parta-front.service usr/share/parta/firmware/front.conf.in \
         usr/share/parta/front/error.html usr/sbin/nginx \
         usr/sbin/hostapd usr/sbin/dnsmasq usr/sbin/cupsd usr/bin/qemu-aarch64-static; do
  if [ "$f" = usr/bin/qemu-aarch64-static ]; then
    check "no qemu left in the image" "[ ! -e '$R/$f' ]"
  else
    check "/$f" "[ -e '$R/$f' ]"
  fi
done
for u in partad parta-front parta-ap parta-dns parta-firstboot systemd-networkd; do
  check "$u.service enabled" "[ -L '$R/etc/systemd/system/multi-user.target.wants/$u.service' ]"
done
check "systemd-timesyncd.service enabled (the clock, when there is an uplink)" \
  "[ -L '$R/etc/systemd/system/sysinit.target.wants/systemd-timesyncd.service' ]"
check "Debian's own hostapd.service masked" \
  "[ \"\$(readlink '$R/etc/systemd/system/hostapd.service')\" = /dev/null ]"
check "Debian's own nginx.service masked (parta-front.service has port 80)" \
  "[ \"\$(readlink '$R/etc/systemd/system/nginx.service')\" = /dev/null ]"
check "partad.conf puts partad on loopback behind the front" \
  "grep -qx 'listen = 127.0.0.1:8081' '$R/etc/parta/partad.conf' && grep -qx 'trusted_front = 127.0.0.1' '$R/etc/parta/partad.conf'"
arch=$(file -b "$R/usr/bin/partad")
echo "     file usr/bin/partad: $arch"
check "partad is an arm64 program" "echo '$arch' | grep -q 'ARM aarch64'"
check "dpkg knows parta (arm64)" "grep -A8 '^Package: parta$' '$R/var/lib/dpkg/status' | grep -q 'Architecture: arm64'"
check "hostname parta" "[ \"\$(cat '$R/etc/hostname')\" = parta ]"
check "fstab mounts the data partition at /var/lib/parta" \
  "grep -Eq '^LABEL=PARTADATA[[:space:]]+/var/lib/parta[[:space:]]+ext4' '$R/etc/fstab'"
check "fstab mounts the boot partition at /boot/firmware" \
  "grep -Eq '^LABEL=PARTABOOT[[:space:]]+/boot/firmware[[:space:]]+vfat' '$R/etc/fstab'"
check "the system user parta" "grep -q '^parta:' '$R/etc/passwd'"
check "no school data in the image" "[ -z \"\$(ls -A '$R/var/lib/parta')\" ]"
check "no machine id (each card makes its own)" "[ ! -s '$R/etc/machine-id' ]"
check "a kernel and an initrd" "ls '$R'/boot/vmlinuz-* '$R'/boot/initrd.img-* >/dev/null"

# ---- the boot and data partitions ----
boot="$img@@$((${starts[0]} * 512))"
bootfiles=$(mdir -b -i "$boot" ::/ | sed 's|^::/||' | tr '\n' ' ')
for f in bootcode.bin start4.elf fixup4.dat config.txt cmdline.txt bcm2711-rpi-4-b.dtb bcm2837-rpi-zero-2-w.dtb \
         bcm2837-rpi-3-b.dtb parta-box.conf.example; do
  check "boot partition has $f" "echo ' $bootfiles' | grep -qi ' $f '"
done
check "boot partition has the kernel and initrd" "echo '$bootfiles' | grep -q vmlinuz && echo '$bootfiles' | grep -q initrd"
cmdline=$(mtype -i "$boot" ::/cmdline.txt)
echo "     cmdline.txt: $cmdline"
check "cmdline.txt boots LABEL=PARTAROOT with eth0/wlan0 names" \
  "echo '$cmdline' | grep -q 'root=LABEL=PARTAROOT' && echo '$cmdline' | grep -q 'net.ifnames=0'"
owner=$(debugfs -R "stat /" "$img?offset=$((${starts[2]} * 512))" 2>/dev/null | sed -n 's/.*User: *\([0-9]*\).*Group: *\([0-9]*\).*/\1:\2/p')
parta_ids=$(awk -F: '$1 == "parta" { print $3 ":" $4 }' "$R/etc/passwd")
check "the data partition's top belongs to parta ($owner, parta is $parta_ids)" "[ '$owner' = '$parta_ids' ]"

# ---- partad from the image, on the image's own libraries, under qemu-user, behind its front ----
# The image's partad.conf and renderer, the data folder and the ports moved to scratch ones.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/front"
sed -e "s|^data = .*|data = $tmp/data|" -e "s|^listen = .*|listen = 127.0.0.1:$port|" \
  "$R/etc/parta/partad.conf" >"$tmp/front/partad.conf"
qemu-aarch64-static -L "$R" "$R/usr/bin/partad" --config "$tmp/front/partad.conf" \
  --demo >"$tmp/partad.log" 2>&1 &
pids+=($!)
code=000
for _ in $(seq 1 1200); do  # the demo school's accounts are hashed under qemu: minutes
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/login" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
echo "     curl http://127.0.0.1:$port/login → $code"
check "partad (arm64, under qemu) answers /login with 200" "[ '$code' = 200 ]"
[ "$code" = 200 ] || tail -20 "$tmp/partad.log"
check "the image renders its front's configuration" \
  "'$R/usr/lib/parta/parta-render-config' --front '$tmp/front/nginx.conf' --partad-conf '$tmp/front/partad.conf' \
     --listen 127.0.0.1:$fport --run-dir '$tmp/front' --templates '$R/usr/share/parta/firmware' \
     --errors '$R/usr/share/parta/front' >/dev/null"
qemu-aarch64-static -L "$R" "$R/usr/sbin/nginx" -p "$tmp/front" -c "$tmp/front/nginx.conf" \
  -g 'daemon off; user root;' >"$tmp/front/nginx.log" 2>&1 &
pids+=($!)
fcode=000
for _ in $(seq 1 120); do
  fcode=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fport/login" || true)
  [ "$fcode" = 200 ] && break
  sleep 0.5
done
css=$(curl -s "http://127.0.0.1:$fport/login" | grep -o '/static/app\.[0-9a-f]*\.css' | head -1 || true)
scode=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fport$css" || true)
check "the image's nginx (arm64, under qemu) fronts it: /login $fcode, $css $scode" \
  "[ '$fcode' = 200 ] && [ '$scode' = 200 ] && [ -n '$css' ]"
[ "$fcode" = 200 ] || tail -20 "$tmp/front/nginx.log"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

# ---- the first boot, in the image's root under qemu (binfmt_misc) ----
mkdir -p "$R/boot/firmware"
printf 'ssid = Школа №3\nchannel = 11\ncountry = RU\ntimezone = Asia/Novosibirsk\n' \
  >"$R/boot/firmware/parta-box.conf"
for m in proc sys dev; do mount --bind "/$m" "$R/$m"; done
lock chroot "$R" /usr/lib/parta/parta-firstboot --no-grow >"$tmp/firstboot.log" 2>&1 ||
  { cat "$tmp/firstboot.log"; fail=1; }
sed 's/^/     /' "$tmp/firstboot.log"
for m in dev sys proc; do umount -l "$R/$m"; done
check "the Wi-Fi name from the boot partition" "grep -q 'ssid2=P\"Школа №3\"' '$R/etc/hostapd/parta.conf'"
check "the time zone from the boot partition: $(readlink "$R/etc/localtime")" \
  "[ \"\$(readlink '$R/etc/localtime')\" = /usr/share/zoneinfo/Asia/Novosibirsk ] &&
   grep -qx Asia/Novosibirsk '$R/etc/timezone' && [ -f '$R/usr/share/zoneinfo/Asia/Novosibirsk' ]"
check "the boot partition's settings file is gone (it may hold a passphrase)" \
  "[ ! -e '$R/boot/firmware/parta-box.conf' ]"
pwfile=$R/var/lib/parta/first-admin-password
check "the admin's password file, mode 0600, owned by parta" \
  "[ \"\$(stat -c '%a %u:%g' '$pwfile')\" = '600 $parta_ids' ]"
check "the database belongs to parta" "[ \"\$(stat -c %u:%g '$R/var/lib/parta/parta.db')\" = '$parta_ids' ]"
check "the device's keys exist" "[ -s '$R/var/lib/parta/sync/device.key' ]"
check "the flag that stops it next time" "[ -e '$R/var/lib/parta/.firstboot-done' ]"
check "the console's greeting names the Wi-Fi and shows the password until it is changed" \
  "grep -q 'Школа №3' '$R/etc/issue.d/50-parta.issue' &&
   [ \"\$(readlink '$R/etc/issue.d/51-parta-admin-password.issue')\" = /var/lib/parta/first-admin-password ]"

# The admin signs in with that password on partad started on that data, and sees the notice.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
qemu-aarch64-static -L "$R" "$R/usr/bin/partad" --data "$R/var/lib/parta" \
  --listen "127.0.0.1:$port" >"$tmp/partad2.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do
  curl -s -o /dev/null "http://127.0.0.1:$port/login" && break
  sleep 0.5
done
jar=$tmp/cookies
csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "login=admin" \
  --data-urlencode "secret=$(cat "$pwfile")" --data-urlencode "csrf=$csrf" \
  --data-urlencode "next=/" "http://127.0.0.1:$port/login"
home=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/")
check "the admin signs in with the first-boot password and the start page shows it" \
  "echo \"\$home\" | grep -q 'Пароль администратора' && echo \"\$home\" | grep -qF \"\$(cat '$pwfile')\""

if ((fail)); then echo "sd image test: failed"; else echo "sd image test: passed"; fi
exit $fail
