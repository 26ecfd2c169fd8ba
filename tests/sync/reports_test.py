#!/usr/bin/env python3
"""District reports (issue 17): each school box sends its week's monitoring figures with its
bundle; the hub shows them across schools — a table per week, a school's classes, subjects, the
schools not heard from, SVG charts and CSV — from figures kept as they arrive.

A hub and two school boxes as real partads, the stick as a folder, the CLI as staff use it. The
first school's week: a student signs in, two hand in work on the portal, a paper-track student's
packet comes back (a submission made as scan intake makes it), a mark. The second school is
enrolled and never syncs. Checked: the figures on /district/reports and the school's page match
the school's own monitoring, a week sent again with more work replaces the old figures (not
added twice), a week unchanged is not sent again, the CSV opens as Excel reads it, both pages in
Russian.

  reports_test.py --partad build/server/partad --parta build/tools/parta
"""
import argparse
import csv
import io
import os
import re
import sys
import time
import urllib.error
import urllib.request

from synclib import connect, Run, Teacher, enroll_by_cli, jpeg
from common import Staff  # noqa: E402  (synclib put tests/browser on the path)


def db(data):
    return connect(data)


def week_entries(data):
    c = db(data)
    try:
        return c.execute("SELECT COUNT(*) FROM sync_outbox WHERE kind = 'week'").fetchone()[0]
    finally:
        c.close()


def fetch(staff, path):
    """(status, body) of a GET, refusals included."""
    try:
        with staff.opener.open(staff.base + path) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def cells(html):
    """The report's rows: school name -> the cells after it (tags stripped)."""
    rows = {}
    for tr in re.findall(r"<tr><td><a href=\"/district/reports/schools/[^\"]+\">([^<]+)</a>(.*?)</tr>",
                         html, re.S):
        name, rest = tr
        rows[name] = [re.sub(r"<[^>]+>", "", c).strip()
                      for c in re.findall(r"<td>(.*?)</td>", rest, re.S)]
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    run = Run(args.partad, args.parta, "parta-reports-")
    D, S, S2 = run.path("district"), run.path("school"), run.path("school2")
    check = run.check
    try:
        hub = run.start("district", D, "--role", "district", "--demo")
        box = run.start("school", S, "--demo")
        school = enroll_by_cli(run, S, D)
        run.start("school2", S2, "--demo")
        run.stop("school2")
        silent = enroll_by_cli(run, S2, D)
        district_admin = Staff(hub, "admin", "demo2026")
        c = db(D)
        c.execute("UPDATE sync_peers SET name = 'СОШ с. Ягодное' WHERE device_id = ?", (school,))
        c.execute("UPDATE sync_peers SET name = 'ООШ д. Берёзовка' WHERE device_id = ?", (silent,))
        c.commit()
        c.close()

        # ---- a week at the first school ---------------------------------------------------------
        work = Teacher(box)
        a = work.assignment("Сочинение «Моя зима»")
        work.submit(a, "ivanov.a", 19, "Зимой у нас много снега.", jpeg(1))
        work.submit(a, "sokolova.m", 20, "Моя зима", jpeg(2))
        work.grade(a, 19, "5")
        c = db(S)
        novikova = c.execute("SELECT user_id FROM students s JOIN users u ON u.id = s.user_id "
                             "WHERE u.last_name = 'Новикова'").fetchone()[0]
        # The paper packet back, as scan intake files it (tests/printer covers the scans).
        c.execute("INSERT INTO submissions (assignment_id, student_id, submitted_by, body, "
                  "created_at, via) VALUES (?, ?, ?, '', strftime('%s', 'now'), 'paper')",
                  (a, novikova, novikova))
        c.commit()
        c.close()
        school_admin = Staff(box, "admin", "demo2026")
        week = school_admin.get("/monitoring/classes/1/week")
        own = re.search(r"<b>(\d+)/(\d+)</b>[^<]*учеников", week) or \
            re.search(r"<b>(\d+)/(\d+)</b>", week)
        active, students = int(own.group(1)), int(own.group(2))
        check(active >= 3, f"the school's own weekly report counts the week's active students ({active})")

        run.cli(S, "sync", "export", "--to", run.stick, check=True)
        check(week_entries(S) == 2, "the export queued this week's and last week's figures")
        rc, out = run.cli(D, "district", "import", run.stick)
        check(rc == 0, f"the district imports the school's bundle: {out.strip()[:200]}")

        # ---- the district's report ----------------------------------------------------------------
        page = district_admin.get("/district/reports")
        check("Отчёты по району" in page and "Доля активных учеников по неделям" in page,
              "the reports page is in Russian, with its chart's title")
        check(page.count("<svg") == 2, "two inline SVG charts (weeks, subjects)")
        rows = cells(page)
        check("СОШ с. Ягодное" in rows, f"the school has a row ({list(rows)})")
        mine = rows.get("СОШ с. Ягодное", [""] * 6)
        check(mine[0] and int(mine[0]) >= students, f"its students include class 5А's {students}: {mine}")
        check(int(mine[1].split()[0]) >= active,
              f"its active students include 5А's {active}: {mine[1]}")
        check(mine[3] == "3", f"3 works handed in: {mine[3]}")
        check(re.match(r"1 / [1-9]", mine[4]) is not None,
              f"1 packet returned on paper of the paper-track students: {mine[4]}")
        check("Не выходили на связь на этой неделе" in page and "ООШ д. Берёзовка" in page,
              "the school that never synced is listed as not heard from")
        check(re.search(r"<b>1/2</b>\s*школ прислали показатели", page) is not None,
              "1 of 2 schools sent their figures")
        subj = re.search(r"<tr><td>Русский язык</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td></tr>",
                         page)
        check(subj is not None and subj.groups() == ("1", "3", "1"),
              f"the subject row: 1 assignment, 3 handed in, 1 mark ({subj and subj.groups()})")

        school_page = district_admin.get(f"/district/reports/schools/{school}")
        klass = re.search(r"<tr><td>5А</td><td>(\d+)</td><td>(\d+) \((\d+)%\)</td><td>(\d+)</td>"
                          r"<td>(\d+)</td><td>(\d+) / (\d+)</td>", school_page)
        check(klass is not None and int(klass.group(1)) == students and
              int(klass.group(2)) == active and klass.group(5) == "3" and klass.group(6) == "1",
              f"the school's page: class 5А with the school's own figures "
              f"({klass and klass.groups()}; school: {active}/{students})")
        check("<tr><td>5А</td><td>Русский язык</td><td>1</td><td>3</td><td>1</td></tr>" in school_page,
              "the school's page: 5А's Russian, 1 assignment, 3 handed in, 1 mark")
        status, _ = fetch(district_admin, f"/district/reports/schools/{'a' * 20}")
        check(status == 404, f"an unknown school's report is 404 ({status})")

        # ---- CSV as Russian Excel opens it ------------------------------------------------------
        raw = district_admin.get_bytes("/district/reports/week.csv")
        check(raw.startswith(b"\xef\xbb\xbf"), "the CSV starts with a UTF-8 BOM")
        table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        check(table[0][0] == "Школа" and len(table) == 3, f"header and two schools ({len(table)} rows)")
        by_name = {r[0]: r for r in table[1:]}
        check(by_name.get("СОШ с. Ягодное", [""] * 7)[1] == "да" and
              by_name["СОШ с. Ягодное"][6] == "3", f"the school's CSV row: {by_name.get('СОШ с. Ягодное')}")
        check(by_name.get("ООШ д. Берёзовка", [""] * 2)[1] == "нет", "the silent school's row says «нет»")
        subjects = district_admin.get_bytes("/district/reports/subjects.csv").decode("utf-8-sig")
        check("Русский язык;1;3;1" in subjects, "the subjects CSV")

        # ---- the week again: replaced, not added; unchanged: not sent ---------------------------
        run.cli(S, "sync", "export", "--to", run.stick, check=True)
        check(week_entries(S) == 2, "an export with nothing new sends no new figures")
        work.submit(a, "lebedev.k", 21, "Зима", jpeg(3))
        run.cli(S, "sync", "export", "--to", run.stick, check=True)
        check(week_entries(S) == 3, "a new hand-in: this week's figures go again")
        rc, out = run.cli(D, "district", "import", run.stick)
        check(rc == 0, "the district imports it")
        rows = cells(district_admin.get("/district/reports"))
        check(rows.get("СОШ с. Ягодное", [""] * 4)[3] == "4",
              f"4 works handed in now, not 3 + 4: {rows.get('СОШ с. Ягодное')}")
        subjects = district_admin.get_bytes("/district/reports/subjects.csv").decode("utf-8-sig")
        check("Русский язык;1;4;1" in subjects, "the district's subject totals moved by the difference")

        # ---- other weeks and a bad week ------------------------------------------------------------
        status, body = fetch(district_admin, "/district/reports?week=2020-01-01")
        check(status == 200 and "Ни одна школа ещё не прислала показатели" in body,
              "a week without figures says so")
        status, _ = fetch(district_admin, "/district/reports?week=%3Cscript%3E")
        check(status == 200, "a week that is no date shows this week")
        anon = urllib.request.build_opener()
        try:
            r = anon.open(hub + "/district/reports")
            check("/login" in r.geturl(), "signed out: the report sends to the sign-in page")
        except urllib.error.HTTPError as e:
            check(e.code in (401, 403), f"signed out: refused ({e.code})")
    finally:
        run.finish()
    if run.failures:
        print(f"{len(run.failures)} check(s) failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
