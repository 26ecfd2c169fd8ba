#!/usr/bin/python3
"""District reports at region size: a hub with N schools (default 2 000) and W weeks (default 40,
a school year) of weekly figures — each school 11 classes, each class 6 subjects — in the tables
the hub keeps as schools' week records arrive (domain/district_reports: class rows, subject rows,
each school's sums and the district's, as note_week leaves them). Then partad serves the pages and
this script times them one after another (sequential GETs through a signed-in session):
/district/reports (this week and a week in the middle), a school's week, both CSVs, /district.

    python3 tests/bench/district_reports.py --partad build/server/partad [--schools N] [--weeks W]
        [--postgres]

--postgres: the hub on PostgreSQL 15 (a cluster of the bench's own): the figures are filled into
a SQLite hub as above, then copied table by table into the PostgreSQL hub's (psql \\copy).

Prints p50/p99 per page and partad's peak RSS; numbers go to tests/bench/RESULTS.md by hand.
"""
import argparse
import datetime
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from common import Staff, start_partad  # noqa: E402
from pg_cluster import Cluster  # noqa: E402

TABLES = ["sync_peers", "district_week_classes", "district_week_subjects", "district_week_schools",
          "district_week_totals", "district_week_subject_totals"]


def copy_to_postgres(sqlite_path, pg, db, folder):
    """The filled tables, as they are, into the PostgreSQL hub (its own rows first removed)."""
    lite = sqlite3.connect(sqlite_path)
    for t in TABLES:
        cols = [r[1] for r in lite.execute(f"PRAGMA table_info({t})")]
        csv = os.path.join(folder, t + ".csv")
        with open(csv, "w") as f:
            subprocess.run(["sqlite3", "-csv", sqlite_path, f"SELECT {', '.join(cols)} FROM {t}"],
                           stdout=f, check=True)
        os.chmod(csv, 0o644)
        pg.psql(db, f"DELETE FROM {t}")
        pg.psql(db, f"\\copy {t} ({', '.join(cols)}) FROM '{csv}' CSV")
    lite.close()

CLASSES = ["1А", "2А", "3А", "4А", "5А", "6А", "7А", "8А", "9А", "10А", "11А"]
SUBJECTS = ["Русский язык", "Литература", "Математика", "История", "Биология", "Английский язык"]


def fill(db_path, schools, weeks, monday):
    rnd = random.Random(2026)
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("BEGIN")
    peers = [f"s{i:019d}" for i in range(schools)]
    for i, p in enumerate(peers):
        db.execute("INSERT INTO sync_peers (device_id, role, name, sign_pk, box_pk, enrolled_at, "
                   "last_in_at) VALUES (?, 'school', ?, '', '', 0, ?)",
                   (p, f"Школа № {i + 1}", int(time.time()) - rnd.randint(0, 14 * 86400)))
    first = monday - datetime.timedelta(days=7 * (weeks - 1))
    for w in range(weeks):
        m = (first + datetime.timedelta(days=7 * w)).isoformat()
        total = [0] * 7
        subject_total = {s: [0, 0, 0] for s in SUBJECTS}
        reported = 0
        for p in peers:
            if rnd.random() < 0.03:
                continue  # not heard from that week
            reported += 1
            school = [0] * 7
            for k in CLASSES:
                students = rnd.randint(8, 28)
                paper = rnd.randint(0, 3)
                f = [students, rnd.randint(students // 2, students), rnd.randint(0, 3),
                     rnd.randint(0, students * 4), rnd.randint(0, paper * 2), paper, rnd.randint(0, 6)]
                school = [a + b for a, b in zip(school, f)]
                db.execute("INSERT INTO district_week_classes VALUES (?,?,?,?,?,?,?,?,?,?)",
                           (m, p, k, *f))
                for s in SUBJECTS:
                    v = [rnd.randint(0, 3), rnd.randint(0, students), rnd.randint(0, students)]
                    db.execute("INSERT INTO district_week_subjects VALUES (?,?,?,?,?,?,?)",
                               (m, p, k, s, *v))
                    subject_total[s] = [a + b for a, b in zip(subject_total[s], v)]
            db.execute("INSERT INTO district_week_schools VALUES (?,?,?,?,?,?,?,?,?)",
                       (m, p, *school))
            total = [a + b for a, b in zip(total, school)]
        db.execute("INSERT INTO district_week_totals VALUES (?,?,?,?,?,?,?,?,?)",
                   (m, reported, *total))
        for s, v in subject_total.items():
            db.execute("INSERT INTO district_week_subject_totals VALUES (?,?,?,?,?)", (m, s, *v))
    db.execute("COMMIT")
    db.close()
    return peers


def timed(staff, path, n):
    times = []
    size = 0
    for _ in range(n):
        t0 = time.perf_counter()
        size = len(staff.get_bytes(path))
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--schools", type=int, default=2000)
    ap.add_argument("--weeks", type=int, default=40)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--postgres", action="store_true", help="the hub on PostgreSQL")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parta-district-bench-")
    os.chmod(tmp, 0o755)
    pg = None
    hub_extra = ("--role", "district")
    try:
        proc, port = start_partad(args.partad, tmp, extra=("--role", "district"))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        if args.postgres:
            pg = Cluster()
            pg.createdb("hub")
            hub_extra += ("--district-db", pg.uri("hub"))
        today = datetime.date.today()
        monday = today - datetime.timedelta(days=today.weekday())
        t0 = time.time()
        peers = fill(os.path.join(tmp, "db", "parta.db"), args.schools, args.weeks, monday)
        size = os.path.getsize(os.path.join(tmp, "db", "parta.db"))
        print(f"{args.schools} schools × {args.weeks} weeks × {len(CLASSES)} classes × "
              f"{len(SUBJECTS)} subjects filled in {time.time() - t0:.0f} s; database "
              f"{size / 2**20:.0f} MiB")
        if pg:
            # The PostgreSQL hub's own folder beside the SQLite one the figures were filled in.
            os.rename(os.path.join(tmp, "db"), os.path.join(tmp, "lite"))
            lite = os.path.join(tmp, "lite", "parta.db")
            proc, port = start_partad(args.partad, tmp, extra=hub_extra)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            t0 = time.time()
            copy_to_postgres(lite, pg, "hub", tmp)
            pg.psql("hub", "VACUUM ANALYZE")
            size = int(pg.psql("hub", "SELECT pg_database_size('hub')")[0][0])
            print(f"copied into PostgreSQL in {time.time() - t0:.0f} s; database "
                  f"{size / 2**20:.0f} MiB")
        proc, port = start_partad(args.partad, tmp, extra=hub_extra)
        admin = Staff(f"http://127.0.0.1:{port}", "admin", "demo2026")
        middle = (monday - datetime.timedelta(days=7 * (args.weeks // 2))).isoformat()
        pages = [("/district/reports", "reports, this week"),
                 (f"/district/reports?week={middle}", "reports, a week mid-year"),
                 (f"/district/reports/schools/{peers[len(peers) // 2]}", "one school's week"),
                 ("/district/reports/week.csv", "schools CSV"),
                 ("/district/reports/subjects.csv", "subjects CSV"),
                 ("/district", "hub overview")]
        print(f"| page | p50 ms | p99 ms | bytes |\n|---|---|---|---|")
        for path, label in pages:
            timed(admin, path, 3)  # warm the page cache
            p50, p99, n = timed(admin, path, args.requests)
            print(f"| {label} (`{path.split('?')[0]}`) | {p50:.1f} | {p99:.1f} | {n} |")
        with open(f"/proc/{proc.pid}/status") as f:
            rss = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))
        print(f"partad peak RSS {rss / 1024:.0f} MiB")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if pg:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
