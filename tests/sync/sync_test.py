#!/usr/bin/env python3
"""A school box and a district hub on loopback, as their admins would use them.

Enrollment through the admin pages and a folder standing in for the USB stick (fingerprint
checked); teachers' and students' work over HTTP; bundles both ways by stick and over the
network; every record at the district exactly once (canonical dumps compared). The district's
announcement, grade correction (with a conflicting edit at the school: one deterministic winner,
the loser shown to the teacher) and revocation reach the school. Replayed, out-of-order,
truncated, bit-flipped, re-signed, wrong-recipient, unknown-version and revoked-sender bundles
are refused with state unchanged; a restored database and a cloned card raise alarms and lose
nothing."""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys

from synclib import Run, Staff, Teacher, dump, enroll_by_cli, integrity_ok, jpeg, wait_for


def bundles_in(folder):
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.join(root, f) for f in files if f.endswith(".ptb")]
    return sorted(out, key=os.path.getmtime)


def split_bundle(data):
    n = struct.unpack("<I", data[8:12])[0]
    return data[:8], data[8:12], data[12:12 + n], data[12 + n:12 + n + 64], data[12 + n + 64:]


def status_of(opener, method, url, data=None, headers=None):
    import urllib.error
    import urllib.request
    req = urllib.request.Request(url, data=data if method == "POST" else None,
                                 headers=headers or {}, method=method)
    try:
        with opener.open(req) as r:
            return r.status, r.url
    except urllib.error.HTTPError as e:
        return e.code, url


def route_table(run, partad, hub, box):
    """Every route of the district hub, by who asks: nobody signed in, the hub's admin (with a
    CSRF token), a box without a valid signature. The school box has none of them."""
    import http.cookiejar
    import urllib.parse
    import urllib.request
    listed = subprocess.run([partad, "--list-routes", "--role", "district"], capture_output=True,
                            text=True, check=True).stdout.split("\n")
    samples = {"{device}": "aaaaaaaaaaaaaaaaaaaa", "{id}": "999", "{bundle}": "0" * 32,
               "{file}": "app.css", "{code}": "en", "{sha}": "0" * 64,
               "{rid}": "0" * 32}
    anon = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(
        http.cookiejar.CookieJar()))
    admin = Staff(hub, "admin", "demo2026")
    ok = True
    rows = 0
    for line in listed:
        if not line.strip():
            continue
        method, pattern, access = line.split()
        if pattern in ("/logout", "/login", "/lang/{code}"):
            continue  # sign-in itself, tested with the school's table
        path = pattern
        for k, v in samples.items():
            path = path.replace(k, v)
        if pattern == "/static/{file}":
            continue
        rows += 1
        body = urllib.parse.urlencode({"csrf": admin.csrf}).encode()
        a_status, a_url = status_of(anon, method, hub + path, b"")
        m_status, _ = status_of(admin.opener, method, hub + path, body)
        access = int(access)
        if access == 0:
            want_anon = a_status < 400
            want_admin = m_status < 400
        elif access == 16:  # another box: only with its signature
            want_anon = a_status == 403
            want_admin = m_status == 403
        else:  # the hub's admin
            want_anon = "/login" in a_url
            want_admin = m_status not in (401, 403) and m_status < 500
        if not (want_anon and want_admin):
            ok = False
            print(f"     {method} {pattern}: anonymous {a_status} {a_url}, admin {m_status}")
        s_status, _ = status_of(anon, method, box + path, b"")
        if pattern.startswith(("/district", "/sync/v1")) and s_status != 404:
            ok = False
            print(f"     {method} {pattern} exists on a school box ({s_status})")
    print(f"     district role x route: {rows} routes x 3 callers")
    return ok and rows >= 14


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    run = Run(args.partad, args.parta, "parta-sync-")
    D, S = run.path("district"), run.path("school")
    check = run.check
    try:
        # ---- the district hub and the school box ---------------------------------------------
        hub = run.start("district", D, "--role", "district", "--demo")
        _, key = run.cli(D, "district", "key", check=True)
        key = key.strip()
        box = run.start("school", S, "--demo", "--district-url", hub, "--district-key", key)
        school_admin = Staff(box, "admin", "demo2026")
        district_admin = Staff(hub, "admin", "demo2026")

        check(route_table(run, args.partad, hub, box), "the district's role × route table holds")

        # ---- enrollment: request on the stick, fingerprint read off the box's page -------------
        page = school_admin.get("/admin/sync")
        fingerprint = re.search(r'class="big"[^>]*>([A-Z0-9-]+)<', page).group(1)
        check("<svg" in page, "the sync page shows the fingerprint as a QR code too")
        _, body, _ = school_admin.post("/admin/sync/usb/request", {})
        check("проверена" in body, "the request is written to the stick and read back")
        request = [f for f in os.listdir(os.path.join(run.stick, "parta", "enroll"))
                   if f.endswith(".request")][0]
        school_id = request.split(".")[0]
        req_bytes = open(os.path.join(run.stick, "parta", "enroll", request), "rb").read()
        district_admin.get("/district")
        status, body, _ = district_admin.upload(
            "/district/enroll", {"fingerprint": "AAAA-BBBB-CCCC-DDDD"},
            [("request", request, "application/octet-stream", req_bytes)], refusal_ok=True)
        check(status == 422 and "Отпечаток не совпадает" in body,
              "a wrong fingerprint is refused in Russian, nothing enrolled")
        status, body, url = district_admin.upload(
            "/district/enroll", {"fingerprint": fingerprint.lower()},
            [("request", request, "application/octet-stream", req_bytes)])
        check(url.endswith("/district/schools/" + school_id), "the district enrolls the box")
        _, body, _ = school_admin.post("/admin/sync/usb/accept", {})
        check("зарегистрирован в районе" in body, "the box reads its certificate from the stick")

        # ---- work at the school, to the district by stick ----------------------------------------
        work = Teacher(box)
        a1 = work.assignment("Сочинение «Моя зима»")
        work.submit(a1, "ivanov.a", 19, "Зимой у нас много снега.", jpeg(1))
        work.submit(a1, "sokolova.m", 20, "Моя зима", jpeg(2))
        work.grade(a1, 19, "4", "Хорошо")
        school_admin.get("/admin/sync")
        _, body, _ = school_admin.post("/admin/sync/usb/export", {})
        check("Флешку можно извлечь" in body, "the bundle is written, read back, and the stick "
              "may be removed")
        first_bundle = run.path("first.ptb")
        shutil.copy(bundles_in(os.path.join(run.stick, "parta"))[-1], first_bundle)
        district_admin.get("/district")
        _, body, _ = district_admin.post("/district/usb/import", {})
        check("Пакет принят" in body, "the district reads the school's bundle from the stick")
        school_lines = dump(run, S)
        check(len(school_lines) >= 5 and dump(run, D, school_id) == school_lines,
              f"every record arrived exactly once by stick ({len(school_lines)} records)")
        page = district_admin.get("/district")
        check(re.search(r"Последний пакет: \d{2}\.\d{2}\.\d{4} \d{2}:\d{2} · Записей: \d+", page)
              is not None,
              "the district's page shows the school's last bundle and record count")

        # ---- the district answers: announcement, a grade correction; the teacher edits too ----
        district_admin.post("/district/announce",
                            {"title": "Карантин продлён до 30 ноября", "body": "Учимся дома."})
        rid = next(line.split("\t")[1] for line in school_lines if line.startswith("grade\t"))
        district_admin.get("/district/schools/" + school_id)
        _, body, _ = district_admin.post(f"/district/schools/{school_id}/grade",
                                         {"rid": rid, "mark": "3"})
        check("уйдёт в школу" in body, "the district corrects a grade")
        work.grade(a1, 19, "5", "Исправил ошибки")  # the teacher edits the same grade meanwhile
        packs_before = school_admin.get("/admin/packs").count("<tr><td>")
        here = os.path.dirname(os.path.abspath(__file__))
        fixtures = os.path.join(here, "..", "fixtures")
        run.cli(D, "district", "send-pack", os.path.join(fixtures, "packs", "good.tar.gz"),
                check=True)
        run.cli(D, "district", "send-roster", os.path.join(fixtures, "roster", "good_utf8.csv"),
                "--to", school_id, check=True)
        district_admin.post("/district/usb/export", {})
        _, body, _ = school_admin.post("/admin/sync/usb/import", {})
        check("Пакет принят" in body, "the school reads the district's bundle")
        check("из района" in school_admin.get("/admin/clock"),
              "the box's clock took the district's time from the bundle")
        check("0512-003" in school_admin.get("/admin/students?class=all"),
              "the district's roster is imported (a new student is listed)")
        packs_after = school_admin.get("/admin/packs").count("<tr><td>")
        check(packs_after == packs_before + 1,
              f"the district's content pack is in the library ({packs_before} → {packs_after})")
        parent = Staff(box, "ivanova.s", "demo2026")
        check("Карантин продлён до 30 ноября" in parent.get("/announcements"),
              "the district's announcement is on the parent's board")
        thread = work.teacher.get(f"/assignments/{a1}/students/19")
        marks = re.findall(r'class="mark">([^<]+)<', thread)
        check("не сохранилось" in thread,
              f"the teacher sees which of the two marks did not stay (now {marks})")

        # ---- the network: new work, "Sync now" on the admin page --------------------------------
        work.submit(a1, "ivanov.a", 19, "Вторая попытка", jpeg(3, (640, 480)))
        school_admin.get("/admin/sync")
        school_admin.post("/admin/sync/network", {})
        status_line = wait_for(lambda: re.search(r"\d{2}:\d{2}: (ok[^<]*)",
                                                 school_admin.get("/admin/sync")), "network sync")
        check(status_line is not None, "network sync finished: " + status_line.group(1))
        # The grade conflict: both sides settle on the same winner once the bundles crossed.
        school_lines = dump(run, S)
        check(dump(run, D, school_id) == school_lines,
              f"the district has every record exactly once after the network sync "
              f"({len(school_lines)} records)")
        # The district's return bundle carried the acknowledgement: nothing waits at the school.
        _, out = run.cli(S, "sync", "status")
        check(re.search(r"backlog 0", out) is not None, "acknowledged records are pruned")

        # ---- bundles that must be refused, with state unchanged ---------------------------------
        before = dump(run, D, school_id)
        rc, out = run.cli(D, "district", "import", first_bundle)
        check(rc == 0 and "imported before" in out, "the same bundle again changes nothing")
        # A second school, enrolled too, to forge with and to revoke.
        S2 = run.path("school2")
        run.cli(S2, "demo", check=True)
        school2 = enroll_by_cli(run, S2, D)
        rc, out = run.cli(S2, "sync", "export", "--to", run.stick)
        bundle2 = out.splitlines()[0]
        data = open(first_bundle, "rb").read()
        magic, length, header, sig, body = split_bundle(data)
        cases = {
            "truncated": data[:len(data) - 100],
            "cut in the header": data[:40],
            "a bit flipped in the header": data[:20] + bytes([data[20] ^ 1]) + data[21:],
            "a bit flipped in the signature": (magic + length + header +
                                               bytes([sig[0] ^ 0x80]) + sig[1:] + body),
            "a bit flipped in the body": data[:-50] + bytes([data[-50] ^ 4]) + data[-49:],
            "appended bytes": data + b"\0" * 16,
            "an unknown version": (magic + length + header.replace(b'"version":1', b'"version":9')
                                   + sig + body),
        }
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        attacker = Ed25519PrivateKey.generate()
        cases["re-signed with another key"] = (magic + length + header +
                                               attacker.sign(magic + length + header) + body)
        expect = {"truncated": "cut short", "cut in the header": "cut short",
                  "an unknown version": "newer Parta",
                  "re-signed with another key": "signature does not match"}
        for name, forged in cases.items():
            path = run.path("forged.ptb")
            open(path, "wb").write(forged)
            rc, out = run.cli(D, "district", "import", path)
            want = expect.get(name, "")
            check(rc != 0 and want in out, f"{name}: refused ({out.strip()[:90]})")
        run.cli(D, "district", "export", "--to", run.stick, check=True)
        for_school2 = bundles_in(os.path.join(run.stick, "parta", "", ))
        for_school2 = [b for b in for_school2 if "/to-school/" + school2 + "/" in b][-1]
        rc, out = run.cli(S, "sync", "import", for_school2)
        check(rc != 0 and "addressed to another box" in out,
              "the district's bundle for another school is refused here")
        check(dump(run, D, school_id) == before, "after all refusals the district's copy is the same")
        check(integrity_ok(run, D), "the district's database passes integrity_check")
        district_admin.get("/district/schools/" + school2)
        district_admin.post(f"/district/schools/{school2}/revoke", {})
        rc, out = run.cli(D, "district", "import", bundle2)
        check(rc != 0 and "revoked" in out, "a revoked box's bundle is refused")

        # ---- a database restored from a backup ---------------------------------------------------
        backup = run.path("backup.db")
        subprocess.run(["sqlite3", os.path.join(S, "parta.db"), f".backup {backup}"], check=True)
        work.submit(a1, "sokolova.m", 20, "После копии", jpeg(4))
        rc, out = run.cli(S, "sync", "push", "--url", hub)
        check(rc == 0, "the network sync after the backup")
        lost_line = [x for x in dump(run, S) if "После копии" in x]
        run.stop("school")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(os.path.join(S, "parta.db" + suffix)):
                os.remove(os.path.join(S, "parta.db" + suffix))
        shutil.copy(backup, os.path.join(S, "parta.db"))
        box = run.start("school", S, "--district-url", hub, "--district-key", key)
        _, out = run.cli(S, "sync", "status")
        check("ALARM" in out and "restore" in out, "the restored database raises an alarm and "
              "starts a new epoch")
        work = Teacher(box)
        work.submit(a1, "ivanov.a", 19, "После восстановления", jpeg(5))
        rc, out = run.cli(S, "sync", "push", "--url", hub)
        check(rc == 0, "the restored box syncs under its new epoch: " + out.strip()[-80:])
        school_lines, district_lines = dump(run, S), dump(run, D, school_id)
        check(set(school_lines) <= set(district_lines) and set(lost_line) <= set(district_lines),
              "nothing is lost: the district has the restored box's records and the ones made "
              "after the backup")
        _, out = run.cli(D, "district", "status")
        check("conflict" not in out, "no conflict alarm at the district (a new epoch, not reused "
              "numbers)")

        # ---- a restore the box cannot see (the watermark restored too): the district catches it
        run.stop("school")
        snapshot = run.path("snapshot")
        shutil.copytree(S, snapshot)
        box = run.start("school", S, "--district-url", hub, "--district-key", key)
        Teacher(box).submit(a1, "ivanov.a", 19, "Перед откатом", jpeg(6))
        rc, out = run.cli(S, "sync", "push", "--url", hub)
        run.stop("school")
        shutil.rmtree(S)
        shutil.copytree(snapshot, S)  # the whole card back in time, identity and watermark too
        box = run.start("school", S, "--district-url", hub, "--district-key", key)
        Teacher(box).submit(a1, "sokolova.m", 20, "После отката", jpeg(7))
        before = dump(run, D, school_id)
        rc, out = run.cli(S, "sync", "push", "--url", hub)
        _, status = run.cli(D, "district", "status")
        check(rc != 0 and "conflict" in status,
              "same numbers with other content: refused whole and an alarm at the district")
        check(dump(run, D, school_id) == before, "the refused bundle changed nothing")
        _, status = run.cli(S, "sync", "status")
        rc, out = run.cli(S, "sync", "push", "--url", hub)
        check(rc == 0, "after the district's acknowledgement told the box, it moves to a new "
              "epoch and the next sync goes through")
        check(set(dump(run, S)) <= set(dump(run, D, school_id)),
              "and the district has everything the box has")

        # ---- a cloned card on other hardware ---------------------------------------------------
        run.stop("school")
        clone = run.path("clone")
        shutil.copytree(S, clone)
        env = dict(os.environ, PARTA_HW_MARKER="another-board-serial")
        _, out = run.cli(clone, "sync", "status", env=env)
        check("ALARM" in out and "clone" in out, "a cloned card on other hardware raises an alarm")
        check(integrity_ok(run, S) and integrity_ok(run, D), "both databases pass integrity_check")
    finally:
        code = run.finish()
    return code


if __name__ == "__main__":
    sys.exit(main())
