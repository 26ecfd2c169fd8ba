#!/usr/bin/env python3
"""The SD image we ship, booted under full-system emulation (qemu-system-aarch64): the boot test,
the power-cut test and the card-wear bench (issue 21). See image/README.md, "The image booted".

    box_test.py boot     --image IMG [--machine virt|raspi3b] [--keep DIR]
    box_test.py powercut --image IMG --state DIR --cuts N [--seed S]
    box_test.py wear     --image IMG [--state DIR] [--idle-min M]
    box_test.py stick    --image IMG [--parta HOST_PARTA] [--keep DIR]

boot: first boot ends, the admin's password is on the serial console (the greeting above the
login prompt), in the data partition's password file (0600) and on the admin's start page; the
portal answers through the front (nginx on port 80 -> partad on 127.0.0.1:8081); the admin sets a
school up, a student signs in and hands in a photo that comes back through the front with the
same hash; the power button shuts the box down cleanly, its file systems are clean; the second
boot keeps all of it (no second first boot, the same device keys, the student's photo, the
admin's password). Prints the time from power-on to the portal answering, both boots.

powercut: a card set up once (first boot and a school, kept in --state, so a later run goes on
where the last stopped), then N times: boot, check, take uploads and grades (and a sync export
when the box is enrolled) from phones, SIGKILL qemu at a random moment (sometimes during the
boot), then with the box off check on a throwaway copy of the card: both ext4 file systems clean
or repaired by the preen fsck a boot runs, `PRAGMA integrity_check` ok, every hand-in and grade
the portal confirmed (a 303) is there with a blob whose SHA-256 matches, every blob row has its
file and every blob file its name's hash, what the previous cut left orphaned (blob files no row
names, files in tmp/ and the front's temp folders) is gone after the next boot, and the box's
clock did not go back (sessions made after a boot are not dated before anything before the cut).
The tally is in DIR/tally.json.

stick: the district's USB sticks as staff carry them, FAT32 (formatted as Windows does, filled
with mtools), through the image's own udev rule, parta-usb@.service and partad as the box's
user, on a Debian kernel that has vfat: an empty stick gets the enrollment request (and, the
first after the first boot, the admin's password file), the district (the host's parta CLI)
signs the certificate, the same stick enrolls the box; then the district's stick with a return
bundle written a day ahead, an announcement, a signed pack and one nobody signed, plugged in
while a student's photo trickles in through the front: the photo lands, the announcement and
the signed pack's items are there, the unsigned pack waits for the admin, the box's confirmed
clock is not moved a day by the bundle but offered the district's time (the admin takes it),
the stick comes back with the school's bundle (which the district reads), the
admin page said "can be pulled out" only after the stick was unmounted; with the box off, no
file of the data partition is root's and the database is intact.

wear: the bytes the box writes to its card (qemu's block statistics of the emulated card): idle
per hour, per hand-in, per sign-in and per page view, and a school day made from them.
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_box as qb  # noqa: E402
import school_http as sh  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


PASSWORD_RX = r"until changing it:\s*\r?\n\s*([A-Za-z0-9]{8,})"
FIRSTBOOT_DONE_RX = r"Finished .*Parta first boot"
BAD_SERIAL = [r"EXT4-fs error", r"UNEXPECTED INCONSISTENCY", r"Buffer I/O error",
              r"Failed to start .*(File System Check|Parta|partad)", r"Kernel panic",
              r"emergency mode", r"SQUASHFS error", r"JBD2: .*error"]


def bad_serial_lines(text):
    out = []
    for line in text.splitlines():
        if any(re.search(p, line) for p in BAD_SERIAL):
            out.append(line.strip())
    return out


# ---------------------------------------------------------------------------------------------
# The card with the box off


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def inspect_card(card, folder, with_root=True):
    """Everything the checks read from a card with the box off, on a throwaway overlay:
    {'fsck': {label: (rc, output)}, 'files': ..., 'db': ...}."""
    parts = ("PARTAROOT", "PARTADATA") if with_root else ("PARTADATA",)
    out = {"fsck": {}}
    with card.inspect(folder, parts) as view:
        for label in parts:
            dev = view.loops[label]
            # What a boot does: the kernel replays the journal at mount, systemd-fsck preens.
            replay = qb.sh("e2fsck", "-E", "journal_only", "-y", dev, check=False)
            # what the preen below will fix, said in words (-p fixes quietly)
            before = qb.sh("e2fsck", "-f", "-n", dev, check=False)
            preen = qb.sh("e2fsck", "-f", "-p", dev, check=False)
            full = qb.sh("e2fsck", "-f", "-n", dev, check=False)
            out["fsck"][label] = {
                "replayed": "recovering journal" in (replay.stdout + replay.stderr).lower(),
                "preen_rc": preen.returncode, "preen": (preen.stdout + preen.stderr).strip(),
                "before": "\n".join(l for l in (before.stdout + before.stderr).splitlines()
                                    if not l.startswith(("Pass ", "e2fsck "))
                                    and "files (" not in l)[-600:],
                "after_rc": full.returncode,
                "after": (full.stdout + full.stderr).strip()[-2000:]}
        data = view.mount("PARTADATA")
        out["data_listing"] = {}
        for rel in ("tmp", "front/body", "front/proxy"):
            d = os.path.join(data, rel)
            files = []
            if os.path.isdir(d):
                for root, _, names in os.walk(d):
                    files += [os.path.relpath(os.path.join(root, n), data) for n in names]
            out["data_listing"][rel] = sorted(files)
        blobs = {}
        bdir = os.path.join(data, "blobs")
        for root, _, names in os.walk(bdir):
            for n in names:
                blobs[n] = os.path.join(root, n)
        out["blob_files"] = {}
        for n, p in blobs.items():
            if n.endswith(".gz"):
                out["blob_files"][n] = None
            else:
                out["blob_files"][n] = sha256_file(p)
        pw = os.path.join(data, "first-admin-password")
        out["password_file"] = None
        if os.path.exists(pw):
            st = os.stat(pw)
            out["password_file"] = {"mode": st.st_mode & 0o777, "uid": st.st_uid,
                                    "text": open(pw).read().strip()}
        out["firstboot_done"] = os.path.exists(os.path.join(data, ".firstboot-done"))
        keyf = os.path.join(data, "sync", "device.key")
        out["device_key_sha"] = sha256_file(keyf) if os.path.exists(keyf) else None
        clockf = os.path.join(data, "clock")
        out["clock_file"] = int(open(clockf).read().split()[0]) if os.path.exists(clockf) else None
        # The database as partad would open it: a copy (the view is read-only), WAL replayed.
        dbdir = os.path.join(folder, "db")
        shutil.rmtree(dbdir, ignore_errors=True)
        os.makedirs(dbdir)
        out["db"] = None
        if os.path.exists(os.path.join(data, "parta.db")):
            for suffix in ("", "-wal"):
                src = os.path.join(data, "parta.db" + suffix)
                if os.path.exists(src):
                    shutil.copy(src, os.path.join(dbdir, "parta.db" + suffix))
            out["db"] = read_db(os.path.join(dbdir, "parta.db"))
        shutil.rmtree(dbdir, ignore_errors=True)
    return out


def read_db(path):
    con = sqlite3.connect(path)
    try:
        integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
        fk = con.execute("PRAGMA foreign_key_check").fetchall()
        subs = con.execute(
            "SELECT s.assignment_id, s.student_id, f.sha256, u.login FROM submissions s "
            "JOIN submission_files f ON f.submission_id = s.id "
            "JOIN users u ON u.id = s.student_id").fetchall()
        grades = con.execute(
            "SELECT g.assignment_id, u.login, g.mark FROM grades g "
            "JOIN users u ON u.id = g.student_id").fetchall()
        blob_rows = [r[0] for r in con.execute("SELECT sha256 FROM blobs")]
        sessions = {r[0]: r[1] for r in con.execute("SELECT token_hash, created_at FROM sessions")}
        stamps = [r[0] or 0 for r in con.execute(
            "SELECT max(created_at) FROM submissions UNION ALL SELECT max(graded_at) FROM grades "
            "UNION ALL SELECT max(created_at) FROM sessions UNION ALL "
            "SELECT max(last_seen) FROM sessions")]
        return {"integrity": integrity, "fk": len(fk),
                "subs": [list(r) for r in subs], "grades": [list(r) for r in grades],
                "blob_rows": blob_rows, "sessions": sessions, "latest": max(stamps)}
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# Boots


def put_root_files(card, folder, work):
    """Copies folder's tree into the card's root partition (box off): a fix tried on the image
    as built, before the next image build ships it."""
    if not folder:
        return
    with card.edit(os.path.join(work, "edit")) as view:
        mnt = view.mount("PARTAROOT", ro=False)
        qb.sh("cp", "-r", "--preserve=mode", os.path.join(folder, "."), mnt + "/")
        log(f"copied into the root: {qb.sh('find', folder, '-type', 'f').stdout.split()}")


boxes = []
workdirs = []


def keep_out(folder):
    workdirs.append(folder)
    return folder


def new_box(card, kfiles, folder, machine, **kw):
    box = qb.Box(card, kfiles, folder, machine=machine, **kw)
    boxes.append(box)
    return box


def boot_until_portal(box, timeout):
    box.start()
    t = box.wait_portal(timeout)
    return t


def read_password_from_console(box, timeout=60, strict=False):
    """The admin's password from the greeting above the console's login prompt. Waits for the
    login prompt drawn after first boot ended; if it shows none (agetty drew its prompt before
    parta-firstboot wrote the greeting), a person would press Enter: so does this, unless
    strict."""
    m = box.wait_serial(PASSWORD_RX, timeout)
    if m or strict:
        return m.group(1) if m else None
    box.press_enter()
    m = box.wait_serial(PASSWORD_RX, 30)
    return m.group(1) if m else None


def cmd_boot(args):
    work = args.keep or keep_out(qb.workdir("parta-boot-"))
    os.makedirs(work, exist_ok=True)
    image = qb.Image(args.image)
    kfiles = image.kernel_files(work)
    card = qb.Card(image, os.path.join(work, "card.qcow2"))
    put_root_files(card, args.root_files, work)
    times = {}
    with qb.BuildLock():
        box = new_box(card, kfiles, os.path.join(work, "boot1"), args.machine)
        log(f"first boot ({args.machine}); serial console in {box.serial_log}.tmp")
        t = boot_until_portal(box, args.timeout)
        times["first"] = t
        times["first_qemu_cpu_s"] = box.cpu_at_portal
        check(t is not None, f"first boot: the portal answers /login through the front "
                             f"({t:.0f} s after power-on)" if t else "first boot: portal never answered")
        if t is None:
            print("\n".join(box.serial().splitlines()[-60:]))
            box.cut()
            return
        check(box.wait_serial(FIRSTBOOT_DONE_RX, 60) is not None,
              "parta-firstboot.service finished")
        pw = read_password_from_console(box, strict=True)
        check(pw is not None, "the admin's password is on the console (the greeting above the "
                              "login prompt, without a key pressed)")
        if pw is None:
            pw = read_password_from_console(box)
            check(pw is not None, "the admin's password is on the console after Enter")
        status, page = sh.Phone(box.base).get("/login")
        check(status == 200 and "csrf" in page, "the login page comes from partad through nginx")
        admin = sh.Phone(box.base)
        check(pw is not None and admin.sign_in("admin", pw), "the admin signs in with it")
        _, home = admin.get("/")
        check(pw is not None and pw in home and "смените его в профиле" in home,
              "the admin's start page shows the password until it is changed")
        _, sync_page = admin.get("/admin/sync")
        m = re.search(r"<code>([a-z0-9]{20})</code>", sync_page)
        device = m.group(1) if m else None
        t0 = time.time()
        school = sh.School(box.base, pw, students=3, log=log)
        log(f"school set up in {time.time() - t0:.0f} s")
        student = school.student(0)
        photo = sh.photo(42)
        check(school.hand_in(student, 0, photo) == 303, "a student signs in and hands in a photo (303)")
        ids = school.submission_files(student, 0)
        status, data = student.get_bytes(f"/files/submission/{ids[0]}") if ids else (0, b"")
        check(status == 200 and sh.sha256(data) == sh.sha256(photo),
              "the photo comes back through the front (X-Accel from the blob store), same SHA-256")
        teacher = school.teacher()
        check(school.grade(teacher, 0, "5") == 303, "the teacher grades it")
        stats1 = box.blockstats()
        log(f"first boot wrote {stats1['wr_bytes'] / 1e6:.1f} MB to the card")
        off = box.power_off(timeout=180)
        check(off, "the power button shuts the box down cleanly")
        serial1 = open(box.serial_log, errors="replace").read()
        bad = bad_serial_lines(serial1)
        check(not bad, "no file system or unit errors on the console: " + "; ".join(bad[:5]))
        seen = inspect_card(card, os.path.join(work, "inspect1"))
        for label, f in seen["fsck"].items():
            check(f["preen_rc"] == 0 and f["after_rc"] == 0 and not f["replayed"],
                  f"{label} is clean after the shutdown")
        pf = seen["password_file"]
        check(pf is not None and pf["mode"] == 0o600 and pf["text"] == pw,
              "the data partition's first-admin-password holds it, mode 0600")
        check(seen["db"] and seen["db"]["integrity"] == ["ok"], "PRAGMA integrity_check: ok")
        check(seen["firstboot_done"], "first boot left its flag")

        box2 = new_box(card, kfiles, os.path.join(work, "boot2"), args.machine)
        log("second boot")
        t = boot_until_portal(box2, args.timeout)
        times["second"] = t
        times["second_qemu_cpu_s"] = box2.cpu_at_portal
        check(t is not None, f"second boot: the portal answers ({t:.0f} s after power-on)"
              if t else "second boot: portal never answered")
        if t is not None:
            check(box2.wait_serial(FIRSTBOOT_DONE_RX, 5) is None, "no second first boot")
            admin = sh.Phone(box2.base)
            check(admin.sign_in("admin", pw), "the admin's password still signs in")
            _, sync_page = admin.get("/admin/sync")
            check(device is not None and device in sync_page, "the same device id (keys kept)")
            school.base = box2.base
            student = school.student(0)
            ids = school.submission_files(student, 0)
            status, data = student.get_bytes(f"/files/submission/{ids[0]}") if ids else (0, b"")
            check(status == 200 and sh.sha256(data) == sh.sha256(photo),
                  "the student's photo is still there, same SHA-256")
            _, page = school.teacher().get(school.thread(0))
            check(">5<" in page or "5</" in page, "the grade is still there")
            check(box2.power_off(timeout=180), "second shutdown clean")
        else:
            box2.cut()
    print(json.dumps({"boot_to_portal_s": times}))
    with open(os.path.join(work, "times.json"), "w") as f:
        json.dump(times, f)


# ---------------------------------------------------------------------------------------------
# USB sticks as staff carry them: FAT32, through the image's own udev rule and parta-usb


ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
STICK_DONE = "Флешка обработана"
STICK_FAILED = "Флешку не удалось прочитать"


def fat32_stick(path, tree=None, label="DISTRICT", mb=64):
    """A FAT32 stick as Windows or a district PC formats it, filled with mtools (nothing
    mounted on this side)."""
    if os.path.exists(path):
        os.remove(path)
    qb.sh("mkfs.vfat", "-F", "32", "-n", label, "-C", path, str(mb * 1024))
    if tree:
        for name in sorted(os.listdir(tree)):
            qb.sh("mcopy", "-s", "-i", path, os.path.join(tree, name), "::/")
    return path


def stick_files(path):
    """Every file on a stick image: {path: size}."""
    out = qb.sh("mdir", "-/", "-b", "-i", path, "::/", check=False).stdout
    files = {}
    for line in out.splitlines():
        line = line.strip()
        if line and not line.endswith("/"):
            r = qb.sh("mdir", "-i", path, line, check=False).stdout
            m = re.search(r"\s(\d[\d ]*)\s+\d{4}-\d\d-\d\d", r)
            files[line.replace("::", "", 1)] = int(m.group(1).replace(" ", "")) if m else -1
    return files


def status_line(admin):
    _, home = admin.get("/")
    if 'action="/logout"' not in home and getattr(admin, "secret", None):
        # A district bundle that moves the box's clock a day ahead ends idle sessions: the
        # admin signs in again, as a person would.
        admin.sign_in(*admin.secret)
        _, home = admin.get("/")
    m = re.search(r'<p class="notice">[^<]*: ((?:Флешка|Читаю)[^<]*)</p>', home)
    return html_unescape(m.group(1)) if m else ""


def html_unescape(t):
    import html
    return html.unescape(t)


def plug_and_wait(box, admin, image, timeout=600):
    """Plugs the stick in, waits for parta-usb to finish with it (the admin's start page says
    so), unplugs it. Returns the status line."""
    before = status_line(admin)
    sid = box.plug_stick(image)
    line = sh.wait(lambda: (lambda l: l if l != before and (STICK_DONE in l or STICK_FAILED in l)
                            else None)(status_line(admin)), timeout, step=3)
    box.unplug_stick(sid)
    return line or ""


def slow_hand_in(school, i, data, seconds, result):
    """Student i's photo on a weak signal: it trickles in through the front over `seconds`."""
    phone = school.student(i)
    phone.get(school.thread(i))
    ctype, body = sh.multipart(phone.csrf, {"text": "Сдаю"},
                               [("files", "карта.jpg", "image/jpeg", data)])
    cookie = "; ".join(f"{k}={v}" for k, v in phone.cookies.items())
    try:
        result["status"], result["location"] = sh.trickle_post(
            school.base, school.thread(i) + "/submit", ctype, body, cookie, seconds)
    except OSError as e:
        result["error"] = repr(e)


class District:
    """The district's side, worked by the host's parta CLI on its own folder (no hub partad)."""

    def __init__(self, parta, data):
        self.parta, self.data = parta, data

    def cli(self, *a):
        r = subprocess.run([self.parta, "--data", self.data, "--lang", "en", *a],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"hub: parta {' '.join(a)}: {r.stdout}{r.stderr}")
        return r.stdout

    def key(self):
        return self.cli("district", "key").strip().splitlines()[-1].strip()


def set_district_key(card, folder, key):
    """The district's technician sets the district's key on the box (at its console, `parta
    sync district-key`): here written onto the card with the box off, as the box's user (the
    data partition's owner). Returns that user's uid."""
    with card.edit(folder, parts=("PARTADATA",)) as view:
        data = view.mount("PARTADATA", ro=False)
        st = os.stat(data)
        os.makedirs(os.path.join(data, "sync"), exist_ok=True)
        os.chown(os.path.join(data, "sync"), st.st_uid, st.st_gid)
        kf = os.path.join(data, "sync", "district.pub")
        with open(kf, "w") as f:
            f.write(key + "\n")
        os.chown(kf, st.st_uid, st.st_gid)
        return st.st_uid


def enroll_by_stick(box, admin, carrier, district, first_stick=False):
    """Enrollment as staff do it: an empty FAT32 stick with parta/enroll/ plugged in (the box
    writes its request), carried to the district (the fingerprint read off the admin's sync
    page), the certificate written back onto it and plugged in again. Returns the device id."""
    _, page = admin.get("/admin/sync")
    fp = re.search(r'<b class="big" translate="no">([^<]+)</b>', page)
    device = re.search(r"<code>([a-z0-9]{20})</code>", page)
    check(fp and device, "the sync page shows the box's id and fingerprint")
    device = device.group(1)
    os.makedirs(os.path.join(carrier, "parta", "enroll"), exist_ok=True)
    stick = fat32_stick(os.path.join(carrier, "..", "enroll.img"), carrier, label="ENROLL")
    line = plug_and_wait(box, admin, stick)
    check(STICK_DONE in line, f"the enrollment stick is done: {line}")
    files = stick_files(stick)
    req = f"/parta/enroll/{device}.request"
    check(req in files and files[req] > 0, f"the request is on the stick: {sorted(files)}")
    if first_stick:
        check(any(f.upper().endswith("PARTA-ADMIN-PASSWORD.TXT") for f in files),
              "the first stick after the first boot got the admin's password file")
    local_req = os.path.join(carrier, "parta", "enroll", device + ".request")
    qb.sh("mcopy", "-n", "-o", "-i", stick, "::" + req, local_req)
    out = district.cli("district", "enroll", local_req, "--fingerprint", fp.group(1))
    cert = out.splitlines()[0].strip()
    check(os.path.exists(cert), f"the district signs the certificate: {out.strip()}")
    qb.sh("mcopy", "-o", "-i", stick, cert, f"::/parta/enroll/{os.path.basename(cert)}")
    line = plug_and_wait(box, admin, stick)
    _, page = admin.get("/admin/sync")
    check(STICK_DONE in line and "Зарегистрирован в районе" in page,
          f"the box takes its certificate from the stick: {line}")
    return device


def power_on(card, kfiles, folder, args, what):
    """The box powered on until its portal answers (the box), or a failed check (None)."""
    box = new_box(card, kfiles, folder, args.machine)
    t = boot_until_portal(box, args.timeout)
    check(t is not None, f"{what}: the portal answers" + (f" ({t:.0f} s)" if t else ""))
    return box if t is not None else None


def cmd_stick(args):
    """The district's sticks as staff carry them, on FAT32 through the image's udev rule,
    parta-usb@.service and partad as the box's user (issue 15's FAT32 round)."""
    work = args.keep or keep_out(qb.workdir("parta-stick-"))
    os.makedirs(work, exist_ok=True)
    parta = args.parta
    district = District(parta, os.path.join(work, "hub"))
    hub = district.cli

    image = qb.Image(args.image)
    kfiles = image.kernel_files(work)
    card = qb.Card(image, os.path.join(work, "card.qcow2"))
    put_root_files(card, args.root_files, work)
    with qb.BuildLock():
        box = power_on(card, kfiles, os.path.join(work, "boot1"), args, "first boot")
        if box is None:
            return
        pw = read_password_from_console(box)
        school = sh.School(box.base, pw, students=2, log=log)
        check(box.power_off(timeout=180), "first shutdown clean")
    box_uid = set_district_key(card, os.path.join(work, "edit"), district.key())
    with qb.BuildLock():
        box = power_on(card, kfiles, os.path.join(work, "boot2"), args, "second boot")
        if box is None:
            return
        school.base = box.base  # (a port of its own at every power-on)
        admin = sh.Phone(box.base)
        check(admin.sign_in("admin", pw), "the admin signs in")
        device = enroll_by_stick(box, admin, os.path.join(work, "carrier"), district,
                                 first_stick=True)
        # 2. The district's stick, FAT32: a return bundle written a day ahead (offered to the
        # admin), an announcement, a signed pack and a pack nobody signed, while a
        # student's photo trickles in.
        hub("district", "announce", "--title", "Приказ районо №13", "--body", "Текст приказа")
        tree = os.path.join(work, "district-tree")
        os.makedirs(os.path.join(tree, "parta", "packs"), exist_ok=True)
        env = dict(os.environ)
        r = subprocess.run(["faketime", "-f", "+1d", parta, "--data", os.path.join(work, "hub"),
                            "--lang", "en", "district", "export", "--to", tree],
                           capture_output=True, text=True, env=env, timeout=600)
        check(r.returncode == 0, "the hub (a day ahead) writes the school's return bundle: " +
              r.stderr[-300:])
        good = os.path.join(ROOT, "tests", "fixtures", "packs", "good.tar.gz")
        hub("district", "sign-pack", good, "--out",
            os.path.join(tree, "parta", "packs", "district-pack.tar.gz"))
        shutil.copy(os.path.join(ROOT, "content", "sample", "sample-pack.tar.gz"),
                    os.path.join(tree, "parta", "packs", "from-a-stranger.tar.gz"))
        dstick = fat32_stick(os.path.join(work, "district.img"), tree)
        photo = sh.photo(77, (900, 700))
        upload = {}
        th = threading.Thread(target=slow_hand_in, args=(school, 1, photo, 20.0, upload))
        th.start()
        time.sleep(3)
        line = plug_and_wait(box, admin, dstick)
        th.join(timeout=300)
        check(STICK_DONE in line, f"the district's FAT32 stick is done: {line}")
        check(upload.get("status") == 303 and "/login" not in upload.get("location", ""),
              f"the photo in flight while the stick was handled landed: {upload}")
        student = school.student(1)
        ids = school.submission_files(student, 1)
        got = [student.get_bytes(f"/files/submission/{i}") for i in ids]
        check(any(st == 200 and sh.sha256(b) == sh.sha256(photo) for st, b in got),
              f"the photo comes back with the same SHA-256 ({len(photo)} bytes sent; files on "
              f"the thread: {[(i, st, len(b)) for i, (st, b) in zip(ids, got)]})")
        _, ann = admin.get("/announcements")
        check("Приказ районо №13" in ann, "the district's announcement arrived")
        _, packs = admin.get("/admin/packs")
        check("from-a-stranger.tar.gz" in packs, "the pack nobody signed waits for the admin")
        _, lib = student.get("/library")
        items = re.findall(r'href="/library/(\d+)"', lib)
        served = [student.get_bytes(f"/library/{i}/file")[0] == 200 for i in items]
        check(items and all(served), f"the signed pack's {len(items)} items are served to a "
                                     f"student")
        # The box's clock is confirmed (qemu's RTC): a district a day ahead does not move it on
        # its own; the clock page offers the district's time and the admin takes it.
        _, clock = admin.get("/admin/clock")
        check("Часы управления спешат" in clock,
              "a district clock a day ahead is offered to the admin, not taken")
        admin.post("/admin/clock/district", {"take": "1"})
        _, clock = admin.get("/admin/clock")
        check("из района" in clock and "Часы управления спешат" not in clock,
              "the admin takes the district's time")
        files = stick_files(dstick)
        out_bundles = [f for f in files if "to-district" in f and f.endswith(".ptb")]
        check(len(out_bundles) == 1 and files[out_bundles[0]] > 0,
              f"the stick now carries the school's bundle for the district: {out_bundles}")
        check(box.power_off(timeout=180), "shutdown clean")
        serial = open(box.serial_log, errors="replace").read()
        bad = bad_serial_lines(serial)
        check(not bad, "no file system or unit errors on the console: " + "; ".join(bad[:5]))
    # 3. The district reads the school's bundle from the stick.
    back = os.path.join(work, "back")
    os.makedirs(back, exist_ok=True)
    qb.sh("mcopy", "-s", "-n", "-i", dstick, "::/parta", back)
    out = hub("district", "import", back)
    _, status = 0, hub("district", "status")
    check(device in status, f"the district read the school's bundle: {out.strip()[-200:]}")
    # 4. The card, box off: nothing in the data folder belongs to root, the database is intact.
    with card.inspect(os.path.join(work, "inspect")) as view:
        data = view.mount("PARTADATA")
        foreign = []
        for dirpath, dirnames, filenames in os.walk(data):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if os.lstat(p).st_uid != box_uid and n != "lost+found":
                    foreign.append(os.path.relpath(p, data))
        check(not foreign, f"every file of the data partition is the box's user's: {foreign[:5]}")
        dbdir = os.path.join(work, "db")
        os.makedirs(dbdir, exist_ok=True)
        for suffix in ("", "-wal"):
            src = os.path.join(data, "parta.db" + suffix)
            if os.path.exists(src):
                shutil.copy(src, os.path.join(dbdir, "parta.db" + suffix))
        check(read_db(os.path.join(dbdir, "parta.db"))["integrity"] == ["ok"],
              "PRAGMA integrity_check: ok")


# ---------------------------------------------------------------------------------------------
# Power cuts


class Ledger:
    """What the portal confirmed (303s), saved beside the card."""

    def __init__(self, path):
        self.path = path
        self.d = {"hand_ins": [], "grades": {}, "attempted_grades": {}}
        if os.path.exists(path):
            self.d = json.load(open(path))
        self.lock = threading.Lock()

    def save(self):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.d, f)
        os.replace(tmp, self.path)


def workload(box, school, ledger, stop, rnd, counts, enrolled_stick=None):
    """Phones until stop is set: two students' phones hand in photos, a teacher grades."""
    students = school.info["students"]
    phones = {}

    def phone(i):
        if i not in phones:
            phones[i] = school.student(i)
        return phones[i]

    def student_loop(ids, seed):
        r = random.Random(seed)
        while not stop.is_set():
            i = r.choice(ids)
            try:
                p = phone(i)
                data = sh.photo(r.getrandbits(48), size=(r.choice([480, 640, 800]), 480))
                sha = sh.sha256(data)
                counts["attempted_hand_ins"] += 1
                status = school.hand_in(p, i, data)
                if status == 303:
                    with ledger.lock:
                        ledger.d["hand_ins"].append([students[i]["login"], sha])
                    counts["confirmed_hand_ins"] += 1
            except Exception:  # noqa: BLE001 (the cut)
                phones.pop(i, None)
                time.sleep(0.5)

    def teacher_loop(seed):
        r = random.Random(seed)
        t = None
        while not stop.is_set():
            i = r.randrange(len(students))
            login = students[i]["login"]
            mark = str(r.randint(2, 5))
            try:
                t = t or school.teacher()
                with ledger.lock:
                    ledger.d["attempted_grades"].setdefault(login, []).append(mark)
                counts["attempted_grades"] += 1
                if school.grade(t, i, mark) == 303:
                    with ledger.lock:
                        ledger.d["grades"][login] = mark
                        ledger.d["attempted_grades"][login] = []
                    counts["confirmed_grades"] += 1
            except Exception:  # noqa: BLE001
                t = None
                time.sleep(0.5)
            time.sleep(r.uniform(0.5, 3))

    def stick_loop(seed):
        # A USB stick plugged in (parta-usb mounts it and asks partad for the exchange: the box,
        # enrolled with the district at setup, writes its bundle for the district onto it, a
        # sync export; the usb-status file on the data partition changes).
        r = random.Random(seed)
        if stop.wait(r.uniform(1, 20)) or r.random() < 0.3:
            return
        img = os.path.join(box.folder, "stick.img")
        try:
            if os.path.exists(img):
                os.remove(img)
            qb.sh("mkfs.vfat", "-C", "-n", "STICK", img, str(32 * 1024))
            qb.sh("mmd", "-i", img, "::/parta", "::/parta/enroll")
            box.plug_stick(img)
            counts["sticks"] = counts.get("sticks", 0) + 1
        except Exception:  # noqa: BLE001 (the cut came first)
            pass

    half = len(students) // 2
    threads = [threading.Thread(target=student_loop, args=(list(range(half)), rnd.random())),
               threading.Thread(target=student_loop,
                                args=(list(range(half, len(students))), rnd.random())),
               threading.Thread(target=teacher_loop, args=(rnd.random(),)),
               threading.Thread(target=stick_loop, args=(rnd.random(),))]
    for th in threads:
        th.daemon = True
        th.start()
    return threads


def judge_inspection(seen, prev, ledger, tally, portal_up=True):
    """The checks after a cut. Returns a list of problems (empty: survived). Leftovers of the
    previous cut must be gone only after a boot that got as far as partad (portal_up): partad
    empties tmp/ at its start; a cut earlier in the boot leaves them for the next boot."""
    problems = []
    for label, f in seen["fsck"].items():
        if f["preen_rc"] not in (0, 1) or f["after_rc"] != 0:
            problems.append(f"{label}: fsck preen {f['preen_rc']}, then {f['after_rc']}: "
                            f"{f['preen'][-300:]} {f['after'][-300:]}")
        if f["replayed"]:
            tally["journal_replays"] = tally.get("journal_replays", 0) + 1
        if f["preen_rc"] == 1:
            tally["preen_repairs"] = tally.get("preen_repairs", 0) + 1
            tally.setdefault("preen_repair_samples", []).append(f"{label}: {f['before']}")
            tally["preen_repair_samples"] = tally["preen_repair_samples"][-5:]
    db = seen["db"]
    if db is None:
        return problems + ["no database"]
    if db["integrity"] != ["ok"]:
        problems.append("integrity_check: " + "; ".join(db["integrity"][:5]))
    if db["fk"]:
        problems.append(f"foreign_key_check: {db['fk']} rows")
    have = {(login, sha) for _, _, sha, login in db["subs"]}
    lost = [h for h in ledger.d["hand_ins"] if tuple(h) not in have]
    if lost:
        problems.append(f"{len(lost)} confirmed hand-ins missing, e.g. {lost[:3]}")
    grades = {login: mark for _, login, mark in db["grades"]}
    for login, mark in ledger.d["grades"].items():
        ok = {mark} | set(ledger.d["attempted_grades"].get(login, []))
        if grades.get(login) not in ok:
            problems.append(f"grade of {login}: {grades.get(login)}, confirmed {mark}")
    files = seen["blob_files"]
    rows = set(db["blob_rows"])
    for sha in rows:
        if sha not in files:
            problems.append(f"blob row {sha[:12]} has no file")
        elif files[sha] != sha:
            problems.append(f"blob {sha[:12]} holds other bytes ({files[sha][:12]})")
    for login, sha in ledger.d["hand_ins"]:
        if sha not in files:
            problems.append(f"the blob of a confirmed hand-in of {login} is missing")
    orphans = sorted(n for n in files if n[:64] not in rows)
    temps = sorted(sum(seen["data_listing"].values(), []))
    if prev and not portal_up:
        orphans = sorted(set(orphans) | set(prev["orphans"]))
        temps = sorted(set(temps) | set(prev["temps"]))
    elif prev:
        stale = sorted(set(prev["orphans"]) & set(orphans))
        if stale:
            problems.append(f"{len(stale)} blob files left by the previous cut are still "
                            f"orphaned after a boot: {stale[:3]}")
        stale_tmp = sorted(set(prev["temps"]) & set(temps))
        if stale_tmp:
            problems.append(f"{len(stale_tmp)} temp files left by the previous cut are still "
                            f"there after a boot: {stale_tmp[:3]}")
        new_sessions = [t for k, t in db["sessions"].items() if k not in prev["sessions"]]
        if new_sessions and min(new_sessions) < prev["latest"]:
            problems.append(f"the clock went back: a session made after the boot is dated "
                            f"{prev['latest'] - min(new_sessions)} s before the latest time "
                            f"recorded before the cut")
    tally["orphans_seen"] = tally.get("orphans_seen", 0) + len(orphans)
    tally["temps_seen"] = tally.get("temps_seen", 0) + len(temps)
    seen["_summary"] = {"orphans": orphans, "temps": temps, "sessions": list(db["sessions"]),
                        "latest": db["latest"]}
    return problems


def setup_powercut_state(args, image, kfiles, state):
    card = qb.Card.__new__(qb.Card)
    card.image, card.path = image, os.path.join(state, "card.qcow2")
    info_path = os.path.join(state, "school.json")
    if os.path.exists(info_path):
        # A run going on with a card set up before: the root files of this run (a fix being
        # tried) go onto it first, box off.
        put_root_files(card, args.root_files, state)
        return card, json.load(open(info_path))
    qb.Card.__init__(card, image, card.path)
    put_root_files(card, args.root_files, state)
    box = new_box(card, kfiles, os.path.join(state, "setup"), args.machine)
    with qb.BuildLock():
        t = boot_until_portal(box, args.timeout)
        if t is None:
            box.cut()
            raise SystemExit("setup: the portal never answered")
        pw = read_password_from_console(box)
        school = sh.School(box.base, pw, students=args.students, log=log)
        # every student signed in once (their user ids), so a cut never hits that
        for i in range(len(school.info["students"])):
            school.student(i)
        box.power_off(timeout=180)
    # Enrolled with a district, so that every stick plugged in during the work takes a sync
    # export (the box writes its bundle for the district onto it).
    district = District(args.parta, os.path.join(state, "hub"))
    set_district_key(card, os.path.join(state, "edit"), district.key())
    box = new_box(card, kfiles, os.path.join(state, "setup2"), args.machine)
    with qb.BuildLock():
        if boot_until_portal(box, args.timeout) is None:
            box.cut()
            raise SystemExit("setup: the portal never answered after the district's key")
        admin = sh.Phone(box.base)
        admin.sign_in("admin", pw)
        school.info["device"] = enroll_by_stick(box, admin, os.path.join(state, "carrier"),
                                                district)
        box.power_off(timeout=180)
    if failures:
        raise SystemExit("setup: enrollment failed")
    json.dump(school.info, open(info_path, "w"))
    return card, school.info


def cmd_powercut(args):
    state = os.path.abspath(args.state)
    os.makedirs(state, exist_ok=True)
    # The card's overlay needs its backing file as it was: a copy of the image, kept with the
    # state, so a rebuilt image does not pull the card from under a long run.
    frozen = os.path.join(state, "image.img")
    if not os.path.exists(frozen):
        qb.sh("cp", "--sparse=always", args.image, frozen + ".tmp")
        os.replace(frozen + ".tmp", frozen)
    image = qb.Image(frozen)
    kfiles = image.kernel_files(state)
    card, info = setup_powercut_state(args, image, kfiles, state)
    ledger = Ledger(os.path.join(state, "ledger.json"))
    tally_path = os.path.join(state, "tally.json")
    tally = json.load(open(tally_path)) if os.path.exists(tally_path) else {
        "attempted": 0, "survived": 0, "failed": 0, "during_boot": 0, "boot_failures": 0,
        "attempted_hand_ins": 0, "confirmed_hand_ins": 0, "attempted_grades": 0,
        "confirmed_grades": 0, "boot_s": [], "problems": []}
    prev_path = os.path.join(state, "prev.json")
    prev = json.load(open(prev_path)) if os.path.exists(prev_path) else None
    rnd = random.Random(args.seed if args.seed is not None else time.time())
    serial_log = os.path.join(state, "serial.log")
    for n in range(args.cuts):
        cycle = tally["attempted"] + 1
        if os.path.exists(os.path.join(state, "STOP")):
            log("STOP file: ending")
            break
        with qb.BuildLock():
            box = new_box(card, kfiles, os.path.join(state, "box"), args.machine,
                          serial_log=serial_log)
            school = sh.School(box.base, info=info, log=log)
            during_boot = rnd.random() < args.boot_cut_share
            counts = {k: 0 for k in ("attempted_hand_ins", "confirmed_hand_ins",
                                     "attempted_grades", "confirmed_grades")}
            if during_boot:
                box.start()
                delay = rnd.uniform(3, max(5, (sum(tally["boot_s"][-5:]) /
                                               max(1, len(tally["boot_s"][-5:]))) or 60))
                time.sleep(delay)
                box.cut()
                what = f"during the boot ({delay:.0f} s after power-on)"
                tally["during_boot"] += 1
            else:
                t = boot_until_portal(box, args.timeout)
                if t is None:
                    tail = "\n".join(box.serial().splitlines()[-40:])
                    box.cut()
                    tally["attempted"] += 1
                    tally["failed"] += 1
                    tally["boot_failures"] += 1
                    tally["problems"].append({"cycle": cycle, "problems": ["no portal"],
                                              "serial": tail})
                    json.dump(tally, open(tally_path, "w"), indent=1)
                    log(f"cut {cycle}: the portal never answered\n{tail}")
                    continue
                tally["boot_s"].append(round(t, 1))
                stop = threading.Event()
                threads = workload(box, school, ledger, stop, rnd, counts)
                hold = rnd.uniform(2, args.max_hold)
                time.sleep(hold)
                box.cut()
                stop.set()
                for th in threads:
                    th.join(timeout=30)
                what = f"{hold:.0f} s into the work (portal up {t:.0f} s after power-on)"
            ledger.save()
            for k, v in counts.items():
                tally[k] = tally.get(k, 0) + v
            seen = inspect_card(card, os.path.join(state, "inspect"))
        problems = judge_inspection(seen, prev, ledger, tally, portal_up=not during_boot)
        with open(serial_log, errors="replace") as f:
            f.seek(max(0, box.log_start))
            bad = bad_serial_lines(f.read())
        if bad:
            problems.append("console: " + "; ".join(bad[:5]))
        tally["attempted"] += 1
        if problems:
            tally["failed"] += 1
            tally["problems"].append({"cycle": cycle, "what": what, "problems": problems})
        else:
            tally["survived"] += 1
        prev = seen["_summary"]
        json.dump(prev, open(prev_path, "w"))
        json.dump(tally, open(tally_path, "w"), indent=1)
        log(f"cut {cycle} {what}: hand-ins {counts['confirmed_hand_ins']}/"
            f"{counts['attempted_hand_ins']} confirmed, grades {counts['confirmed_grades']}/"
            f"{counts['attempted_grades']}; "
            + ("survived" if not problems else "PROBLEMS: " + " | ".join(problems)))
        # keep the serial log from growing without end
        if os.path.getsize(serial_log) > 50 << 20:
            os.replace(serial_log, serial_log + ".old")
    print(json.dumps({k: tally[k] for k in ("attempted", "survived", "failed", "during_boot",
                                            "boot_failures", "confirmed_hand_ins",
                                            "confirmed_grades")}))
    if tally["failed"]:
        failures.append(f"{tally['failed']} of {tally['attempted']} cuts not survived")


# ---------------------------------------------------------------------------------------------
# Card wear


def cmd_wear(args):
    work = args.keep or keep_out(qb.workdir("parta-wear-"))
    os.makedirs(work, exist_ok=True)
    image = qb.Image(args.image)
    kfiles = image.kernel_files(work)
    card_path = os.path.join(work, "card.qcow2")
    card = qb.Card(image, card_path)
    put_root_files(card, args.root_files, work)
    result = {}
    with qb.BuildLock():
        box = new_box(card, kfiles, os.path.join(work, "setup"), args.machine)
        t = boot_until_portal(box, args.timeout)
        if t is None:
            raise SystemExit("no portal")
        pw = read_password_from_console(box)
        school = sh.School(box.base, pw, students=args.students, log=log)
        box.power_off(timeout=180)
        # The measured boot: a box that has been set up, as every morning.
        box = new_box(card, kfiles, os.path.join(work, "day"), args.machine)
        t = boot_until_portal(box, args.timeout)
        school.base = box.base
        w0 = box.blockstats()["wr_bytes"]
        time.sleep(args.settle)
        w1 = box.blockstats()["wr_bytes"]
        result["boot_bytes"] = w1
        result["boot_s"] = t
        log(f"boot + {args.settle} s settle: {w1 / 1e6:.2f} MB written ({w0 / 1e6:.2f} at portal)")
        # idle
        t0 = time.time()
        time.sleep(args.idle_min * 60)
        w2 = box.blockstats()["wr_bytes"]
        result["idle_bytes_per_hour"] = (w2 - w1) * 3600 / (time.time() - t0)
        log(f"idle: {result['idle_bytes_per_hour'] / 1e6:.2f} MB/hour")
        # sign-ins: every student once (a session row each)
        phones = []
        for i in range(len(school.info["students"])):
            phones.append(school.student(i))
        w3 = box.blockstats()["wr_bytes"]
        # page views: each student opens its assignment page five times
        for _ in range(5):
            for i, p in enumerate(phones):
                p.get(school.thread(i))
                p.get("/")
        w4 = box.blockstats()["wr_bytes"]
        # hand-ins: each student one photo
        photo_bytes = 0
        for i, p in enumerate(phones):
            data = sh.photo(1000 + i, size=(1024, 768))
            photo_bytes += len(data)
            school.hand_in(p, i, data)
        # grades: the teacher grades each
        teacher = school.teacher()
        for i in range(len(phones)):
            school.grade(teacher, i, "4")
        w5a = box.blockstats()["wr_bytes"]
        # what ext4 commits later (commit=30 on the data partition, 60 on the root) and the WAL
        time.sleep(90)
        w5 = box.blockstats()["wr_bytes"]
        el = 90 + 0.0
        idle_share = result["idle_bytes_per_hour"] * el / 3600
        n = len(phones)
        result.update(
            students=n,
            sign_in_bytes=(w3 - w2) / n,
            page_view_bytes=(w4 - w3) / (10 * n),
            hand_in_and_grade_bytes=(w5 - w4 - idle_share) / n,
            photo_bytes_avg=photo_bytes / n,
            burst_visible_immediately=w5a - w4)
        stats = box.blockstats()
        result["wr_operations"] = stats.get("wr_operations")
        result["flush_operations"] = stats.get("flush_operations")
        box.power_off(timeout=180)
    # A school day: the box on 8 hours; a class of 25 signs in once each, 40 page views each,
    # 2 hand-ins each (photos of 1.5 MB: a phone's camera) and the teacher grades them.
    day = {"hours_on": 8, "students": 25, "views": 40, "hand_ins": 2, "photo_mb": 1.5}
    overhead = result["hand_in_and_grade_bytes"] - result["photo_bytes_avg"]
    per_day = (result["idle_bytes_per_hour"] * day["hours_on"] + result["boot_bytes"]
               + day["students"] * (result["sign_in_bytes"] + day["views"] * result["page_view_bytes"]
                                    + day["hand_ins"] * (overhead + day["photo_mb"] * 1e6)))
    result["day"] = day
    result["bytes_per_school_day"] = per_day
    result["bytes_per_school_day_without_photos"] = per_day - (
        day["students"] * day["hand_ins"] * day["photo_mb"] * 1e6)
    print(json.dumps(result, indent=1))
    with open(os.path.join(work, "wear.json"), "w") as f:
        json.dump(result, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["boot", "powercut", "wear", "stick"])
    ap.add_argument("--parta", default=os.path.join(ROOT, "build", "tools", "parta"),
                    help="stick: the host's parta CLI, for the district's side")
    ap.add_argument("--image", required=True)
    ap.add_argument("--machine", default="virt", choices=["virt", "raspi3b"])
    ap.add_argument("--keep", help="work folder (kept); default a new one under /var/tmp, removed")
    ap.add_argument("--state", help="powercut: the folder with the card, ledger and tally")
    ap.add_argument("--cuts", type=int, default=10)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--students", type=int, default=6)
    ap.add_argument("--timeout", type=float, default=900, help="seconds to wait for the portal")
    ap.add_argument("--max-hold", type=float, default=30,
                    help="powercut: at most this many seconds of work before the cut")
    ap.add_argument("--boot-cut-share", type=float, default=0.15)
    ap.add_argument("--idle-min", type=float, default=10)
    ap.add_argument("--root-files", help="a folder copied into the card's root before the "
                                         "first boot (to try a fix without a new image)")
    ap.add_argument("--no-lock", action="store_true",
                    help="do not take /tmp/parta-build.lock per boot (a long background run "
                         "started under nice -n 10, which yields to the builds instead)")
    ap.add_argument("--settle", type=float, default=120)
    args = ap.parse_args()
    if args.no_lock:
        qb.BuildLock.__enter__ = lambda self: self
    if os.geteuid() != 0:
        print("box_test: needs root (loop devices, mounts for the checks with the box off)")
        return 77
    if not os.path.exists(args.image):
        print(f"box_test: no image at {args.image} (image/build-sd-image.sh makes it)")
        return 77
    try:
        {"boot": cmd_boot, "powercut": cmd_powercut, "wear": cmd_wear,
         "stick": cmd_stick}[args.mode](args)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        failures.append("exception")
    finally:
        for box in boxes:
            box.cut()
        for w in workdirs:  # the cards of a run without --keep (hundreds of MB each)
            shutil.rmtree(w, ignore_errors=True)
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failures", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
