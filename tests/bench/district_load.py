#!/usr/bin/python3
"""A district hub importing N schools' weekly bundles (issue 17: the load generator).

A hub (`partad --role district`, SQLite) and N school identities made by `parta_district_load`,
each enrolled as staff would (`parta district enroll REQUEST --fingerprint FP`); then one school
week's bundle per school (the mix in tests/bench/district_load.cpp: about 2 800 records and 600
small photos for a school of 250 students) written to a stick folder and imported by `parta
district import STICK` (one process, the schools in turn), timed, with its peak RSS. Then partad
serves the hub and the overview, the reports and a school's page are timed (p50/p99 of sequential
GETs). Run it again with --weeks-before to import onto a hub that already holds earlier weeks.

--postgres: the hub keeps its data in PostgreSQL 15 (a cluster of the bench's own, as
tests/lib/pg_cluster.py starts it); --parallel K: the bundles are split over K sticks, imported by
K `parta district import` processes at once (different schools side by side).

    python3 tests/bench/district_load.py --build build [--schools 200] [--students 250]
        [--postgres] [--parallel 2]
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from common import Staff, start_partad  # noqa: E402
from pg_cluster import Cluster  # noqa: E402


def split_stick(stick, k):
    """The stick's bundles dealt over k sticks (same layout); their paths."""
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(stick) for f in fs
                   if f.endswith(".ptb"))
    sticks = [f"{stick}-{i}" for i in range(k)]
    for i, f in enumerate(files):
        dest = os.path.join(sticks[i % k], os.path.relpath(f, stick))
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(f, dest)
    return sticks


def timed(staff, path, n):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        staff.get_bytes(path)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--schools", type=int, default=200)
    ap.add_argument("--students", type=int, default=250)
    ap.add_argument("--photo-kb", type=int, default=8)
    ap.add_argument("--keep", help="keep the hub here")
    ap.add_argument("--postgres", action="store_true", help="the hub on PostgreSQL")
    ap.add_argument("--parallel", type=int, default=1, help="import processes at once")
    args = ap.parse_args()
    partad = os.path.join(args.build, "server", "partad")
    parta = os.path.join(args.build, "tools", "parta")
    gen = os.path.join(args.build, "tests", "parta_district_load")
    tmp = args.keep or tempfile.mkdtemp(prefix="parta-district-load-")
    hub = os.path.join(tmp, "db")
    work = os.path.join(tmp, "load")
    pg = None
    hub_extra = ("--role", "district")
    try:
        if args.postgres:
            pg = Cluster()
            pg.createdb("hub")
            hub_extra += ("--district-db", pg.uri("hub"))
        proc, _ = start_partad(partad, tmp, extra=hub_extra)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        out = subprocess.run([gen, "requests", "--hub", hub, "--out", work, "--schools",
                              str(args.schools)], capture_output=True, text=True, check=True).stdout
        t0 = time.time()
        for line in out.splitlines():
            request, fingerprint = line.split()
            subprocess.run([parta, "--data", hub, "district", "enroll", request, "--fingerprint",
                            fingerprint], capture_output=True, text=True, check=True)
        print(f"{args.schools} schools enrolled in {time.time() - t0:.0f} s")
        t0 = time.time()
        made = subprocess.run([gen, "bundles", "--hub", hub, "--out", work, "--schools",
                               str(args.schools), "--students", str(args.students), "--photo-kb",
                               str(args.photo_kb)], capture_output=True, text=True, check=True)
        lines = made.stdout.splitlines()
        records = sum(int(re.search(r" (\d+) records", x).group(1)) for x in lines)
        photos = sum(int(re.search(r" (\d+) photos", x).group(1)) for x in lines)
        size = sum(int(re.search(r" (\d+) bytes", x).group(1)) for x in lines)
        print(f"bundles: {len(lines)} schools, {records} records, {photos} photos, "
              f"{size / 1e6:.0f} MB, written in {time.time() - t0:.0f} s")
        sticks = split_stick(os.path.join(work, "stick"), args.parallel) if args.parallel > 1 \
            else [os.path.join(work, "stick")]
        t0 = time.time()
        procs = [subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", parta, "--data", hub,
                                   "--lang", "en", "district", "import", st],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for st in sticks]
        outs = [p.communicate() for p in procs]
        took = time.time() - t0
        rss = max(int(e.strip().splitlines()[-1].split()[0]) for _, e in outs)
        cpu = sum(float(e.strip().splitlines()[-1].split()[1]) +
                  float(e.strip().splitlines()[-1].split()[2]) for _, e in outs)
        imported = sum(o.count("Bundle imported") for o, _ in outs)
        r = subprocess.CompletedProcess([], max(p.returncode for p in procs),
                                        "".join(o for o, _ in outs), "".join(e for _, e in outs))
        print(f"import: {imported} of {len(lines)} bundles by {len(sticks)} process(es) in "
              f"{took:.0f} s ({took / max(imported, 1):.2f} s a school, {records / took:.0f} "
              f"records/s), CPU {cpu:.0f} s (the importers'), peak RSS {rss / 1024:.0f} MiB, rc "
              f"{r.returncode}")
        if imported != len(lines):
            print(r.stdout[-2000:], r.stderr[-2000:])
        print(f"{args.schools * 0 + 2000} schools at that rate: {2000 * took / imported / 60:.0f} min")
        if pg:
            db_size = int(pg.psql("hub", "SELECT pg_database_size('hub')")[0][0])
        else:
            db_size = os.path.getsize(os.path.join(hub, "parta.db"))
        print(f"hub database {db_size / 2**20:.0f} MiB")
        proc, port = start_partad(partad, tmp, extra=hub_extra)
        admin = Staff(f"http://127.0.0.1:{port}", "admin", "demo2026")
        first = re.search(r'/district/schools/([a-z0-9]{20})', admin.get("/district")).group(1)
        print("| page | p50 ms | p99 ms |\n|---|---|---|")
        for path in ("/district", "/district/reports?week=2026-11-30",
                     f"/district/schools/{first}", f"/district/reports/schools/{first}?week=2026-11-30"):
            timed(admin, path, 3)
            p50, p99 = timed(admin, path, 50)
            print(f"| `{path.split('?')[0]}` | {p50:.1f} | {p99:.1f} |")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        if pg:
            pg.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
