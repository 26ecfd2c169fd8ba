#!/usr/bin/python3
"""A class takes a quiz at once (issue 18): 30 students, each on a connection of their own, open a
20-question quiz of 5 questions a page and go through it as phones do (GET a page, POST its
answers, GET the next), then hand it in. Measures each request's time as the client sees it
(p50 / p99 per kind) and partad's CPU per request and peak RSS.

    python3 tests/bench/quiz_load.py --partad build/server/partad [--students 30] [--think 0]

partad runs on a fresh demo data folder (127.0.0.1, no front); a class 7А of N students is
imported from a roster, their PINs set with `parta user reset --pin`, the teacher smirnova is given
the class and puts the quiz on an assignment. Numbers go to tests/bench/RESULTS.md by hand.
"""
import argparse
import http.client
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Staff, class_roster, start_partad  # noqa: E402


def bank(n):
    """n questions of every kind the quiz marks by itself, in turn."""
    out = []
    for i in range(n):
        k = i % 5
        if k == 0:
            out.append(f"::В{i}::Сколько будет {i} + {i}? {{={2 * i} ~{2 * i + 1} ~{2 * i - 1} ~{i}}}")
        elif k == 1:
            out.append(f"::В{i}::Отметьте чётные числа. {{~%50%{2 * i} ~%50%{2 * i + 2} ~%-100%{2 * i + 1}}}")
        elif k == 2:
            out.append(f"::В{i}::Половина от {2 * i + 1}? {{#{i + 0.5}:0.01}}")
        elif k == 3:
            out.append(f"::В{i}::Столица России? {{=Москва =г. Москва}}")
        else:
            out.append(f"::В{i}::Земля вращается вокруг Солнца. {{TRUE}}")
    return "\n\n".join(out) + "\n"


class Phone:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {}
        self.csrf = ""

    def request(self, method, path, form=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form + [("csrf", self.csrf)])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        t0 = time.perf_counter()
        self.conn.request(method, path, body, headers)
        r = self.conn.getresponse()
        data = r.read().decode()
        took = time.perf_counter() - t0
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";")[0]
        m = re.search(r'name="csrf" value="([^"]+)"', data)
        if m:
            self.csrf = m.group(1)
        return r.status, data, r.getheader("Location") or "", took


def cpu_ns(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e9 / os.sysconf("SC_CLK_TCK")


def hwm_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1)) / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", default=None)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--think", type=float, default=0,
                    help="each student reads and answers a page for up to this many seconds "
                         "(uniform) before saving it; 0: all in lockstep, the worst case")
    args = ap.parse_args()
    parta = args.parta or os.path.join(os.path.dirname(os.path.dirname(args.partad)), "tools", "parta")
    tmp = tempfile.mkdtemp(prefix="parta-quiz-bench-")
    proc, port = start_partad(args.partad, tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        admin = Staff(base, "admin", "demo2026")
        admin.get("/admin/roster")
        admin.upload("/admin/roster", {}, [("file", "7a.csv", "text/csv", class_roster(args.students, number_prefix="QUIZ"))])
        db = os.path.join(tmp, "db", "parta.db")
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        k7 = c.execute("SELECT id FROM classes WHERE name = '7А'").fetchone()[0]
        logins = [r[0] for r in c.execute(
            "SELECT u.login FROM students s JOIN users u ON u.id = s.user_id WHERE s.class_id = ? "
            "ORDER BY u.id", (k7,))]
        teacher_id = c.execute("SELECT id FROM users WHERE login = 'smirnova'").fetchone()[0]
        c.close()
        pins = {}
        for login in logins:
            out = subprocess.run([parta, "--data", os.path.join(tmp, "db"), "--lang", "en", "user",
                                  "reset", login, "--pin"], capture_output=True, text=True).stdout
            pins[login] = re.search(r"(\d{6})", out).group(1)
        admin.get(f"/admin/teachers/{teacher_id}")
        admin.post(f"/admin/teachers/{teacher_id}/teaching", {"class_id": str(k7), "subject_id": "1"})
        t = Staff(base, "smirnova", "demo2026")
        t.get(f"/assignments/new?class={k7}&subject=1")
        _, _, url = t.upload("/assignments", {
            "class_id": str(k7), "subject_id": "1", "title": "Проверочная", "grading": "mark",
            "due_date": "2099-01-01", "due_time": "18:00"}, [])
        quiz = url.replace(base, "") + "/quiz"
        t.get(quiz + "/edit")
        t.upload(quiz + "/edit", {"attempts": "1", "per_page": "5", "five": "85", "four": "65",
                                  "three": "45", "gift": bank(args.questions)}, [])
        phones = []
        for login in logins:
            p = Phone(port)
            p.request("GET", "/login")
            status, _, _, _ = p.request("POST", "/login", [("login", login), ("secret", pins[login]),
                                                           ("next", "/")])
            assert status == 303, (login, status)
            phones.append(p)
        times = {"page": [], "save": [], "finish": [], "start": []}
        lock = threading.Lock()
        barrier = threading.Barrier(len(phones))
        errors = []

        def take(p):
            try:
                p.request("GET", quiz)
                barrier.wait()
                status, _, loc, took = p.request("POST", quiz + "/start", [])
                rec = [("start", took)]
                page = loc
                while True:
                    status, body, _, took = p.request("GET", page)
                    rec.append(("page", took))
                    names = list(dict.fromkeys(re.findall(r'name="(q\d+)"', body)))
                    form = []
                    for n in names:
                        form.append((n, "0") if f'name="{n}" value=' in body else (n, "42"))
                    last = "Сдать тест" in body
                    form.append(("go", "finish" if last else "next"))
                    if args.think > 0:
                        time.sleep(random.uniform(0, args.think))
                    status, _, loc, took = p.request("POST", page, form)
                    rec.append(("finish" if last else "save", took))
                    if status != 303:
                        raise RuntimeError(f"POST {page}: {status}")
                    if last:
                        break
                    page = loc
                with lock:
                    for k, v in rec:
                        times[k].append(v * 1000)
            except Exception as e:  # noqa: BLE001
                with lock:
                    errors.append(repr(e))

        cpu0 = cpu_ns(proc.pid)
        t0 = time.perf_counter()
        threads = [threading.Thread(target=take, args=(p,)) for p in phones]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        cpu = cpu_ns(proc.pid) - cpu0
        n = sum(len(v) for v in times.values())
        print(f"{len(phones)} students x {args.questions} questions (5 a page), think time up to "
              f"{args.think:g} s: {n} requests in "
              f"{wall:.2f} s, errors {len(errors)}{' ' + errors[0] if errors else ''}")
        for k, v in times.items():
            if v:
                v.sort()
                print(f"  {k:7s} n={len(v):4d}  p50 {statistics.median(v):6.1f} ms  "
                      f"p99 {v[min(len(v) - 1, int(len(v) * 0.99))]:6.1f} ms  max {v[-1]:6.1f} ms")
        print(f"  partad CPU per request {cpu / n / 1e3:.0f} µs, peak RSS {hwm_mib(proc.pid):.1f} MiB")
        res = t.get(quiz + "/results")
        marks = re.findall(r"<td><b>([2-5])</b></td>", res)
        print(f"  marks set: {len(marks)} of {len(phones)}")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
