#!/usr/bin/python3
"""A district hub importing N schools' weekly bundles (issue 17: the load generator).

A hub (`partad --role district`, SQLite) and N school identities made by `parta_district_load`,
each enrolled as staff would (`parta district enroll REQUEST --fingerprint FP`); then one school
week's bundle per school (the mix in tests/bench/district_load.cpp: about 2 800 records and 600
small photos for a school of 250 students) written to a stick folder and imported by `parta
district import STICK` (one process, the schools in turn), timed, with its peak RSS. Then partad
serves the hub and the overview, the reports and a school's page are timed (p50/p99 of sequential
GETs). Run it again with --weeks-before to import onto a hub that already holds earlier weeks.

    python3 tests/bench/district_load.py --build build [--schools 200] [--students 250]
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
from common import Staff, start_partad  # noqa: E402


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
    args = ap.parse_args()
    partad = os.path.join(args.build, "server", "partad")
    parta = os.path.join(args.build, "tools", "parta")
    gen = os.path.join(args.build, "tests", "parta_district_load")
    tmp = args.keep or tempfile.mkdtemp(prefix="parta-district-load-")
    hub = os.path.join(tmp, "db")
    work = os.path.join(tmp, "load")
    try:
        proc, _ = start_partad(partad, tmp, extra=("--role", "district"))
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
        t0 = time.time()
        r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", parta, "--data", hub, "--lang", "en",
                            "district", "import", os.path.join(work, "stick")],
                           capture_output=True, text=True)
        took = time.time() - t0
        rss, user, system = r.stderr.strip().splitlines()[-1].split()
        imported = r.stdout.count("Bundle imported")
        print(f"import: {imported} of {len(lines)} bundles in {took:.0f} s "
              f"({took / max(imported, 1):.2f} s a school, {records / took:.0f} records/s), CPU "
              f"{float(user) + float(system):.0f} s, peak RSS {int(rss) / 1024:.0f} MiB, rc "
              f"{r.returncode}")
        if imported != len(lines):
            print(r.stdout[-2000:], r.stderr[-2000:])
        print(f"{args.schools * 0 + 2000} schools at that rate: {2000 * took / imported / 60:.0f} min")
        db_size = os.path.getsize(os.path.join(hub, "parta.db"))
        print(f"hub database {db_size / 2**20:.0f} MiB")
        proc, port = start_partad(partad, tmp, extra=("--role", "district"))
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
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
