"""The SD image booted under full-system emulation (qemu-system-aarch64, TCG), for the boot test,
the power-cut test and the card-wear bench.

- Image: the partitions of the built image (read with sfdisk) and the files of its boot partition
  (kernel, initrd, device trees, cmdline.txt; read with mtools, nothing mounted).
- Card: the box's SD card, a qcow2 overlay whose backing file is the built image, so the image
  stays as built between runs; 4 GiB (a power of two, as the raspi3b machine's SD card needs, and
  larger than the image, so the first boot grows the data partition as on a real card). Offline,
  with the box off, `Card.inspect()` shows a throwaway overlay of the card as a raw file (a FUSE
  export of qemu-storage-daemon) with each partition on a loop device: e2fsck replays a journal
  there and the card itself never changes.
- Box: one power-on of the card. `-M virt` (the image's own arm64 Debian kernel and initrd from
  its boot partition, root=LABEL=PARTAROOT as its cmdline.txt says, virtio disk and network) or
  `-M raspi3b` (the same kernel with the Pi 3's device tree from the boot partition, the card on
  the emulated SD controller, a USB network adapter on its USB port). The guest's network is
  qemu's user mode: the box's port 80 (the nginx front) is forwarded to a port on 127.0.0.1. The
  serial console goes to a log file; QMP answers block statistics and hot-plugs USB sticks;
  `cut()` is SIGKILL of qemu: a power cut.

Nothing here adds a program to the image: the checks read the serial console, talk HTTP to the
box's front, and read the card offline.
"""
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from common import free_port  # noqa: E402

LOCK = "/tmp/parta-build.lock"
CARD_BYTES = 4 << 30
# No battery clock, like a Pi: the emulated RTC starts at this date at every power-on, earlier
# than anything the box has seen, so the box's time comes from systemd's and partad's saved clocks.
RTC_BASE = "2020-01-01T00:00:00"
USB_NIC_MAC = "52:54:00:12:34:57"


def sh(*cmd, check=True, timeout=600, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r


class BuildLock:
    """/tmp/parta-build.lock, as image/lock.sh takes it: held by this process unless an ancestor
    (ctest under /work/wt/ctest.sh, a script under `flock`) holds it already. A long run takes it
    per step, so the machine's other builds get their turn between steps."""

    def __init__(self):
        self.f = None

    def _ancestor_holds(self):
        try:
            ino = os.stat(LOCK).st_ino
        except FileNotFoundError:
            return False
        holders = set()
        with open("/proc/locks") as f:
            for line in f:
                parts = line.replace("->", "").split()
                if len(parts) > 5 and parts[1] == "FLOCK" and parts[5].endswith(f":{ino}"):
                    holders.add(int(parts[4]))
        pid = os.getpid()
        while pid > 1:
            if pid in holders:
                return True
            try:
                with open(f"/proc/{pid}/status") as f:
                    pid = int(re.search(r"^PPid:\s*(\d+)", f.read(), re.M).group(1))
            except (OSError, AttributeError):
                return False
        return False

    def __enter__(self):
        if not self._ancestor_holds():
            self.f = open(LOCK, "a")
            fcntl.flock(self.f, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.f:
            fcntl.flock(self.f, fcntl.LOCK_UN)
            self.f.close()
            self.f = None


class Image:
    """The built image: its partitions by label, and its boot partition's files."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        table = json.loads(sh("sfdisk", "-J", self.path).stdout)["partitiontable"]
        self.parts = {}
        for i, p in enumerate(table["partitions"], 1):
            offset, size = p["start"] * 512, p["size"] * 512
            label = sh("blkid", "-p", "-O", str(offset), "-s", "LABEL", "-o", "value", self.path,
                       check=False).stdout.strip()
            self.parts[label or f"p{i}"] = (i, offset, size)

    def boot_file(self, name, dest):
        """Copies a file of the boot partition (FAT) to dest."""
        off = self.parts["PARTABOOT"][1]
        sh("mcopy", "-n", "-i", f"{self.path}@@{off}", f"::/{name}", dest)
        return dest

    def boot_listing(self):
        off = self.parts["PARTABOOT"][1]
        out = sh("mdir", "-b", "-i", f"{self.path}@@{off}", "::/").stdout
        return [line.split("/")[-1] for line in out.split()]

    def kernel_files(self, folder):
        """The kernel, the initrd and the Pi 3's device tree of the boot partition, and its
        cmdline.txt, in folder."""
        names = self.boot_listing()
        kernel = next(n for n in names if n.startswith("vmlinuz"))
        initrd = next(n for n in names if n.startswith("initrd.img"))
        files = {"kernel": self.boot_file(kernel, os.path.join(folder, kernel)),
                 "initrd": self.boot_file(initrd, os.path.join(folder, initrd)),
                 "dtb": self.boot_file("bcm2837-rpi-3-b.dtb",
                                       os.path.join(folder, "bcm2837-rpi-3-b.dtb"))}
        cmdline = self.boot_file("cmdline.txt", os.path.join(folder, "cmdline.txt"))
        files["cmdline"] = open(cmdline).read().strip()
        return files


class Card:
    """The box's SD card: a qcow2 overlay on the built image (which stays as it is)."""

    def __init__(self, image, path, size=CARD_BYTES):
        self.image = image
        self.path = os.path.abspath(path)
        sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", image.path, "-F", "raw", self.path,
           str(size))

    def inspect(self, folder, parts=("PARTAROOT", "PARTADATA")):
        return Inspection(self, folder, parts)

    def edit(self, folder, parts=("PARTAROOT",)):
        """A writable view of the card itself (for a test's drop-in, box off)."""
        return Inspection(self, folder, parts, throwaway=False)


class Inspection:
    """The card, box off, as a raw file with loop devices on its partitions. Unless throwaway is
    False, writes (a journal replay) go to a throwaway overlay: the card stays as the cut left it.
    The partitions' current sizes are read from the card's own table (the first boot grew one)."""

    def __init__(self, card, folder, parts, throwaway=True):
        self.card, self.folder, self.wanted, self.throwaway = card, folder, parts, throwaway
        self.loops, self.mounts = {}, []
        self.daemon = None

    def __enter__(self):
        os.makedirs(self.folder, exist_ok=True)
        top = self.card.path
        if self.throwaway:
            top = os.path.join(self.folder, "inspect.qcow2")
            sh("qemu-img", "create", "-q", "-f", "qcow2", "-b", self.card.path, "-F", "qcow2", top)
        self.raw = os.path.join(self.folder, "card.raw")
        open(self.raw, "w").close()
        self.daemon = subprocess.Popen(
            ["qemu-storage-daemon", "--blockdev",
             f"driver=qcow2,node-name=card,file.driver=file,file.filename={top}",
             "--export", f"type=fuse,id=view,node-name=card,mountpoint={self.raw},writable=on"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(200):
            if os.path.getsize(self.raw) > 0:
                break
            if self.daemon.poll() is not None:
                raise RuntimeError("qemu-storage-daemon: " + self.daemon.stderr.read().decode())
            time.sleep(0.05)
        table = json.loads(sh("sfdisk", "-J", self.raw).stdout)["partitiontable"]["partitions"]
        for label, (num, _, _) in self.card.image.parts.items():
            if label not in self.wanted:
                continue
            p = table[num - 1]
            self.loops[label] = sh("losetup", "-f", "--show", "-o", str(p["start"] * 512),
                                   "--sizelimit", str(p["size"] * 512), self.raw).stdout.strip()
        return self

    def fsck(self, label):
        """Replays the journal (what the kernel does at mount) and then checks the whole file
        system read-only. Returns (clean, the two runs' output)."""
        dev = self.loops[label]
        replay = sh("e2fsck", "-E", "journal_only", "-y", dev, check=False)
        full = sh("e2fsck", "-f", "-n", dev, check=False)
        return full.returncode == 0, (replay.stdout + replay.stderr + full.stdout + full.stderr)

    def mount(self, label, ro=True):
        mnt = os.path.join(self.folder, "mnt-" + label)
        os.makedirs(mnt, exist_ok=True)
        sh("mount", "-o", "ro,noload" if ro else "rw", self.loops[label], mnt)
        self.mounts.append(mnt)
        return mnt

    def __exit__(self, *exc):
        for m in reversed(self.mounts):
            sh("umount", m, check=False)
        for dev in self.loops.values():
            sh("losetup", "-d", dev, check=False)
        if self.daemon:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        for name in ("inspect.qcow2", "card.raw"):
            p = os.path.join(self.folder, name)
            if os.path.exists(p):
                os.remove(p)


class Qmp:
    """A small QMP client: one command at a time, events kept."""

    def __init__(self, path, timeout=60):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.file = self.sock.makefile("rwb")
        self.events = []
        self._read()  # the greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        line = self.file.readline()
        if not line:
            raise ConnectionError("QMP closed")
        return json.loads(line)

    def cmd(self, name, **args):
        self.file.write(json.dumps({"execute": name, "arguments": args}).encode() + b"\n")
        self.file.flush()
        while True:
            m = self._read()
            if "event" in m:
                self.events.append(m)
                continue
            if "error" in m:
                raise RuntimeError(f"QMP {name}: {m['error']}")
            return m.get("return")

    def wait_event(self, name, timeout=60, device=None):
        """The first event `name` (of that device id, if given) not yet taken."""
        self.sock.settimeout(timeout)
        try:
            while True:
                for i, e in enumerate(self.events):
                    if e["event"] == name and (device is None or
                                               e.get("data", {}).get("device") == device):
                        return self.events.pop(i)
                self.events.append(self._read())
        finally:
            self.sock.settimeout(None)

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


class Box:
    """One power-on of a card. machine: 'virt' or 'raspi3b'. The serial console is appended to
    serial_log; the front is http://127.0.0.1:<port>/."""

    def __init__(self, card, kernel_files, folder, machine="virt", serial_log=None, port=None,
                 smp=2, memory_mb=1024, trace_writes=None):
        self.card, self.k, self.folder, self.machine = card, kernel_files, folder, machine
        os.makedirs(folder, exist_ok=True)
        self.serial_log = serial_log or os.path.join(folder, "serial.log")
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.qmp_path = os.path.join(folder, "qmp.sock")
        self.console_path = os.path.join(folder, "console.sock")
        self.smp, self.memory_mb, self.trace_writes = smp, memory_mb, trace_writes
        self.proc = None
        self.qmp = None
        self.started = None
        self.log_start = 0
        self.sticks = 0
        self.cpu_at_portal = None

    def cmdline(self):
        """The image's own cmdline.txt, its consoles moved to the machine's serial port (qemu
        loads the kernel itself; the Pi's firmware that reads cmdline.txt does not run)."""
        words = [w for w in self.k["cmdline"].split() if not w.startswith("console=")]
        console = "ttyAMA0" if self.machine == "virt" else "ttyS1"
        if self.machine == "raspi3b":
            # The Pi 3's Ethernet is a USB chip (smsc95xx) the kernel calls eth0; qemu's USB
            # NIC is a CDC one the kernel calls usb0, which the image's uplink network file
            # (eth0, en*) does not match: systemd-network-generator names it eth0 by its MAC.
            words.append(f"ifname=eth0:{USB_NIC_MAC}")
        # systemd's status lines and the journal on the console: the fsck at every boot and
        # every unit's messages end up in the serial log (the journal itself is in RAM).
        return " ".join(words + [f"console={console},115200", "systemd.show_status=1",
                                 "systemd.journald.forward_to_console=1",
                                 "systemd.journald.max_level_console=info"])

    def argv(self):
        net = f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.port}-:80"
        a = ["qemu-system-aarch64", "-M", self.machine, "-nodefaults", "-display", "none",
             "-kernel", self.k["kernel"], "-initrd", self.k["initrd"], "-append", self.cmdline(),
             "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
             "-rtc", f"base={RTC_BASE},clock=host"]
        # cache=unsafe: qemu's own flushes are skipped, but a power cut here is SIGKILL of qemu,
        # not of this machine, so every write qemu made stays in the host's page cache either
        # way: what the guest had not written yet (its page cache) is what a cut loses.
        drive = f"file={self.card.path},format=qcow2,cache=unsafe,id=card,if=none"
        if self.machine == "virt":
            a += ["-cpu", "cortex-a53", "-smp", str(self.smp), "-m", str(self.memory_mb),
                  "-drive", drive, "-device", "virtio-blk-device,drive=card",
                  "-netdev", net, "-device", "virtio-net-device,netdev=net0",
                  "-device", "qemu-xhci,id=usb",
                  "-chardev", f"socket,id=ser0,path={self.console_path},server=on,wait=off,"
                              f"logfile={self.serial_log}.tmp",
                  "-serial", "chardev:ser0"]
        else:
            a += ["-dtb", self.k["dtb"], "-drive", drive.replace("if=none", "if=sd"),
                  "-netdev", net, "-device", f"usb-net,netdev=net0,mac={USB_NIC_MAC}",
                  "-serial", f"file:{self.serial_log}.pl011",
                  "-chardev", f"socket,id=ser0,path={self.console_path},server=on,wait=off,"
                              f"logfile={self.serial_log}.tmp",
                  "-serial", "chardev:ser0"]
        if self.trace_writes:
            a += ["-trace", "enable=blk_co_pwritev", "-D", self.trace_writes]
        return a

    def start(self):
        for p in (self.qmp_path, self.console_path):
            if os.path.exists(p):
                os.remove(p)
        tmp = self.serial_log + ".tmp"
        if os.path.exists(tmp):
            os.remove(tmp)
        self.log_start = os.path.getsize(self.serial_log) if os.path.exists(self.serial_log) else 0
        self.started = time.time()
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.folder, "qemu.err"), "a"))
        self.qmp = Qmp(self.qmp_path)
        return self

    def serial(self):
        """This power-on's serial console so far."""
        try:
            with open(self.serial_log + ".tmp", "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_serial(self, pattern, timeout):
        """The first match of pattern in this power-on's serial output, or None after timeout."""
        deadline = time.time() + timeout
        rx = re.compile(pattern)
        while time.time() < deadline:
            m = rx.search(self.serial())
            if m:
                return m
            if self.proc.poll() is not None:
                return rx.search(self.serial())
            time.sleep(0.5)
        return None

    def press_enter(self):
        """Someone presses Enter on the console: agetty shows its greeting (/etc/issue and
        /etc/issue.d) and the login prompt again."""
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(self.console_path)
            s.sendall(b"\r")
            time.sleep(0.5)
        finally:
            s.close()

    def wait_portal(self, timeout, path="/login"):
        """Seconds from power-on until the front answers path with 200; None on timeout."""
        import urllib.request
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return None
            try:
                with urllib.request.urlopen(self.base + path, timeout=10) as r:
                    if r.status == 200:
                        self.cpu_at_portal = self.cpu_seconds()
                        return time.time() - self.started
            except Exception:  # noqa: BLE001 (not up yet: refused, reset, 502 from the front)
                pass
            time.sleep(1)
        return None

    def cpu_seconds(self):
        """This machine's CPU time qemu used so far (user + system, all its threads)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return None

    def blockstats(self):
        for d in self.qmp.cmd("query-blockstats"):
            if d.get("device") == "card" or d.get("qdev", "").endswith("card"):
                return d["stats"]
        return self.qmp.cmd("query-blockstats")[0]["stats"]

    def plug_stick(self, image):
        """A USB stick (a raw image file) plugged in; returns its id for unplug_stick."""
        self.sticks += 1
        sid = f"stick{self.sticks}"
        self.qmp.cmd("blockdev-add", **{"node-name": sid, "driver": "raw",
                                        "file": {"driver": "file", "filename": image}})
        args = {"driver": "usb-storage", "id": sid + "-dev", "drive": sid, "removable": True}
        if self.machine == "virt":
            args["bus"] = "usb.0"
        self.qmp.cmd("device_add", **args)
        return sid

    def unplug_stick(self, sid):
        self.qmp.cmd("device_del", id=sid + "-dev")
        # (its SCSI disk goes first, with an event of its own and no id)
        self.qmp.wait_event("DEVICE_DELETED", timeout=60, device=sid + "-dev")
        self.qmp.cmd("blockdev-del", **{"node-name": sid})

    def cut(self):
        """A power cut: qemu killed, nothing flushed or shut down."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close()

    def power_off(self, timeout=300):
        """The power button (virt's ACPI-less GPIO key, handled by systemd-logind): a clean
        shutdown. Returns True if the box was off within timeout; cuts it otherwise."""
        try:
            self.qmp.cmd("system_powerdown")
            self.proc.wait(timeout=timeout)
            self._close()
            return True
        except (subprocess.TimeoutExpired, RuntimeError, ConnectionError):
            self.cut()
            return False

    def _close(self):
        if self.qmp:
            self.qmp.close()
            self.qmp = None
        tmp = self.serial_log + ".tmp"
        if os.path.exists(tmp):
            with open(tmp, "rb") as src, open(self.serial_log, "ab") as dst:
                shutil.copyfileobj(src, dst)
            os.remove(tmp)


def workdir(prefix):
    """A scratch folder on the disk (/var/tmp: the cards are gigabytes of sparse files)."""
    return tempfile.mkdtemp(prefix=prefix, dir="/var/tmp")
