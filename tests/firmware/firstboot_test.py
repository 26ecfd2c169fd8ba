#!/usr/bin/python3
"""A new box's first boot: `parta firstboot` makes the device keys and the admin account `admin`
with a random password in <data>/first-admin-password (0600, written whole); running it again
changes nothing; the admin's start page shows the password until the admin changes it in the
profile, which removes the file; the old password stops working. Also the first-boot unit
verified by systemd-analyze.

Exit codes: 0 passed, 1 failed.
"""
import argparse
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
from common import Staff  # noqa: E402

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parta-firstboot-")
    data = os.path.join(tmp, "data")
    pw_file = os.path.join(data, "first-admin-password")
    p = None
    try:
        # 1. parta firstboot: keys, the admin, the password file; idempotent.
        r = subprocess.run([args.parta, "--data", data, "firstboot"], capture_output=True, text=True)
        check(r.returncode == 0 and "admin account 'admin' created" in r.stdout,
              "parta firstboot creates the admin: " + (r.stdout + r.stderr).strip().replace("\n", " | "))
        check(os.path.exists(os.path.join(data, "sync", "device.key")), "the device keys exist")
        check(os.path.exists(pw_file) and stat.S_IMODE(os.stat(pw_file).st_mode) == 0o600,
              "the password file is there, mode 0600")
        password = open(pw_file).read().strip()
        check(len(password) >= 8, "the password is not empty")
        check(not [f for f in os.listdir(data) if f.startswith(".first-admin-password")],
              "no temporary file left beside it")
        check(password not in r.stdout + r.stderr, "the password is not printed to the journal")
        r = subprocess.run([args.parta, "--data", data, "firstboot"], capture_output=True, text=True)
        check(r.returncode == 0 and "nothing to do" in r.stdout and
              open(pw_file).read().strip() == password, "a second run changes nothing")

        # 2. The admin's start page shows it until the admin changes it in the profile.
        log = open(os.path.join(tmp, "partad.log"), "w+")
        p = subprocess.Popen([args.partad, "--data", data, "--listen", "127.0.0.1:0"],
                             stdout=log, stderr=log)
        m = None
        for _ in range(200):
            log.seek(0)
            m = re.search(r"\(port (\d+)\)", log.read())
            if m:
                break
            time.sleep(0.05)
        check(m is not None, "partad started")
        base = f"http://127.0.0.1:{m.group(1)}"
        admin = Staff(base, "admin", password)
        home = admin.get("/")
        check("Пароль администратора" in home and password in home and "смените его в профиле" in home,
              "the admin's start page shows the password")
        check('href="/profile"' in home, "and links to the profile")
        profile = admin.get("/profile")
        check("Сменить пароль" in profile, "the profile has the password form")
        status, body, _ = admin.post("/profile/password",
                                     {"current": "wrong-one", "new": "new-pass-2026",
                                      "repeat": "new-pass-2026"})
        check(status == 422 and "Текущий пароль неверен" in body and os.path.exists(pw_file),
              "a wrong current password is refused and the notice stays")
        status, body, _ = admin.post("/profile/password",
                                     {"current": password, "new": "new-pass-2026",
                                      "repeat": "other-pass-2026"})
        check(status == 422 and "не совпадают" in body, "two different new passwords are refused")
        status, body, url = admin.post("/profile/password",
                                       {"current": password, "new": "new-pass-2026",
                                        "repeat": "new-pass-2026"})
        check(status == 200 and "Пароль изменён" in body, "the password is changed: " + url)
        check(not os.path.exists(pw_file), "the password file is gone")
        home = admin.get("/")
        check("Пароль администратора" not in home and 'action="/logout"' in home,
              "the notice is gone and this device stays signed in")
        try:
            Staff(base, "admin", password)
            check(False, "the old password no longer signs in")
        except RuntimeError:
            check(True, "the old password no longer signs in")
        Staff(base, "admin", "new-pass-2026")
        check(True, "the new password signs in")
        r = subprocess.run([args.parta, "--data", data, "firstboot"], capture_output=True, text=True)
        check(r.returncode == 0 and not os.path.exists(pw_file),
              "firstboot again (an admin exists) does not bring the file back")
        # An admin's reset of the first admin's password (/admin/users/ID/reset) removes the file
        # too: it would show a password that no longer works.
        with open(pw_file, "w") as f:
            f.write("new-pass-2026\n")
        admin = Staff(base, "admin", "new-pass-2026")
        check("new-pass-2026" in admin.get("/"), "(a password file shown again on the start page)")
        db = sqlite3.connect(os.path.join(data, "parta.db"))
        admin_id = db.execute("SELECT id FROM users WHERE login = 'admin'").fetchone()[0]
        db.close()
        status, body, _ = admin.post(f"/admin/users/{admin_id}/reset", {"kind": "password", "confirm": "1"})
        check(status == 200 and not os.path.exists(pw_file),
              "an admin's reset of the first admin's password removes the file")

        # 3. The first-boot unit.
        if shutil.which("systemd-analyze"):
            unit = os.path.join(ROOT, "firmware", "systemd", "parta-firstboot.service")
            v = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, text=True)
            problems = [line for line in v.stderr.splitlines()
                        if line.strip() and "is not executable" not in line
                        and "not found" not in line.lower() and "parta-" not in line.split(":")[0]]
            check(not problems, "systemd-analyze verify parta-firstboot.service" +
                  (": " + "; ".join(problems) if problems else ""))
        text = open(os.path.join(ROOT, "firmware", "systemd", "parta-firstboot.service")).read()
        for must in ["Type=oneshot", "ConditionPathExists=!/var/lib/parta/.firstboot-done",
                     "Before=partad.service", "ExecStart=/usr/lib/parta/parta-firstboot"]:
            check(must in text, f"parta-firstboot.service has {must}")
    finally:
        if p and p.poll() is None:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"firstboot test: {len(failures)} failed")
        return 1
    print("firstboot test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
