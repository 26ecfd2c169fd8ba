#!/usr/bin/env python3
"""A school year on the box: every signed-in page of every role at the demo school, after a
month, three months and a year of generated data (tests/bench/year_gen.cpp).

For each data set it starts partad (64 threads) on a copy of the data, signs in an admin, a class
teacher, a subject teacher, a student and a parent, and measures per page:
  - CPU time per request, one client: the sum of the CPU time of partad's threads
    (/proc/PID/task/*/schedstat) before and after each request; median and p99;
  - the first view with the database out of the page cache: partad restarted, the database
    file dropped from the page cache (posix_fadvise DONTNEED), one request; wall time and the bytes
    partad read from storage (/proc/PID/io read_bytes) — with --cold;
and for the data set: partad's start time and idle RSS, `wrk -t2 -c64` on the student's start
page (with --wrk SECONDS: requests per second and partad's CPU time per request) and partad's
RSS after everything (VmRSS, VmHWM).

  tests/bench/year.py --partad build/server/partad --gen build/tests/parta_year_gen \
      --label after --out /tmp/after.json [--sets demo,1m,3m,year] [--requests 40] [--cold] \
      [--wrk 10]
  tests/bench/year.py --table /tmp/before.json /tmp/after.json   # Markdown for RESULTS.md

The generated data is made at schema version 11 so that the partad before issue 22 can read it;
a newer partad migrates it at its first start (that start is timed separately). Run it holding
the build lock (`flock /tmp/parta-build.lock tests/bench/year.py ...`): it uses both cores.
Everything it starts is stopped on exit; it needs root only for nothing (fadvise works on files
it can open).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

SETS = {"demo": None, "1m": 22, "3m": 65, "year": 170}
PASSWORD, PIN = "demo2026", "202620"

# Every signed-in page of every role; {name} are filled from the data set's database.
PAGES = {
    "admin": [
        "/", "/announcements", "/messages", "/messages/new", "/calendar",
        "/surveys", "/surveys/{survey}/results", "/monitoring", "/monitoring/classes/{class}",
        "/monitoring/classes/{class}/week", "/monitoring/classes/{class}/risk", "/paper",
        "/paper/review", "/paper/runs/{run}", "/paper/scans/{batch}", "/library", "/groups",
        "/admin/schedule", "/admin/school", "/admin/classes", "/admin/teachers",
        "/admin/teachers/{teacher}", "/admin/students", "/admin/students/{student}",
        "/admin/parents", "/admin/roster", "/admin/distance", "/admin/devices", "/admin/packs",
        "/admin/printer", "/admin/clock", "/admin/sync", "/students/{student}",
        "/students/{student}/assignments", "/students/{student}/diary", "/classes/{class}",
        "/gradebook/{class}/{subject}", "/assignments", "/assignments/{assignment}",
        "/assignments/{assignment}/students/{student}", "/assignments/{assignment}/paper",
        "/profile",
    ],
    "class_teacher": [
        "/", "/announcements", "/messages", "/messages/new", "/messages/{conv}", "/schedule",
        "/calendar", "/surveys", "/surveys/{survey}/results", "/monitoring",
        "/monitoring/classes/{class}", "/monitoring/classes/{class}/week",
        "/monitoring/classes/{class}/risk", "/monitoring/classes/{class}/risk.csv", "/groups",
        "/groups/{group}", "/assignments", "/assignments/new?class={class}&subject={subject}",
        "/assignments/{assignment}", "/assignments/{assignment}/students/{student}",
        "/gradebook/{class}/{subject}", "/gradebook/{class}/{subject}/export.csv",
        "/students/{student}", "/students/{student}/assignments", "/students/{student}/diary",
        "/classes/{class}", "/paper", "/paper/review", "/library", "/profile",
    ],
    "teacher": [
        "/", "/announcements", "/messages", "/schedule", "/calendar", "/surveys", "/assignments",
        "/assignments/{tassignment}", "/assignments/{tassignment}/students/{student}",
        "/gradebook/{class}/{tsubject}", "/students/{student}/assignments",
        "/students/{student}/diary", "/classes/{class}", "/paper", "/library", "/groups",
        "/profile",
    ],
    "student": [
        "/", "/announcements", "/messages", "/messages/new", "/messages/{conv}", "/schedule",
        "/calendar", "/surveys", "/surveys/{survey}", "/library", "/groups",
        "/students/{student}/assignments", "/students/{student}/diary",
        "/assignments/{assignment}/students/{student}", "/profile",
    ],
    "parent": [
        "/", "/announcements", "/messages", "/messages/new", "/schedule", "/calendar",
        "/surveys", "/library", "/students/{student}", "/students/{student}/assignments",
        "/students/{student}/diary", "/assignments/{assignment}/students/{student}", "/profile",
    ],
}

# Objects the demo school does not have, added straight into its database (the same tables the
# generator fills) so the demo's pages show something; shared with the statement-ceiling test.
DEMO_EXTRA = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_extra.sql")).read()


def log(*a):
    print(*a, file=sys.stderr, flush=True)


class Partad:
    def __init__(self, binary, data, extra=()):
        self.log_path = data + ".log"
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--data", data, "--listen", "127.0.0.1:0", "--threads", "64", *extra],
            stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        self.port = None
        for _ in range(6000):
            m = re.search(r"\(port (\d+)\)", open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                raise RuntimeError("partad exited: " + open(self.log_path).read())
            time.sleep(0.005)
        if not self.port:
            raise RuntimeError("partad did not start")
        self.start_seconds = time.monotonic() - self.started
        self.conn = None

    def status(self, key):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
        return 0

    def cpu_ns(self):
        total = 0
        for t in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
        return total

    def read_bytes(self):
        for line in open(f"/proc/{self.proc.pid}/io"):
            if line.startswith("read_bytes:"):
                return int(line.split()[1])
        return 0

    def request(self, method, path, cookies, body=None, headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            h = {"Accept-Encoding": "gzip"}
            if cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            if headers:
                h.update(headers)
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    cookies[name] = rest.split(";")[0]
            if r.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return r.status, data, r
        raise RuntimeError("unreachable")

    def stop(self):
        if self.conn:
            self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sign_in(p, login, secret):
    cookies = {}
    status, body, _ = p.request("GET", "/login", cookies)
    import gzip
    html = gzip.decompress(body).decode() if body[:2] == b"\x1f\x8b" else body.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "login": login, "secret": secret, "next": "/"})
    status, _, _ = p.request("POST", "/login", cookies, form,
                             {"Content-Type": "application/x-www-form-urlencoded"})
    if status != 303 or "parta_session" not in cookies:
        raise RuntimeError(f"sign-in of {login} failed ({status})")
    return {"parta_session": cookies["parta_session"], "parta_lang": "ru"}


def accounts(db, demo):
    if demo:
        logins = {"admin": "admin", "class_teacher": "smirnova", "teacher": "kuznetsov",
                  "student": "ivanov.a"}
    else:
        logins = {"admin": "admin", "class_teacher": "teacher01", "teacher": "teacher12",
                  "student": "s01.01"}
    c = sqlite3.connect(db)
    ids = {r: c.execute("SELECT id FROM users WHERE login = ?", (l,)).fetchone()[0]
           for r, l in logins.items()}
    parent = c.execute(
        "SELECT u.id, u.login FROM parent_child pc JOIN users u ON u.id = pc.parent_id "
        "WHERE pc.student_id = ? ORDER BY u.id LIMIT 1", (ids["student"],)).fetchone()
    logins["parent"] = parent[1]
    ids["parent"] = parent[0]
    now = int(time.time())
    one = lambda sql, *a: (c.execute(sql, a).fetchone() or [None])[0]
    klass = one("SELECT id FROM classes WHERE class_teacher_id = ?", ids["class_teacher"])
    subject = one("SELECT subject_id FROM teaching WHERE teacher_id = ? AND class_id = ? "
                  "ORDER BY subject_id", ids["class_teacher"], klass)
    tsubject = one("SELECT subject_id FROM teaching WHERE teacher_id = ? AND class_id = ? "
                   "ORDER BY subject_id", ids["teacher"], klass)
    last_done = ("SELECT id FROM assignments WHERE class_id = ? AND subject_id = ? AND "
                 "whole_class = 1 AND due_at < ? ORDER BY due_at DESC LIMIT 1")
    values = {
        "class": klass, "subject": subject, "tsubject": tsubject,
        "student": ids["student"], "teacher": ids["teacher"],
        "assignment": one(last_done, klass, subject, now - 86400 * 2) or
        one(last_done, klass, subject, now),
        "tassignment": one(last_done, klass, tsubject, now - 86400 * 2) or
        one(last_done, klass, tsubject, now),
        "conv": one("SELECT id FROM conversations WHERE class_id = ?", klass),
        "group": one("SELECT id FROM groups WHERE owner_id = ? ORDER BY id", ids["class_teacher"]),
        "survey": one("SELECT id FROM surveys WHERE class_id = ? ORDER BY id", klass),
        "run": one("SELECT r.id FROM print_runs r JOIN assignments a ON a.id = r.assignment_id "
                   "WHERE a.class_id = ? ORDER BY r.id DESC", klass),
        "batch": one("SELECT id FROM scan_batches ORDER BY id DESC"),
    }
    c.close()
    return logins, values


def percentile(xs, p):
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    f = int(k)
    return xs[f] if f + 1 >= len(xs) else xs[f] + (xs[f + 1] - xs[f]) * (k - f)


def drop_from_cache(paths):
    for path in paths:
        if os.path.exists(path):
            fd = os.open(path, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def make_set(name, args, work):
    data = os.path.join(work, name)
    if SETS[name] is None:
        p = Partad(args.partad, data, ["--demo"])
        p.stop()
        c = sqlite3.connect(os.path.join(data, "parta.db"))
        c.executescript(DEMO_EXTRA.replace(":now", str(int(time.time()))))
        c.commit()
        c.close()
    else:
        out = subprocess.run([args.gen, "--data", data, "--days", str(SETS[name]),
                              "--schema-version", "11"], check=True, capture_output=True,
                             text=True).stdout
        log(out.strip())
    return data


def run_set(name, args, work, result):
    src = make_set(name, args, work)
    data = src + "-run"
    shutil.copytree(src, data)
    db = os.path.join(data, "parta.db")
    res = {"pages": {}, "size_mb": round(os.path.getsize(db) / 1e6, 1)}
    # The first start may migrate the database; the second is the one timed.
    p = Partad(args.partad, data)
    res["first_start_s"] = round(p.start_seconds, 3)
    p.stop()
    p = Partad(args.partad, data)
    res["start_s"] = round(p.start_seconds, 3)
    time.sleep(2)
    res["idle_rss_mib"] = round(p.status("VmRSS") / 1024, 1)
    logins, values = accounts(db, name == "demo")
    cookies = {role: sign_in(p, login, PIN if role == "student" else PASSWORD)
               for role, login in logins.items()}
    for role, pages in PAGES.items():
        for template in pages:
            try:
                path = template.format(**values)
            except KeyError:
                continue
            if "None" in path:
                continue
            key = f"{role} {template}"
            status, body, _ = p.request("GET", path, cookies[role])
            if status != 200:
                log(f"{name}: {key} -> {status}")
                res["pages"][key] = {"status": status}
                continue
            samples = []
            n = args.requests
            for i in range(n + 2):
                before = p.cpu_ns()
                status, body, _ = p.request("GET", path, cookies[role])
                cpu = (p.cpu_ns() - before) / 1e6
                if i >= 2:
                    samples.append(cpu)
                if i == 2 and cpu > 200:
                    n = min(n, 8)  # a slow page: enough samples for a median
                if i >= n + 1:
                    break
            res["pages"][key] = {
                "status": 200, "bytes": len(body), "median_ms": round(statistics.median(samples), 3),
                "p99_ms": round(percentile(samples, 0.99), 3), "n": len(samples)}
            log(f"{name}: {key} {res['pages'][key]['median_ms']} ms")
    if args.wrk:
        # The 64 connections are the phones of the student's class, each signed in (up to 25):
        # the start page is built once per student and kept, as in a classroom.
        c = sqlite3.connect(db)
        mates = [r[0] for r in c.execute(
            "SELECT u.login FROM students s JOIN users u ON u.id = s.user_id WHERE s.class_id = "
            "(SELECT class_id FROM students WHERE user_id = ?) ORDER BY u.id LIMIT 25",
            (values["student"],))]
        c.close()
        jar = [cookies["student"]] + [sign_in(p, m, PIN) for m in mates if m != logins["student"]]
        fd, script = tempfile.mkstemp(suffix=".lua")
        with os.fdopen(fd, "w") as f:
            f.write("local cookies = {" + ", ".join(
                '"' + "; ".join(f"{k}={v}" for k, v in ck.items()) + '"' for ck in jar) + "}\n"
                "local i = 0\n"
                "request = function()\n"
                "  i = i + 1\n"
                "  return wrk.format('GET', '/', {['Cookie'] = cookies[i % #cookies + 1],\n"
                "                                 ['Accept-Encoding'] = 'gzip'})\n"
                "end\n")
        res["wrk_students"] = len(jar)
        wrk_cpu = p.cpu_ns()
        out = subprocess.run(
            ["wrk", "-t2", "-c64", f"-d{args.wrk}s", "--latency", "-s", script,
             f"http://127.0.0.1:{p.port}/"], capture_output=True, text=True).stdout
        os.remove(script)
        log(out)
        res["wrk_rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        # partad's CPU time per request under the 64 connections: steadier than requests per
        # second on a machine doing other work.
        done = int(re.search(r"(\d+) requests in", out).group(1))
        res["wrk_cpu_us"] = round((p.cpu_ns() - wrk_cpu) / max(done, 1) / 1e3)
        m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        scale = {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        res["wrk_p99_ms"] = round(float(m.group(1)) * scale, 2)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        res["wrk_non2xx"] = int(bad.group(1)) if bad else 0
        time.sleep(3)  # what partad keeps once the burst is over
    res["rss_after_mib"] = round(p.status("VmRSS") / 1024, 1)
    res["hwm_mib"] = round(p.status("VmHWM") / 1024, 1)
    p.stop()
    if args.cold:
        res["cold"] = {}
        for role, pages in PAGES.items():
            for template in pages:
                key = f"{role} {template}"
                if res["pages"].get(key, {}).get("status") != 200:
                    continue
                path = template.format(**values)
                p = Partad(args.partad, data)
                time.sleep(0.3)
                drop_from_cache([db, db + "-wal"])
                rb = p.read_bytes()
                t0 = time.monotonic()
                p.request("GET", path, cookies[role])
                wall = (time.monotonic() - t0) * 1000
                res["cold"][key] = {"ms": round(wall, 1),
                                    "read_mb": round((p.read_bytes() - rb) / 1e6, 2)}
                p.stop()
                log(f"{name} cold: {key} {res['cold'][key]}")
    result[name] = res


def table(before_path, after_path):
    before = json.load(open(before_path))
    after = json.load(open(after_path))
    sets = [s for s in SETS if s in after]
    lines = ["| page | " + " | ".join(f"{s} before" for s in sets) + " | " +
             " | ".join(f"{s} after" for s in sets) + " |",
             "|---|" + "---|" * (2 * len(sets))]
    keys = []
    for role, pages in PAGES.items():
        keys += [f"{role} {t}" for t in pages]

    def cell(d, s, k):
        v = d.get(s, {}).get("pages", {}).get(k)
        if not v:
            return "—"
        if v.get("status") != 200:
            return str(v.get("status"))
        return f"{v['median_ms']:.2f} / {v['p99_ms']:.2f}"

    for k in keys:
        if not any(k in after.get(s, {}).get("pages", {}) for s in sets):
            continue
        lines.append(f"| {k} | " + " | ".join(cell(before, s, k) for s in sets) + " | " +
                     " | ".join(cell(after, s, k) for s in sets) + " |")
    lines.append("")
    lines.append("| figure | " + " | ".join(f"{s} before" for s in sets) + " | " +
                 " | ".join(f"{s} after" for s in sets) + " |")
    lines.append("|---|" + "---|" * (2 * len(sets)))
    for f in ["size_mb", "first_start_s", "start_s", "idle_rss_mib", "wrk_students", "wrk_rps",
              "wrk_cpu_us",
              "wrk_p99_ms",
              "wrk_non2xx", "rss_after_mib", "hwm_mib"]:
        lines.append(f"| {f} | " + " | ".join(str(before.get(s, {}).get(f, "—")) for s in sets) +
                     " | " + " | ".join(str(after.get(s, {}).get(f, "—")) for s in sets) + " |")
    if any("cold" in after.get(s, {}) for s in sets):
        lines.append("")
        cs = [s for s in sets if "cold" in after.get(s, {}) or "cold" in before.get(s, {})]
        lines.append("| first view, database not in the page cache (ms, MB read) | " +
                     " | ".join(f"{s} before" for s in cs) + " | " +
                     " | ".join(f"{s} after" for s in cs) + " |")
        lines.append("|---|" + "---|" * (2 * len(cs)))

        def cold(d, s, k):
            v = d.get(s, {}).get("cold", {}).get(k)
            return f"{v['ms']:.0f} ms, {v['read_mb']:.2f} MB" if v else "—"

        for k in keys:
            if any(k in after.get(s, {}).get("cold", {}) for s in cs):
                lines.append(f"| {k} | " + " | ".join(cold(before, s, k) for s in cs) + " | " +
                             " | ".join(cold(after, s, k) for s in cs) + " |")
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad")
    ap.add_argument("--gen")
    ap.add_argument("--label", default="")
    ap.add_argument("--out")
    ap.add_argument("--sets", default="demo,1m,3m,year")
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--cold", action="store_true")
    ap.add_argument("--wrk", type=int, default=0)
    ap.add_argument("--table", nargs=2)
    ap.add_argument("--smoke", action="store_true",
                    help="CI: a month of data, every page once, no wrk; fails on a page not 200")
    args = ap.parse_args()
    if args.smoke:
        args.sets, args.requests, args.cold, args.wrk = "1m", 1, False, 0
    if args.table:
        table(*args.table)
        return
    work = tempfile.mkdtemp(prefix="parta-year-bench.")
    result = {"label": args.label, "machine": f"{os.cpu_count()} cores, {os.uname().machine}",
              "date": time.strftime("%Y-%m-%d")}
    try:
        for name in args.sets.split(","):
            run_set(name, args, work, result)
            if args.out:
                json.dump(result, open(args.out, "w"), indent=1, ensure_ascii=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.smoke:
        bad = [k for s in result.values() if isinstance(s, dict)
               for k, v in s.get("pages", {}).items() if v.get("status") != 200]
        if bad:
            sys.exit("pages not 200: " + ", ".join(bad))


if __name__ == "__main__":
    main()
