#!/usr/bin/env python3
"""A record the school cannot apply is refused alone (issue 17): a roster with mistakes that the
district queued (accepted by the hub, rc 0), then an announcement. The school applies the
announcement, refuses the roster with its reason, and says so to the district in its next
bundle; both admin pages show it; the district withdraws the roster; later bundles keep flowing
(acknowledged both ways, the outboxes empty). Before, the school refused every later bundle
("cannot_apply") and its outbox grew with every round trip. Also: an old stick delivered after a
newer one is stale, not a restore (no alarm, no new epoch), and a hub whose clock is two days
ahead does not move the school's confirmed clock (the admin is offered its time).

  refusal_test.py --partad build/server/partad --parta build/tools/parta
"""
import argparse
import os
import re
import subprocess
import sys
import time

from synclib import connect, Run, Teacher, enroll_by_cli
from common import Staff  # noqa: E402  (synclib put tests/browser on the path)

HERE = os.path.dirname(os.path.abspath(__file__))


def outbox(data, peer=""):
    db = connect(data)
    try:
        return db.execute("SELECT COUNT(*) FROM sync_outbox WHERE peer = ?", (peer,)).fetchone()[0]
    finally:
        db.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    run = Run(args.partad, args.parta, "parta-refusal-")
    D, S = run.path("district"), run.path("school")
    check = run.check
    try:
        hub = run.start("district", D, "--role", "district", "--demo")
        box = run.start("school", S, "--demo")
        school = enroll_by_cli(run, S, D)
        district_admin = Staff(hub, "admin", "demo2026")
        school_admin = Staff(box, "admin", "demo2026")
        parent = Staff(box, "ivanova.s", "demo2026")

        def to_school():
            run.cli(D, "district", "export", "--to", run.stick, check=True)
            return run.cli(S, "sync", "import", run.stick)

        def to_district():
            run.cli(S, "sync", "export", "--to", run.stick, check=True)
            return run.cli(D, "district", "import", run.stick)

        # ---- a roster with mistakes, then an announcement ---------------------------------------
        # The clerk's Excel export (Windows-1251, CRLF) with an impossible birth date on line 4.
        bad = os.path.join(HERE, "..", "fixtures", "roster", "clerk_bad_line4.csv")
        rc, out = run.cli(D, "district", "send-roster", bad, "--to", school)
        check(rc == 0, "the hub queues the roster (it does not read rosters)")
        district_admin.get("/district")
        district_admin.post("/district/announce", {"title": "Карантин до пятницы",
                                                   "body": "Учимся дома."})
        # (A return bundle written now and left in a bag: delivered after newer ones, below.)
        run.cli(D, "district", "export", "--to", run.path("old-return"), check=True)
        rc, out = to_school()
        check(rc == 0 and "1 refused" in out,
              f"the school imports the bundle and refuses one record alone (rc {rc}): "
              f"{out.strip()[:300]}")
        check("Карантин до пятницы" in parent.get("/announcements"),
              "the announcement queued after the bad roster is on the parent's board")
        page = school_admin.get("/admin/sync")
        check("Записи управления, которые сервер не принял" in page and "«clerk_bad_line4.csv»" in page and
              "В списке учеников из района есть ошибки." in page and "список учеников" in page,
              "the school's sync page names the refused roster and why, in Russian")
        check("Ёлкин" not in school_admin.get("/admin/students?class=all"),
              "nothing of the refused roster was applied")

        # ---- the school says so to the district ----------------------------------------------
        # (A bundle written now and left in a bag; the teacher adds work; a newer one goes.)
        run.cli(S, "sync", "export", "--to", run.path("old-school"), check=True)
        Teacher(box).assignment("Задание после первой флешки")
        rc, out = to_district()
        check(rc == 0, f"the district imports the school's bundle: {out.strip()[:200]}")
        page = district_admin.get(f"/district/schools/{school}")
        check("Отклонено школой" in page and "В списке учеников из района есть ошибки." in page
              and "«clerk_bad_line4.csv»" in page,
              "the district's page of the school shows the refusal, the roster's file and why")
        rc, out = run.cli(D, "district", "queued", school)
        check("refused" in out and "roster" in out, "`parta district queued` lists it too")

        # ---- withdrawn by the district ---------------------------------------------------------
        m = re.search(r'action="/district/schools/[^/]+/withdraw".*?name="epoch" value="([^"]+)"'
                      r'.*?name="seq" value="(\d+)"', page, re.S)
        check(m is not None, "the refusal has a «Отозвать» button")
        if m:
            _, body, _ = district_admin.post(f"/district/schools/{school}/withdraw",
                                             {"epoch": m.group(1), "seq": m.group(2)})
            check("Запись отозвана" in body, "the district withdraws the refused roster")
            status, body, _ = district_admin.post(f"/district/schools/{school}/withdraw",
                                                  {"epoch": m.group(1), "seq": m.group(2)})
            check(status == 422 and "уже отозвана" in body,
                  "withdrawing it again is refused in Russian")
        status, body, _ = district_admin.post(f"/district/schools/{school}/withdraw",
                                              {"epoch": "nope", "seq": "99999"})
        check(status == 422 and "такой записи нет" in body,
              "a record that is not there cannot be withdrawn")

        # ---- and the stream goes on -----------------------------------------------------------
        district_admin.post("/district/announce", {"title": "Карантин окончен", "body": "В школу!"})
        for trip in range(3):
            rc, out = to_school()
            check(rc == 0 and "refused" not in out, f"round trip {trip + 1}: the school imports")
            rc, out = to_district()
            check(rc == 0, f"round trip {trip + 1}: the district imports")
        check("Карантин окончен" in parent.get("/announcements"), "the next announcement arrives")
        check("отозвано управлением" in school_admin.get("/admin/sync"),
              "the school's page shows the roster as withdrawn")

        # ---- old sticks delivered after newer ones: stale, not a restore -----------------------
        rc, out = run.cli(D, "district", "import", run.path("old-school"))
        check(rc == 0 and "older than one already imported" in out,
              f"the district takes an old school stick for what it is (rc {rc}): "
              f"{out.strip()[:200]}")
        rc, out = run.cli(S, "sync", "import", run.path("old-return"))
        check(rc == 0, f"the school reads an old district stick without harm: {out.strip()[:200]}")
        _, status = run.cli(D, "district", "status")
        _, school_status = run.cli(S, "sync", "status")
        check("ALARM" not in status and "ALARM" not in school_status,
              "no alarm on either side, no new epoch")

        # ---- a hub whose clock is two days ahead ----------------------------------------------
        district_admin.post("/district/announce", {"title": "Каникулы", "body": "С понедельника."})
        run.stop("district")  # the CLI works on the stopped hub's folder, under faketime
        # libfaketime is preloaded before a sanitizer build's ASan runtime: let ASan accept that.
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(
            o for o in [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"] if o)
        r = subprocess.run(["faketime", "-f", "+2d", args.parta, "--data", D, "--lang", "en",
                            "district", "export", "--to", run.stick],
                           capture_output=True, text=True, timeout=300, env=env)
        check(r.returncode == 0, "the hub (two days ahead) writes the return bundle: " +
              r.stderr[-300:])
        hub = run.start("district", D, "--role", "district")
        rc, out = run.cli(S, "sync", "import", run.stick)
        clock = school_admin.get("/admin/clock")
        check(rc == 0 and "Часы управления спешат" in clock and " дн. " in clock,
              "the district's time two days ahead is offered to the admin, not taken: " +
              out.strip()[-200:])
        saved = int(open(os.path.join(S, "clock")).read().split()[0])
        check(saved < time.time() + 3600,
              f"the box's clock did not move ({saved - time.time():.0f} s)")
        school_admin.post("/admin/clock/district", {})
        check("Часы управления спешат" not in school_admin.get("/admin/clock"),
              "«Оставить время сервера» dismisses the offer")

        # ---- everything acknowledged both ways ------------------------------------------------
        rc, out = to_district()
        rc, out = to_school()
        check(outbox(S) == 0 and outbox(D, school) == 0,
              f"everything is acknowledged both ways (school outbox {outbox(S)}, "
              f"district's for the school {outbox(D, school)})")
    finally:
        code = run.finish()
    return code


if __name__ == "__main__":
    sys.exit(main())
