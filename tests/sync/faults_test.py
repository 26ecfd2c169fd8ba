#!/usr/bin/env python3
"""kill -9 at random points during export, import and upload, then the same step again: every
record arrives exactly once (canonical dumps equal, no line twice), nothing half-written is taken
for a bundle, and both databases pass integrity_check. The hub itself is also killed mid-upload
and restarted. --kills N sets the kill points per phase (CI runs a few; the full run more)."""
import argparse
import os
import random
import signal
import subprocess
import sys
import time

from synclib import Run, Teacher, dump, enroll_by_cli, integrity_ok, jpeg
from common import free_port  # noqa: E402  (synclib put tests/browser on the path)


def kill_at_random(cmd, low, high, rnd):
    """Starts cmd and kills it -9 after a random delay; returns whether it finished first."""
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    delay = rnd.uniform(low, high)
    try:
        p.wait(timeout=delay)
        return True
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    ap.add_argument("--kills", type=int, default=6, help="kill points per phase")
    ap.add_argument("--photos", type=int, default=12, help="submissions with a photo each")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    print(f"seed {args.seed}, {args.kills} kill points per phase")
    run = Run(args.partad, args.parta, "parta-faults-")
    D, S = run.path("district"), run.path("school")
    check = run.check
    try:
        box = run.start("school", S, "--demo")
        run.cli(D, "district", "key", check=True)
        school = enroll_by_cli(run, S, D)
        work = Teacher(box)
        a = work.assignment("Контрольная работа")
        for i in range(args.photos):
            login, sid = (("ivanov.a", 19), ("sokolova.m", 20))[i % 2]
            work.submit(a, login, sid, f"Работа {i}", jpeg(i, (640, 480)))
        work.grade(a, 19, "4")
        run.stop("school")
        expected = dump(run, S)
        print(f"{len(expected)} records to carry")

        # ---- export killed ------------------------------------------------------------------
        t0 = time.time()
        run.cli(S, "sync", "export", "--to", run.path("probe"), check=True)
        export_s = time.time() - t0
        finished = 0
        for _ in range(args.kills):
            finished += kill_at_random([args.parta, "--data", S, "sync", "export", "--to",
                                        run.stick], 0, export_s * 1.2, rnd)
        rc, out = run.cli(S, "sync", "export", "--to", run.stick)
        check(rc == 0, f"export after {args.kills - finished} kills mid-way ({export_s:.1f} s each)")
        files = [f for _, _, fs in os.walk(run.stick) for f in fs if "enroll" not in f]
        bundles = [f for f in files if f.endswith(".ptb")]
        check(len(bundles) == 1, f"one whole bundle on the stick, no half-written one under a "
              f"bundle's name ({len(bundles)})")
        check(len([f for f in files if not f.endswith((".request", ".certificate"))]) == 1,
              "the killed writers' temp files are gone after the next export")

        # ---- import killed ------------------------------------------------------------------
        import shutil
        shutil.copytree(D, D + "-probe")
        # (A copy of the stick too: a bundle imported leaves the stick it was on.)
        shutil.copytree(run.stick, run.stick + "-probe")
        t0 = time.time()
        run.cli(D + "-probe", "district", "import", run.stick + "-probe", check=True)
        import_s = time.time() - t0
        finished = 0
        for _ in range(args.kills):
            finished += kill_at_random([args.parta, "--data", D, "district", "import", run.stick],
                                       0, import_s * 1.2, rnd)
        rc, out = run.cli(D, "district", "import", run.stick)
        check(rc == 0, f"import after {args.kills - finished} kills mid-way: {out.strip()[-60:]}")
        got = dump(run, D, school)
        check(got == expected and len(set(got)) == len(got),
              f"after the killed imports every record is there exactly once ({len(got)})")
        check(integrity_ok(run, D), "the district's database passes integrity_check")

        # ---- upload killed (the client), then the hub killed ----------------------------------
        box = run.start("school", S)
        work = Teacher(box)
        for i in range(args.photos):
            login, sid = (("ivanov.a", 19), ("sokolova.m", 20))[i % 2]
            work.submit(a, login, sid, f"Исправление {i}", jpeg(100 + i, (640, 480)))
        run.stop("school")
        expected = dump(run, S)
        port = free_port()
        hub = run.start("district", D, "--role", "district", "--listen", f"127.0.0.1:{port}")
        url = f"http://127.0.0.1:{port}"
        rate = 2000  # kbit/s: the upload takes a few seconds, so kills land inside it
        push = [args.parta, "--data", S, "--lang", "en", "sync", "push", "--url", url,
                "--rate-kbit", str(rate)]
        finished = 0
        for _ in range(args.kills):
            finished += kill_at_random(push, 0.2, 4.0, rnd)
        for _ in range(max(1, args.kills // 2)):
            # The hub dies mid-upload; it comes back on the same address.
            p = subprocess.Popen(push, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(rnd.uniform(0.3, 2.0))
            run.stop("district", signal.SIGKILL)
            time.sleep(0.5)
            run.start("district", D, "--role", "district", "--listen", f"127.0.0.1:{port}")
            try:
                p.wait(timeout=240)
            except subprocess.TimeoutExpired:
                p.kill()
        r = subprocess.run(push, capture_output=True, text=True, timeout=600)
        check(r.returncode == 0, f"the upload completes after {args.kills - finished} client kills "
              f"and the hub's: {r.stdout.strip()[:120]}")
        got = dump(run, D, school)
        check(got == expected and len(set(got)) == len(got),
              f"after the killed uploads every record is there exactly once ({len(got)})")
        check(integrity_ok(run, D) and integrity_ok(run, S), "both databases pass integrity_check")
        leftovers = [f for f in os.listdir(os.path.join(S, "sync", "outgoing"))] if os.path.isdir(
            os.path.join(S, "sync", "outgoing")) else []
        check(not leftovers, f"nothing left waiting to upload ({leftovers})")
    finally:
        code = run.finish()
    return code


if __name__ == "__main__":
    sys.exit(main())
