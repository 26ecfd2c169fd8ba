#!/usr/bin/python3
"""A class's term with phone photos, to the district: bundle bytes before travel copies (the
photos as taken) and after, the time and memory the copies cost, and the export (issue 20).

A demo school box enrolled with a district hub gets a class's term straight in its database (the
triggers put it in the outbox as the portal would): STUDENTS × ASSIGNMENTS submissions, each with
one phone photo of a notebook or packet page from tests/fixtures/notebook/make_notebooks.py (all
different: 12, 8 and 5 MP photos and a few scans), a comment and a grade each. Then:
  - today: a copy of the data folder exported with `travel_long_side = 0` (the photos travel as
    they were taken), as the box did before issue 20;
  - after: partad started on the box makes the travel copies in the background (its paper worker
    with the parta-paper helper); the time until all are made and partad's CPU (its own and its
    helpers') are recorded; partad stopped, `parta sync export` writes the bundle (CPU, wall
    time, the CLI's peak RSS);
  - the district imports the after-bundle and the records are compared (exactly once).
Usage: travel_term.py [--partad build/server/partad] [--parta build/tools/parta]
       [--corpus DIR] [--students 30] [--assignments 8]"""
import argparse
import glob
import hashlib
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "sync"))


def cpu_of(pid):
    """partad's CPU seconds, its own and its waited-for children's (the helpers)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / tick


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", default=os.path.join(ROOT, "build", "server", "partad"))
    ap.add_argument("--parta", default=os.path.join(ROOT, "build", "tools", "parta"))
    ap.add_argument("--corpus", help="photos from make_notebooks.py (default: made here)")
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--assignments", type=int, default=8)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    from synclib import Run, class_of, enroll_by_cli
    run = Run(args.partad, args.parta, "parta-bench-travel-")
    need = args.students * args.assignments
    corpus = args.corpus or run.path("corpus")
    photos = sorted(glob.glob(os.path.join(corpus, "page-*")))
    if len(photos) < need:
        t0 = time.time()
        subprocess.run(["/usr/bin/python3",
                        os.path.join(ROOT, "tests", "fixtures", "notebook", "make_notebooks.py"),
                        corpus, "--count", str(need)], check=True, stdout=subprocess.DEVNULL)
        print(f"corpus: {need} pages made in {time.time() - t0:.0f} s", flush=True)
        photos = sorted(glob.glob(os.path.join(corpus, "page-*")))
    photos = photos[:need]

    S, D = run.path("school"), run.path("district")
    run.cli(S, "demo", check=True)
    school = enroll_by_cli(run, S, D)
    db = sqlite3.connect(os.path.join(S, "parta.db"))
    db.execute("PRAGMA foreign_keys=ON")
    teacher = db.execute("SELECT id FROM users WHERE login='smirnova'").fetchone()[0]
    students = class_of(db, args.students)
    photo_bytes = 0
    k = 0
    for a in range(args.assignments):
        db.execute("INSERT INTO assignments (class_id, subject_id, teacher_id, topic, title, body, "
                   "grading, publish_at, due_at, created_at) VALUES (1, 1, ?, 'Тема', ?, ?, 'mark', "
                   "0, 1900000000, 0)",
                   (teacher, f"Упражнение {a + 1}", "Выполните упражнение из учебника, с. 45."))
        aid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        for s in students:
            data = open(photos[k], "rb").read()
            k += 1
            sha = hashlib.sha256(data).hexdigest()
            os.makedirs(os.path.join(S, "blobs", sha[:2]), exist_ok=True)
            with open(os.path.join(S, "blobs", sha[:2], sha), "wb") as f:
                f.write(data)
            png = data[:4] == b"\x89PNG"
            db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?, 0)", (sha, len(data)))
            db.execute("INSERT INTO submissions (assignment_id, student_id, submitted_by, body, "
                       "created_at) VALUES (?, ?, ?, 'Ответ в тетради, фото.', 1)", (aid, s, s))
            sub = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            db.execute("INSERT INTO submission_files (submission_id, position, sha256, filename, "
                       "content_type, size) VALUES (?, 1, ?, ?, ?, ?)",
                       (sub, sha, "скан.png" if png else "тетрадь.jpg",
                        "image/png" if png else "image/jpeg", len(data)))
            photo_bytes += len(data)
            db.execute("INSERT INTO comments (assignment_id, student_id, author_id, body, "
                       "created_at) VALUES (?, ?, ?, 'Хорошо, но проверь запятые.', 2)",
                       (aid, s, teacher))
            db.execute("INSERT INTO grades (assignment_id, student_id, mark, teacher_id, "
                       "graded_at) VALUES (?, ?, '4', ?, 3)", (aid, s, teacher))
    db.commit()
    db.close()

    # Today: the photos as taken.
    S0 = run.path("school-today")
    shutil.copytree(S, S0, symlinks=True)
    conf0 = run.path("today.conf")
    open(conf0, "w").write("travel_long_side = 0\n")
    r = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", args.parta, "--data", S0,
                        "--config", conf0, "--lang", "en", "sync", "export", "--to",
                        run.path("stick-today")], capture_output=True, text=True, check=True)
    t_wall, t_user, t_sys, t_rss = r.stderr.strip().splitlines()[-1].split()[1:]
    today = os.path.getsize(r.stdout.splitlines()[0])

    # After: partad makes the copies in the background.
    t0 = time.time()
    run.start("school", S)
    pid = run.procs["school"].pid
    cpu0 = cpu_of(pid)
    db = sqlite3.connect(os.path.join(S, "parta.db"))
    made = 0
    while time.time() - t0 < 3600:
        made = db.execute("SELECT COUNT(*) FROM travel_copies").fetchone()[0]
        if made >= need:
            break
        time.sleep(0.5)
    making_s = time.time() - t0
    making_cpu = cpu_of(pid) - cpu0
    copies = db.execute("SELECT COUNT(copy), SUM(bytes), SUM(original_bytes), SUM(grey), "
                        "SUM(cropped), group_concat(DISTINCT why) FROM travel_copies").fetchone()
    db.close()
    run.stop("school")
    # The export on its own (/usr/bin/time: the CLI's wall and CPU time and peak RSS).
    r = subprocess.run(["/usr/bin/time", "-f", "TIME %e %U %S %M", args.parta, "--data", S,
                        "--lang", "en", "sync", "export", "--to", run.stick],
                       capture_output=True, text=True, check=True)
    wall, user, system, rss_kb = r.stderr.strip().splitlines()[-1].split()[1:]
    export_s, export_cpu = float(wall), float(user) + float(system)
    export_rss = int(rss_kb) / 1024
    bundle = r.stdout.splitlines()[0]
    size = os.path.getsize(bundle)
    run.cli(D, "district", "import", bundle, check=True)
    same = run.cli(S, "sync", "dump")[1] == run.cli(D, "district", "dump", school)[1]

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"{need} submissions with a photo each: {photo_bytes / 1e6:.1f} MB of photos")
    print(f"travel copies: {copies[0]} of {made} made ({copies[3]} grey, {copies[4]} cut to the "
          f"page; without a copy: {made - copies[0]} {copies[5] or ''}), {copies[1] / 1e6:.2f} MB "
          f"for {copies[2] / 1e6:.1f} MB; in the background {making_s:.0f} s wall, "
          f"{making_cpu:.0f} s CPU ({making_cpu / need * 1000:.0f} ms a photo)")
    print(f"bundle today {today / 1e6:.1f} MB, after {size / 1e6:.2f} MB = "
          f"{100 * size / today:.1f} % of today")
    print(f"export today: {float(t_wall):.1f} s wall, {float(t_user) + float(t_sys):.1f} s CPU, "
          f"peak RSS {int(t_rss) / 1024:.0f} MiB")
    print(f"export after: {export_s:.1f} s wall, {export_cpu:.1f} s CPU, peak RSS "
          f"{export_rss:.0f} MiB; exactly once at the district: {same}")
    print(f"at 256 kbit/s: today {today * 8 / 256000 / 60:.0f} min, after "
          f"{size * 8 / 256000 / 60:.1f} min")
    if not args.keep:
        run.finish()
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
