#!/usr/bin/env python3
"""The district hub on PostgreSQL as a district runs it (issue 17).

A PostgreSQL 15 cluster of the test's own (tests/lib/pg_cluster.py, as an unprivileged user); two
`partad --role district` processes on one database and one data folder behind nginx
(firmware/config/district-hub.nginx.conf.in); three schools on SQLite boxes that sync over the
network through that front.

- Either process serves anyone: signed in on one, the session holds on the other; both show the
  same overview.
- The three schools push at once: their imports run side by side (two schools' import locks are
  seen held at the same moment in pg_locks), and every record is at the hub exactly once
  (`district dump` = the school's `sync dump`).
- The process importing a school's backlog of photos is killed (SIGKILL) in the middle: the other
  process goes on serving, the school pushes again through the front, every record arrives exactly
  once, nothing was half-applied; the killed process starts again and serves.

  hub_pg_test.py --partad build/server/partad --parta build/tools/parta
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

from synclib import Run, Staff, Teacher, dump, enroll_by_cli, jpeg

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from common import free_port  # noqa: E402
from pg_cluster import BIN  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STUDENTS = [("ivanov.a", 19), ("sokolova.m", 20), ("lebedev.k", 21)]


def start_front(run, ports):
    """nginx from the hub's template, before the hub processes on `ports`. Returns its URL."""
    port = free_port()
    folder = run.path("front")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(ROOT, "firmware", "config", "district-hub.nginx.conf.in")) as f:
        conf = f.read()
    ups = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in ports)
    conf = conf.replace("@LISTEN@", f"127.0.0.1:{port}").replace("@UPSTREAMS@", ups) \
        .replace("@RUN@", folder)
    path = os.path.join(folder, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    subprocess.run(["nginx", "-c", path, "-e", os.path.join(folder, "error.log")], check=True)
    return f"http://127.0.0.1:{port}", path


def hand_in(work, assignments, seed, size=(1000, 750)):
    n = 0
    for a in assignments:
        for login, sid in STUDENTS:
            work.submit(a, login, sid, f"Фото тетради {seed + n}", jpeg(seed + n, size))
            n += 1
    return n


def import_holders(pg):
    """The hub processes holding a school's import lock now (application_name 'partad PID')."""
    rows = pg.psql("hub1", "SELECT DISTINCT a.application_name FROM pg_locks l JOIN "
                          "pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
                          "l.granted AND a.application_name LIKE 'partad %'")
    return [r[0] for r in rows]


class LockSampler:
    """One psql session asking, as fast as it answers, how many sessions hold a school's import
    lock (a session-level advisory lock) now; stop() gives the most seen and the samples."""
    QUERY = ("SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
             "AND objsubid = 1 AND pid <> pg_backend_pid();\n")

    def __init__(self, pg):
        self.proc = subprocess.Popen(
            pg.prefix + ["psql", "-X", "-A", "-t", "-q", "-h", pg.dir, "-p", str(pg.port), "-U",
                         "postgres", "-d", "hub1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, bufsize=1)
        self.most, self.samples = 0, 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            self.proc.stdin.write(self.QUERY)
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
            if not line:
                break
            self.samples += 1
            self.most = max(self.most, int(line.strip() or 0))

    def stop(self):
        self.done.set()
        self.thread.join()
        self.proc.stdin.close()
        self.proc.wait()
        return self.most, self.samples


def import_spans(run):
    """(school, from ms, to ms) of every network import the hub processes logged."""
    spans = []
    for name in os.listdir(run.tmp):
        if name.startswith("hub-") and name.endswith(".log"):
            with open(run.path(name), errors="replace") as f:
                for m in re.finditer(r"sync: bundle \w+ from (\w+) imported \((\w+)\) from (\d+) "
                                     r"to (\d+) ms", f.read()):
                    if m.group(2) == "ok":
                        spans.append((m.group(1), int(m.group(3)), int(m.group(4))))
    return spans


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    run = Run(args.partad, args.parta, "parta-hubpg-")
    check = run.check
    front_conf = None
    try:
        D = run.path("district")
        uri = run.hub_db(D)  # the run's own cluster, database "hub1"
        pg = run.pg
        # ---- two hub processes, one database, one folder, behind nginx ---------------------------
        a_url = run.start("hub-a", D, "--role", "district", "--demo", "--district-db", uri)
        b_url = run.start("hub-b", D, "--role", "district")  # the folder names the database
        check(open(os.path.join(D, "hub-database")).read().strip() == uri,
              "the data folder remembers the hub's PostgreSQL database")
        front, front_conf = start_front(run, [int(a_url.rsplit(":", 1)[1]),
                                              int(b_url.rsplit(":", 1)[1])])
        admin_a = Staff(a_url, "admin", "demo2026")
        page_b = urllib.request.Request(b_url + "/district")
        jar = next(h.cookiejar for h in admin_a.opener.handlers if hasattr(h, "cookiejar"))
        cookies = {c.name: c.value for c in jar}
        page_b.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        with urllib.request.urlopen(page_b) as r:
            body_b = r.read().decode()
        check('action="/logout"' in body_b and r.url.endswith("/district"),
              "signed in on process A, the session holds on process B")

        # ---- three schools, enrolled, syncing through the front ----------------------------------
        schools = []
        for i in range(3):
            data = run.path(f"school{i}")
            base = run.start(f"school{i}", data, "--demo", "--district-url", front)
            device = enroll_by_cli(run, data, D)
            schools.append({"data": data, "base": base, "device": device, "work": Teacher(base)})
        for i, s in enumerate(schools):
            s["assignments"] = [s["work"].assignment(f"Задание {i}.{k}") for k in range(1, 5)]
            hand_in(s["work"], s["assignments"], 1000 * (i + 1))

        results = {}

        def push(s):
            results[s["device"]] = run.cli(s["data"], "sync", "push", "--url", front)

        threads = [threading.Thread(target=push, args=(s,)) for s in schools]
        t0 = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        spans = import_spans(run)
        together = [(a, b) for a in spans for b in spans
                    if a[0] < b[0] and a[1] < b[2] and b[1] < a[2]]
        print(f"     three pushes took {time.time() - t0:.1f} s; imports (school, ms): " +
              ", ".join(f"{s[0][:6]} {s[2] - s[1]}" for s in spans) +
              f"; pairs of schools importing at the same moment: {len(together)}")
        check(all(rc == 0 for rc, _ in results.values()),
              "three schools pushed at once through the front: " +
              "; ".join(out.strip()[-120:] for rc, out in results.values() if rc != 0))
        for s in schools:
            check(dump(run, D, s["device"]) == dump(run, s["data"]),
                  f"school {s['device'][:8]}: every record at the hub exactly once")

        # ---- imports of different schools side by side ------------------------------------------
        # Each school's next bundle by stick (12 more photos), then three imports at once, each
        # in a process of its own on the hub's folder (the CLI works beside the hub's processes);
        # pg_locks sampled meanwhile: how many sessions hold a school's import lock at once.
        sticks = []
        for i, s in enumerate(schools):
            hand_in(s["work"], s["assignments"], 20000 * (i + 1))
            stick = run.path(f"stick{i}")
            os.makedirs(stick)
            run.cli(s["data"], "sync", "export", "--to", stick, check=True)
            sticks.append(next(os.path.join(r, f) for r, _, fs in os.walk(stick) for f in fs
                               if f.endswith(".ptb")))
        sampler = LockSampler(pg)
        imports = {}

        def stick_import(i):
            imports[i] = run.cli(D, "district", "import", sticks[i])

        threads = [threading.Thread(target=stick_import, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        most, samples = sampler.stop()
        print(f"     three stick imports at once: {samples} samples of pg_locks, at most {most} "
              f"schools' import locks held at the same moment")
        check(all(rc == 0 for rc, _ in imports.values()), "three stick imports at once: " +
              "; ".join(out.strip()[-200:] for rc, out in imports.values() if rc != 0))
        check(most >= 2, "imports of different schools ran side by side")
        for s in schools:
            check(dump(run, D, s["device"]) == dump(run, s["data"]),
                  f"school {s['device'][:8]}: every record at the hub exactly once")

        # ---- a hub process killed in the middle of an import -------------------------------------
        victim = schools[0]
        hand_in(victim["work"], victim["assignments"], 50000, (1600, 1200))
        pushed = {}

        def push_victim():
            pushed["first"] = run.cli(victim["data"], "sync", "push", "--url", front)

        t = threading.Thread(target=push_victim)
        t.start()
        killed = None
        deadline = time.time() + 120
        while time.time() < deadline and killed is None and t.is_alive():
            for holder in import_holders(pg):
                pid = int(holder.split()[1])
                for name, proc in run.procs.items():
                    if name.startswith("hub-") and proc.pid == pid:
                        proc.send_signal(signal.SIGKILL)
                        proc.wait()
                        run.procs.pop(name)
                        killed = name
                        break
                if killed:
                    break
            time.sleep(0.005)
        t.join()
        print("     the push during the kill: " + pushed["first"][1].strip()[-200:])
        check(killed is not None, f"a hub process was killed during the import ({killed})")
        if killed is None:
            raise RuntimeError("no import was seen to kill")
        other = b_url if killed == "hub-a" else a_url
        with urllib.request.urlopen(other + "/login") as r:
            check(r.status == 200, "the other hub process goes on serving")
        rc, out = run.cli(victim["data"], "sync", "push", "--url", front)
        if rc != 0:
            rc, out = run.cli(victim["data"], "sync", "push", "--url", front)
        check(rc == 0, "the school pushed again through the front: " + out.strip()[-200:])
        check(dump(run, D, victim["device"]) == dump(run, victim["data"]),
              "after the kill: every record at the hub exactly once, nothing half-applied")
        for s in schools[1:]:
            check(dump(run, D, s["device"]) == dump(run, s["data"]),
                  f"school {s['device'][:8]}: untouched by the kill")
        counts = pg.psql("hub1", "SELECT count(*), count(DISTINCT (peer, kind, rid)) FROM "
                                "sync_records")
        check(counts and counts[0][0] == counts[0][1], f"no record twice in the hub ({counts})")
        # The killed process starts again (its temp folder is cleared) and serves.
        again = run.start(killed, D, "--role", "district")
        with urllib.request.urlopen(again + "/login") as r:
            check(r.status == 200, "the killed process starts again and serves")
        left = [n for n in os.listdir(os.path.join(D, "tmp")) if n.startswith("partad-")]
        check(len(left) == 2, f"one temp folder per live hub process ({left})")
        admin = Staff(front, "admin", "demo2026")
        overview = admin.get("/district")
        check(all(f"/district/schools/{s['device']}" in overview for s in schools),
              "the overview through the front lists the three schools")

        # ---- backed up with PostgreSQL's own tools, restored, and read --------------------------
        # pg_basebackup of the live cluster (as a district's IT runs it, WAL streamed with it),
        # started as a cluster of its own; a copy of the hub's folder pointed at it holds every
        # school's records as the hub does.
        backup = os.path.join(pg.dir, "backup")
        pg._run(f"{BIN}/pg_basebackup", "-h", pg.dir, "-p", str(pg.port), "-U", "postgres",
                "-D", backup, "-X", "stream", "-c", "fast")
        port2 = free_port()
        pg._run(f"{BIN}/pg_ctl", "-D", backup, "-l", backup + ".log", "-w", "-t", "60", "-o",
                f"-p {port2} -k {pg.dir} -c listen_addresses=''", "start")
        try:
            restored = run.path("restored")
            shutil.copytree(D, restored, ignore=shutil.ignore_patterns("tmp", "*.lock", "*.sock"))
            with open(os.path.join(restored, "hub-database"), "w") as f:
                f.write(f"postgresql://postgres@/hub1?host={pg.dir}&port={port2}\n")
            same = all(dump(run, restored, s["device"]) == dump(run, D, s["device"])
                       for s in schools)
            check(same, "a pg_basebackup of the hub, started on its own, holds every school's "
                        "records as the hub does")
        finally:
            pg._run(f"{BIN}/pg_ctl", "-D", backup, "-m", "fast", "-w", "stop")
    finally:
        if front_conf:
            subprocess.run(["nginx", "-c", front_conf, "-s", "stop"], capture_output=True)
        rc = run.finish()
    return rc


if __name__ == "__main__":
    sys.exit(main())
