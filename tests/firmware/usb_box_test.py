#!/usr/bin/env python3
"""The USB stick the way the box really handles it: partad runs as the box's own unprivileged
user (here `nobody`), a stick image on a loop device carries the district's return bundle
(written by a hub whose clock is a day ahead), a pack the district signed and one nobody signed;
parta-usb runs as root, as udev starts it, while a student's upload is in flight. Checks that
the upload still lands, that everything the stick brought is in and readable by the box (no file
of the data folder belongs to root), that the box's confirmed clock is offered the district's
time a day ahead instead of moved by it (the admin takes it), that
the unsigned pack waits for the admin, that the stick got the box's bundle and was unmounted,
and that a FIFO on a stick cannot hang the script. The stick is exFAT (mounted by the kernel, or
by exfat-fuse where the kernel has no driver, as parta-usb does) and, where the kernel has vfat,
FAT32 too (kernels without it, like some cloud VMs', are said so: fusefat is no stand-in, it reads
small files back short). Needs root, a loop device and FUSE; skipped (77) otherwise."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "sync"))
from synclib import Run, Teacher, jpeg  # noqa: E402
from common import Staff, multipart, trickle_post, wait_for  # noqa: E402

NOBODY = 65534


def sh(*cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def slow_upload(base, client, path, fields, filename, data, seconds, result):
    """A phone on a weak signal: the multipart body trickles in over `seconds`."""
    ctype, body = multipart(client.csrf, fields, [("files", filename, "image/jpeg", data)])
    jar = next(h.cookiejar for h in client.opener.handlers if hasattr(h, "cookiejar"))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    result["status"], result["location"] = trickle_post(base, path, ctype, body, cookie, seconds)


def make_stick(run, fstype, tree):
    """A 64 MB stick image of `fstype` holding `tree`, made the way a PC would format and fill
    one (exFAT filled through exfat-fuse, FAT32 with mtools)."""
    image = run.path(f"stick-{fstype}.img")
    with open(image, "wb") as f:
        f.truncate(64 << 20)
    if fstype == "vfat":
        sh("mkfs.vfat", "-F", "32", "-n", "DISTRICT", image, check=True)
        for name in os.listdir(tree):
            sh("mcopy", "-s", "-i", image, os.path.join(tree, name), "::/", check=True)
        return image
    sh("mkfs.exfat", "-n", "DISTRICT", image, check=True)
    loop = sh("losetup", "-f", "--show", image, check=True).stdout.strip()
    mnt = run.path(f"fill-{fstype}")
    os.makedirs(mnt, exist_ok=True)
    try:
        sh("mount.exfat-fuse", loop, mnt, check=True)
        for name in os.listdir(tree):
            shutil.copytree(os.path.join(tree, name), os.path.join(mnt, name))
        sh("sync")
    finally:
        sh("umount", mnt)
        sh("losetup", "-d", loop)
    return image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("usb box test: needs root (a loop device, mounts, another user); skipped")
        return 77
    for tool in ["losetup", "mkfs.exfat", "mount.exfat-fuse", "mkfs.vfat", "mcopy", "setpriv",
                 "faketime"]:
        if not shutil.which(tool):
            print(f"usb box test: {tool} is missing (tools/install-deps.sh installs it)")
            return 1
    if not os.path.exists("/dev/loop-control") or not os.path.exists("/dev/fuse"):
        print("usb box test: no loop devices or no FUSE on this machine; skipped")
        return 77

    run = Run(args.partad, args.parta, "parta-usbbox-")
    check = run.check
    os.chmod(run.tmp, 0o755)  # the box's user walks into it, as into /var/lib
    loop = None
    try:
        # --- the district hub, worked on by its own CLI (no hub partad needed) ---
        hub = run.path("hub")
        school = run.path("school")
        os.makedirs(school)
        os.chown(school, NOBODY, NOBODY)
        carrier = run.path("carrier")
        os.makedirs(carrier)
        os.chmod(carrier, 0o777)
        box_conf = run.path("box.conf")
        open(box_conf, "w").write("ssid = Школа №7\nportal_host = parta.school\n")
        conf = run.path("partad.conf")
        open(conf, "w").write(f"data = {school}\nlisten = 127.0.0.1:0\nbox_conf = {box_conf}\n"
                              f"disk_reserve_mb = 1\n")

        # --- partad as the box's user ---
        log = open(run.path("school.log"), "w+")
        proc = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                                 "--clear-groups", args.partad, "--config", conf, "--demo"],
                                stdout=log, stderr=log)
        run.procs["school"] = proc

        def port():
            log.seek(0)
            m = re.search(r"\(port (\d+)\)", log.read())
            return m and m.group(1)
        base = f"http://127.0.0.1:{wait_for(port, 'partad to listen', 60)}"

        # Root asks the running partad (the folder is nobody's); nothing is written as root.
        rc, out = run.cli(school, "sync", "status")
        check(rc == 0 and "fingerprint" in out, "root's `parta sync status` is answered by partad")
        # Enrollment through a plain folder, as staff would carry it.
        _, key = run.cli(hub, "district", "key", check=True)
        run.cli(school, "sync", "district-key", key.strip(), check=True)
        _, out = run.cli(school, "sync", "request", "--to", carrier, check=True)
        request = out.splitlines()[0].strip()
        check(request.startswith(carrier), f"partad's output names the caller's paths: {request}")
        fingerprint = re.search(r"fingerprint (\S+)", out).group(1)
        run.cli(hub, "district", "enroll", request, "--fingerprint", fingerprint, check=True)
        rc, out = run.cli(school, "sync", "accept", carrier)
        check(rc == 0, f"the school takes its certificate: {out.strip()}")

        # --- what the district puts on the stick ---
        stick_tree = run.path("stick-tree")
        os.makedirs(os.path.join(stick_tree, "parta", "packs"))
        run.cli(hub, "district", "announce", "--title", "Приказ районо №12", "--body", "Текст",
                check=True)
        # libfaketime is preloaded before a sanitizer build's ASan runtime: let ASan accept that.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(
            o for o in [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"] if o)
        r = subprocess.run(["faketime", "-f", "+1d", args.parta, "--data", hub, "--lang", "en",
                            "district", "export", "--to", stick_tree], capture_output=True,
                           text=True, env=env)
        check(r.returncode == 0, "the hub (a day ahead) writes the school's return bundle: " +
              r.stderr[-300:])
        good = os.path.join(ROOT, "tests", "fixtures", "packs", "good.tar.gz")
        signed = os.path.join(stick_tree, "parta", "packs", "district-pack.tar.gz")
        rc, out = run.cli(hub, "district", "sign-pack", good, "--out", signed)
        check(rc == 0 and os.path.exists(signed), f"the district signs a pack: {out.strip()}")
        shutil.copy(os.path.join(ROOT, "content", "sample", "sample-pack.tar.gz"),
                    os.path.join(stick_tree, "parta", "packs", "from-a-stranger.tar.gz"))
        image = make_stick(run, "exfat", stick_tree)
        loop = sh("losetup", "-f", "--show", image, check=True).stdout.strip()

        # --- a student hands in a photo on a slow link while the stick is handled ---
        t = Teacher(base)
        assignment = t.assignment("Контурная карта")
        student = Staff(base, "ivanov.a", "202620")
        sid = re.search(r"/students/(\d+)/assignments", student.get("/")).group(1)
        student.get(f"/assignments/{assignment}/students/{sid}")
        photo = jpeg(7, (900, 700))
        upload = {}
        th = threading.Thread(target=slow_upload, args=(
            base, student, f"/assignments/{assignment}/students/{sid}/submit",
            {"text": "Сдаю"}, "карта.jpg", photo, 6.0, upload))
        th.start()
        time.sleep(1.0)  # the body is streaming into partad's tmp/ now

        before = time.time()
        mnt_root = run.path("mnt")
        env = dict(os.environ, PARTA_DATA=school, PARTA_CLI=args.parta, PARTA_CONF=conf,
                   PARTA_USB_MNT=mnt_root, PARTA_USB_LOCK=run.path("usb.lock"))
        u = subprocess.run([os.path.join(ROOT, "firmware", "bin", "parta-usb"), loop], env=env,
                           capture_output=True, text=True, timeout=240)
        print(u.stdout + u.stderr)
        th.join(timeout=120)
        check(upload.get("status") == 303,
              f"the upload in flight while the stick was handled landed: {upload}")
        status = open(os.path.join(school, "usb-status")).read().rstrip("\n").split("\t")
        check(status[1] == "done" and int(status[2]) >= 3 and status[3] == "0",
              f"the stick is done: pack, bundle in and bundle out ({status})")
        check("ждут" in status[4], f"the unsigned pack is said to wait for the admin: {status[4]}")
        check(not os.path.ismount(os.path.join(mnt_root, os.path.basename(loop))) and
              not os.path.exists(os.path.join(mnt_root, os.path.basename(loop))),
              "the stick is unmounted and its mount point gone")

        # Everything in the data folder is the box's: partad could read and replace all of it.
        foreign = []
        for dirpath, dirnames, filenames in os.walk(school):
            for n in dirnames + filenames:
                p = os.path.join(dirpath, n)
                if os.lstat(p).st_uid != NOBODY:
                    foreign.append(p)
        check(not foreign, f"no file in the data folder belongs to root: {foreign[:5]}")

        # The district's pack is in the library and a student can open its items.
        lib = student.get("/library")
        ids = re.findall(r'href="/library/(\d+)"', lib)
        got = [len(student.get_bytes(f"/library/{i}/file")) > 0 for i in ids]
        check(ids and all(got), f"the signed pack's {len(ids)} items are served to a student")
        admin = Staff(base, "admin", "demo2026")
        packs = admin.get("/admin/packs")
        check("from-a-stranger.tar.gz" in packs and "Импортировать всё равно" in packs,
              "the pack nobody signed waits on the packs page for the admin's choice")
        check("Приказ районо №12" in admin.get("/announcements"),
              "the district's announcement arrived")
        # The box's clock is confirmed (the system's): a hub a day ahead does not move it on its
        # own; the admin is offered the district's time on the clock page and takes it.
        clock = admin.get("/admin/clock")
        check("Часы управления спешат" in clock,
              "a district clock a day ahead is offered to the admin, not taken")
        admin.post("/admin/clock/district", {"take": "1"})
        saved = int(open(os.path.join(school, "clock")).read().split()[0])
        check(saved > before + 20 * 3600 and "из района" in admin.get("/admin/clock"),
              f"taken by the admin, the box's clock moved a day ({saved - before:.0f} s ahead)")
        look = run.path("look")
        os.makedirs(look)
        sh("mount.exfat-fuse", "-o", "ro", loop, look, check=True)
        bundles = [f for r, _, fs in os.walk(look) for f in fs
                   if f.endswith(".ptb") and "to-district" in r]
        sh("umount", look)
        check(len(bundles) == 1, f"the stick now carries the school's bundle for the district: "
                                 f"{bundles}")
        sh("losetup", "-d", loop)
        loop = None

        # FAT32, the other filesystem sticks come in, where this kernel has it.
        if "vfat" in open("/proc/filesystems").read():
            run.cli(hub, "district", "announce", "--title", "Приказ районо №13", check=True)
            fat_tree = run.path("fat-tree")
            run.cli(hub, "district", "export", "--to", fat_tree, check=True)
            loop = sh("losetup", "-f", "--show", make_stick(run, "vfat", fat_tree),
                      check=True).stdout.strip()
            u = subprocess.run([os.path.join(ROOT, "firmware", "bin", "parta-usb"), loop],
                               env=env, capture_output=True, text=True, timeout=240)
            status = open(os.path.join(school, "usb-status")).read().rstrip("\n").split("\t")
            check(status[1] == "done" and status[3] == "0" and
                  "Приказ районо №13" in admin.get("/announcements"),
                  f"a FAT32 stick, mounted by the kernel for the box's user: {status}")
            sh("losetup", "-d", loop)
            loop = None
        else:
            print("note: this kernel has no vfat: the FAT32 round is left to a Debian kernel "
                  "(the SD image's boot check)")
        rc, out = run.cli(school, "db", "check")
        check(rc == 0 and out.startswith("ok"), "the database is intact")

        # A FIFO named like a pack or a bundle cannot hang the script.
        fifo_stick = run.path("fifo-stick")
        os.makedirs(os.path.join(fifo_stick, "parta", "packs"))
        os.mkfifo(os.path.join(fifo_stick, "parta", "packs", "trap.tar.gz"))
        os.chmod(fifo_stick, 0o777)
        t0 = time.time()
        u = subprocess.run([os.path.join(ROOT, "firmware", "bin", "parta-usb"), "--mounted",
                            fifo_stick], env=env, capture_output=True, text=True, timeout=60)
        check(time.time() - t0 < 30, f"a FIFO on the stick is skipped ({time.time() - t0:.1f} s)")

        # A full stick and a write-protected one (real file systems: a tmpfs of two pages for
        # the box's user, and one mounted read-only): the exchange fails, parta-usb exits
        # non-zero, and the admin page says why in Russian without the stick's paths. The
        # school's bundle still holds the photo (the district has not acknowledged it).
        owner = os.stat(school)
        for name, opts, want in [("full", "size=8k", "мало места для следующей записи"),
                                 ("locked", "size=1m", "защищена от записи")]:
            small = run.path(name + "-stick")
            os.makedirs(small)
            sh("mount", "-t", "tmpfs", "-o",
               f"{opts},uid={owner.st_uid},gid={owner.st_gid},mode=0700", "tmpfs", small,
               check=True)
            try:
                os.makedirs(os.path.join(small, "parta"))
                os.chown(os.path.join(small, "parta"), owner.st_uid, owner.st_gid)
                if name == "locked":
                    sh("mount", "-o", "remount,ro", small, check=True)
                u = subprocess.run([os.path.join(ROOT, "firmware", "bin", "parta-usb"),
                                    "--mounted", small], env=env, capture_output=True, text=True,
                                   timeout=120)
                status = open(os.path.join(school, "usb-status")).read().rstrip("\n").split("\t")
                check(u.returncode != 0 and int(status[3]) >= 1 and want in status[4] and
                      small not in status[4] and "/" not in status[4],
                      f"a {name} stick: exit {u.returncode}, the admin is told: {status[4]}")
            finally:
                sh("umount", small)

        # partad stopped: root may not work on the box's folder itself (its files would be root's).
        run.stop("school")
        rc, out = run.cli(school, "sync", "status")
        check(rc == 1 and "sudo -u nobody" in out,
              f"with partad stopped, root is told to act as the box's user: {out.strip()}")
    finally:
        if loop:
            sh("losetup", "-d", loop)
    return run.finish()


if __name__ == "__main__":
    sys.exit(main())
