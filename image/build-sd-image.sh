#!/usr/bin/env bash
# Builds the SD-card image of a Parta box (Raspberry Pi 3/4, arm64, Debian 12 bookworm) from the
# arm64 .deb: debootstrap (first stage here, second stage under qemu-aarch64-static through
# binfmt_misc), the .deb with its dependencies from Debian's mirror (nginx for the front among
# them), the Pi's boot firmware and kernel (raspi-firmware, linux-image-arm64, firmware-brcm80211
# for the Wi-Fi), the units enabled (Debian's own hostapd and nginx units masked), hostname, fstab with the data partition at /var/lib/parta, and the first-boot unit.
# The image is assembled without loop devices or mounts: mke2fs -d makes the ext4 partitions from
# folders, mkfs.vfat + mtools the boot partition, sfdisk writes the table, dd puts them in place.
# Usage: image/build-sd-image.sh [--deb FILE] [--out FILE] [--root DIR] [--keep-root] [--xz]
#   --deb   the arm64 package (default: the newest build-arm64/parta_*_arm64.deb; made with
#           image/build-arm64.sh --no-tests when there is none)
#   --out   the image (default build-image/parta-sd-arm64.img, with .bmap beside it)
#   --root  the folder the root is built in (default /tmp/parta-sd-root; emptied first)
#   --keep-root  leave the root folder (tests/image/sd_image_test.sh reads the image instead)
#   --xz    also write OUT.xz (slow: minutes on two cores)
# Heavy steps take /tmp/parta-build.lock. Needs root (debootstrap, chroot, binfmt_misc).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
deb=""
out=$src/build-image/parta-sd-arm64.img
root=/tmp/parta-sd-root
keep_root=0
xz=0
mirror=http://deb.debian.org/debian
suite=bookworm
while (($#)); do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --out) out=$(realpath -m "$2"); shift 2 ;;
    --root) root=$(realpath -m "$2"); shift 2 ;;
    --keep-root) keep_root=1; shift ;;
    --xz) xz=1; shift ;;
    -h | --help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-sd-image: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "build-sd-image: run as root (debootstrap, chroot)" >&2; exit 1; }
case "$root" in /tmp/?* | /var/tmp/?* | "$src"/build?*/?*) ;;
  *) echo "build-sd-image: --root must be under /tmp, /var/tmp or a build folder" >&2; exit 2 ;;
esac
. "$src/image/lock.sh"  # lock CMD...: runs CMD holding /tmp/parta-build.lock
say() { printf '== %s\n' "$*"; }
declare -A took
step_start=$SECONDS
took() { took[$1]=$((SECONDS - step_start)); step_start=$SECONDS; }
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# ---- tools on this machine ----
need=()
for p in debootstrap qemu-user-static dosfstools mtools e2fsprogs fdisk bmap-tools file xz-utils; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  say "installing ${need[*]}"
  lock apt-get update -qq
  lock apt-get install -y --no-install-recommends "${need[@]}"
fi
# arm64 programs run under qemu through binfmt_misc; the F flag opens the interpreter now, so it
# also works inside the chroot without copying qemu there.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
    { echo "build-sd-image: binfmt_misc is not available; see image/README.md" >&2; exit 1; }
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  say "registering qemu-aarch64 with binfmt_misc"
  # The same entry qemu-user-static ships for systemd-binfmt, which does not run in a container.
  cat /usr/lib/binfmt.d/qemu-aarch64.conf >/proc/sys/fs/binfmt_misc/register
fi
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 ||
  { echo "build-sd-image: the qemu-aarch64 binfmt entry is disabled" >&2; exit 1; }

# ---- the package ----
if [ -z "$deb" ]; then
  deb=$(ls -t "$src"/build-arm64/parta_*_arm64.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    "$src/image/build-arm64.sh" --no-tests
    deb=$(ls -t "$src"/build-arm64/parta_*_arm64.deb | head -1)
  fi
fi
[ "$(dpkg-deb -f "$deb" Architecture)" = arm64 ] || { echo "$deb is not arm64" >&2; exit 1; }
say "package $(basename "$deb")"
took prepare

# ---- the root ----
mounted=()
unmount_all() {
  local m
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount -l "$m" 2>/dev/null || true
  done
  mounted=()
}
cleanup() {
  unmount_all
  if ((keep_root == 0)) && [ -n "${root:-}" ] && [ -d "$root" ]; then rm -rf "$root"; fi
  rm -rf "${stage:-}"
}
trap cleanup EXIT
# A root left by an interrupted run: anything still mounted inside it goes first.
if [ -d "$root" ]; then
  { grep -o " $root/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf "$root"
fi
mkdir -p "$root" "$(dirname "$out")"
cache=/var/cache/parta-debootstrap
mkdir -p "$cache"

# Debian's base, systemd, the kernel's helpers, what the firmware scripts call (ip, sfdisk,
# resize2fs, findmnt, setpriv), the time zone data, the clock's NTP client.
base=systemd-sysv,udev,kmod,dbus,iproute2,iw,tzdata,e2fsprogs,fdisk,procps,ca-certificates
say "debootstrap, first stage ($suite arm64)"
lock debootstrap --foreign --arch=arm64 --variant=minbase --merged-usr \
  --components=main,non-free-firmware --include="$base" --cache-dir="$cache" \
  "$suite" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -30 "$root.debootstrap.log"; exit 1; }
took debootstrap_first
say "debootstrap, second stage (arm64 under qemu-user)"
lock chroot "$root" /debootstrap/debootstrap --second-stage >>"$root.debootstrap.log" 2>&1 ||
  { tail -30 "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"
took debootstrap_second

bind() {  # mount point inside the root
  mkdir -p "$root$2"
  mount "${@:3}" "$1" "$root$2"
  mounted+=("$root$2")
}
bind proc /proc -t proc
bind sysfs /sys -t sysfs
bind /dev /dev --bind
bind devpts /dev/pts -t devpts
in_root=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin
         DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8)

say "configuring the system"
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main non-free-firmware
deb $mirror $suite-updates main non-free-firmware
deb http://deb.debian.org/debian-security $suite-security main non-free-firmware
EOF
echo parta >"$root/etc/hostname"
cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	parta parta.school
::1	localhost ip6-localhost ip6-loopback
EOF
# Labels, not device names: the same card boots on a Pi 3, 4 or from a USB reader.
cat >"$root/etc/fstab" <<'EOF'
# The root, the Pi's boot partition and the school's data, each its own partition: a full data
# partition never stops the system, and the root can be replaced without touching the data.
# A slow card gets 10 minutes to show its partitions (systemd's default is 90 s, after which the
# mount fails and the box stops in emergency mode, which a school cannot leave: seen once under
# qemu-system on an overloaded machine). Not nofail: first boot reads parta-box.conf from the
# boot partition and must find it mounted.
LABEL=PARTAROOT  /               ext4  defaults,noatime,commit=60   0 1
LABEL=PARTABOOT  /boot/firmware  vfat  defaults,noatime,umask=0077,x-systemd.device-timeout=10min  0 2
LABEL=PARTADATA  /var/lib/parta  ext4  defaults,noatime,commit=30,x-systemd.device-timeout=10min  0 2
EOF
mkdir -p "$root/boot/firmware"
ln -sf /usr/share/zoneinfo/Europe/Moscow "$root/etc/localtime"
echo Europe/Moscow >"$root/etc/timezone"
# The uplink (district sync, NTP) by DHCP on the Ethernet port; wlan0 is the school's AP.
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/20-uplink.network" <<'EOF'
[Match]
Name=eth0 en*

[Network]
DHCP=yes
EOF
# raspi-firmware writes cmdline.txt with this root (and net.ifnames=0: eth0 and wlan0 by name).
cat >"$root/etc/default/raspi-firmware" <<'EOF'
ROOTPART=LABEL=PARTAROOT
CONSOLES="tty0 ttyS1,115200"
KERNEL_ARCH="arm64"
EOF
# Nothing starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/parta.deb"
took configure

say "installing parta and the Pi's firmware and kernel (arm64 under qemu-user)"
lock "${in_root[@]}" apt-get update -qq
# The .deb's Recommends (hostapd, dnsmasq, CUPS for the paper track) are part of the appliance.
# --force-confold keeps the /etc/default/raspi-firmware written above (a conffile of that package).
lock "${in_root[@]}" apt-get install -y --no-install-recommends -o Dpkg::Use-Pty=0 \
  -o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef \
  /tmp/parta.deb hostapd dnsmasq-base cups cups-ipp-utils \
  raspi-firmware linux-image-arm64 firmware-brcm80211 wireless-regdb \
  systemd-timesyncd systemd-resolved >"$root/tmp/apt.log" 2>&1 ||
  { tail -40 "$root/tmp/apt.log"; exit 1; }
grep -E '^(raspi-firmware|W: |E: )' "$root/tmp/apt.log" | sort -u | head -20 || true
took install

say "enabling the units"
systemctl --root="$root" enable partad.service parta-front.service parta-ap.service \
  parta-dns.service parta-firstboot.service systemd-networkd.service systemd-resolved.service \
  systemd-timesyncd.service >/dev/null 2>&1
# parta-ap.service runs hostapd with the box's own settings; Debian's unit would fight over wlan0.
systemctl --root="$root" disable hostapd.service >/dev/null 2>&1 || true
systemctl --root="$root" mask hostapd.service >/dev/null
# The same for nginx: parta-front.service runs it with the box's configuration on port 80, while
# Debian's unit would wait for the network to be online and serve its default site there.
systemctl --root="$root" disable nginx.service >/dev/null 2>&1 || true
systemctl --root="$root" mask nginx.service >/dev/null
for u in partad parta-front parta-ap parta-dns parta-firstboot; do
  [ -L "$root/etc/systemd/system/multi-user.target.wants/$u.service" ] ||
    { echo "build-sd-image: $u.service is not enabled" >&2; exit 1; }
done

say "cleaning up the root"
"${in_root[@]}" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/parta.deb" "$root/tmp/apt.log"
rm -rf "$root"/var/lib/apt/lists/* "$root"/tmp/* "$root"/var/tmp/* "$root"/var/log/*.log \
  "$root"/var/cache/debconf/*-old
# systemd-resolved makes resolv.conf its link while installed; without it, the box has none.
[ -L "$root/etc/resolv.conf" ] || rm -f "$root/etc/resolv.conf"
# Every card gets its own machine id (and the box its own sync keys) at first boot.
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/var/lib/systemd/random-seed"
unmount_all
# The data partition starts empty, owned by partad's user; nothing of a school is in the image.
[ -z "$(ls -A "$root/var/lib/parta")" ] || { echo "build-sd-image: /var/lib/parta not empty" >&2; exit 1; }
took cleanup

# ---- the image ----
say "assembling the image"
stage=$(mktemp -d /tmp/parta-sd-stage.XXXXXX)
mib=$((1024 * 1024))
boot_mib=256
data_mib=256
# Boot: FAT32 with the Pi's firmware, kernel, initrd, device trees, config.txt and cmdline.txt.
ls "$root/boot/firmware/"{config.txt,cmdline.txt} >/dev/null ||
  { echo "build-sd-image: raspi-firmware wrote no config.txt/cmdline.txt" >&2; exit 1; }
cp "$src/firmware/config/box.conf.example" "$root/boot/firmware/parta-box.conf.example"
mkfs.vfat -C -F 32 -n PARTABOOT "$stage/boot.img" $((boot_mib * 1024)) >/dev/null
mcopy -s -i "$stage/boot.img" "$root"/boot/firmware/* ::/
# Root: everything but what lives on the other two partitions (their mount points stay).
mkdir -p "$stage/bootfw" "$stage/data"
mv "$root"/boot/firmware/* "$stage/bootfw/"
uid=$(stat -c %u "$root/var/lib/parta")
gid=$(stat -c %g "$root/var/lib/parta")
root_kib=$(du -sk "$root" | cut -f1)
root_mib=$(((root_kib * 5 / 4) / 1024 + 256))
mke2fs -q -t ext4 -L PARTAROOT -d "$root" "$stage/root.img" "${root_mib}M"
mv "$stage"/bootfw/* "$root/boot/firmware/"
# Data: empty, its top owned by parta, 0750 (mke2fs -d does not copy the top folder's owner and
# mode, so debugfs sets them).
mke2fs -q -t ext4 -L PARTADATA -m 1 "$stage/data.img" "${data_mib}M"
debugfs -w -R "sif / uid $uid" "$stage/data.img" >/dev/null 2>&1
debugfs -w -R "sif / gid $gid" "$stage/data.img" >/dev/null 2>&1
debugfs -w -R "sif / mode 040750" "$stage/data.img" >/dev/null 2>&1
# The table (MBR: the Pi 3's boot ROM reads nothing else), 4 MiB aligned.
start1=4
start2=$((start1 + boot_mib))
start3=$((start2 + root_mib))
total=$((start3 + data_mib))
rm -f "$out" "$out.bmap" "$out.xz"
truncate -s "${total}M" "$out"
sfdisk -q "$out" <<EOF
label: dos
unit: sectors
start=$((start1 * 2048)), size=$((boot_mib * 2048)), type=c, bootable
start=$((start2 * 2048)), size=$((root_mib * 2048)), type=83
start=$((start3 * 2048)), size=$((data_mib * 2048)), type=83
EOF
dd if="$stage/boot.img" of="$out" bs=1M seek=$start1 conv=notrunc,sparse status=none
dd if="$stage/root.img" of="$out" bs=1M seek=$start2 conv=notrunc,sparse status=none
dd if="$stage/data.img" of="$out" bs=1M seek=$start3 conv=notrunc,sparse status=none
bmaptool -q create -o "$out.bmap" "$out"
took assemble
if ((xz)); then
  say "compressing"
  lock xz -T2 -k -6 "$out"
  took compress
fi

say "done: $out ($((total)) MiB, $(du -m "$out" | cut -f1) MiB used)"
sfdisk -l "$out" | sed -n '/Device/,$p'
echo "times (s): prepare ${took[prepare]}, debootstrap first stage ${took[debootstrap_first]}," \
  "second stage ${took[debootstrap_second]}, configure ${took[configure]}," \
  "install ${took[install]}, cleanup ${took[cleanup]}, assemble ${took[assemble]}" \
  "${took[compress]:+, compress ${took[compress]}}"
