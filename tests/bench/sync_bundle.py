#!/usr/bin/env python3
"""Sync bundles on a school's real mix: how large against `zstd -19` of the same raw data, and how
long export and import take.

A demo school box gets a term's worth of travelling records straight in its database (the
triggers put them in the outbox as the portal would): assignments, submissions with a phone photo
each (JPEG, which does not compress further), teachers' comments in Russian, grades, absences and
a visit per user per school day. The box is enrolled with a district hub; the bundle is written
(`parta sync export`) and read at the hub (`parta district import`). The raw data is the same
records (the canonical dump) plus the files, in one tar; `zstd -19` of that tar is the yardstick.
Usage: sync_bundle.py --parta build/tools/parta [--students 30] [--assignments 8] [--level N]"""
import argparse
import hashlib
import io
import os
import platform
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sync"))

COMMENTS = ["Хорошо, но проверь запятые в сложных предложениях.",
            "Почерк аккуратный, ответ полный. Молодец!",
            "Перепиши, пожалуйста, задачу 3: потерян знак минус.",
            "Нужно подробнее объяснить, почему ты так решил.",
            "Отлично! Обрати внимание на правописание безударных гласных."]


def photo(rnd, kb):
    from PIL import Image
    w = 480
    h = max(64, kb * 1024 // (w * 3) * 3)
    img = Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=70)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parta", required=True)
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--assignments", type=int, default=8)
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--no-photos", action="store_true", help="text records only")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    from synclib import Run, class_of, enroll_by_cli
    run = Run(args.parta.replace("tools/parta", "server/partad"), args.parta, "parta-bench-sync-")
    S, D = run.path("school"), run.path("district")
    rnd = random.Random(7)
    run.cli(S, "demo", check=True)
    school = enroll_by_cli(run, S, D)

    db = sqlite3.connect(os.path.join(S, "parta.db"))
    db.execute("PRAGMA foreign_keys=ON")
    teacher = db.execute("SELECT id FROM users WHERE login='smirnova'").fetchone()[0]
    # A class of N students (the demo's 5А has a few; more are added like a roster would).
    students = class_of(db, args.students)
    photos = 0
    photo_bytes = 0
    for a in range(args.assignments):
        db.execute("INSERT INTO assignments (class_id, subject_id, teacher_id, topic, title, body, "
                   "grading, publish_at, due_at, created_at) VALUES (1, 1, ?, 'Тема', ?, ?, 'mark', "
                   "0, 1900000000, 0)",
                   (teacher, f"Упражнение {a + 1}", "Выполните упражнение из учебника, с. 45. " * 5))
        aid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        for s in students:
            if args.no_photos:
                db.execute("INSERT INTO submissions (assignment_id, student_id, submitted_by, "
                           "body, created_at) VALUES (?, ?, ?, ?, 1)",
                           (aid, s, s, "Мой ответ: " + rnd.choice(COMMENTS) * 3))
            else:
                data = photo(rnd, rnd.choice([60, 90, 120, 180]))
                sha = hashlib.sha256(data).hexdigest()
                os.makedirs(os.path.join(S, "blobs", sha[:2]), exist_ok=True)
                with open(os.path.join(S, "blobs", sha[:2], sha), "wb") as f:
                    f.write(data)
                db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?, 0)", (sha, len(data)))
                db.execute("INSERT INTO submissions (assignment_id, student_id, submitted_by, "
                           "body, created_at) VALUES (?, ?, ?, ?, 1)",
                           (aid, s, s, "Ответ в тетради, фото."))
                sub = db.execute("SELECT last_insert_rowid()").fetchone()[0]
                db.execute("INSERT INTO submission_files (submission_id, position, sha256, "
                           "filename, content_type, size) VALUES (?, 1, ?, 'тетрадь.jpg', "
                           "'image/jpeg', ?)", (sub, sha, len(data)))
                photos += 1
                photo_bytes += len(data)
            db.execute("INSERT INTO comments (assignment_id, student_id, author_id, body, "
                       "created_at) VALUES (?, ?, ?, ?, 2)", (aid, s, teacher, rnd.choice(COMMENTS)))
            db.execute("INSERT INTO grades (assignment_id, student_id, mark, teacher_id, graded_at) "
                       "VALUES (?, ?, ?, ?, 3)", (aid, s, rnd.choice(["3", "4", "4+", "5", "5-"]),
                                                 teacher))
    users = [r[0] for r in db.execute("SELECT id FROM users")]
    for d in range(args.days):
        day = f"2026-{9 + d // 30:02d}-{1 + d % 30:02d}"
        for u in users:
            if rnd.random() < 0.7:
                db.execute("INSERT OR IGNORE INTO visits (user_id, day, first_at) VALUES (?, ?, 0)",
                           (u, day))
        for s in students:
            if rnd.random() < 0.05:
                db.execute("INSERT OR IGNORE INTO absences (student_id, day, reason, recorded_by, "
                           "recorded_at) VALUES (?, ?, 'ill', ?, 0)", (s, day, teacher))
    db.commit()
    records = db.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]
    db.close()

    out = run.path("stick")
    t0 = time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    _, text = run.cli(S, "sync", "export", "--to", out, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    export_s = time.time() - t0
    export_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    # The largest of the children so far: the export's, unless a setup step's was larger.
    export_rss_mib = after.ru_maxrss / 1024
    bundle = text.splitlines()[0]
    size = os.path.getsize(bundle)
    t0 = time.time()
    run.cli(D, "district", "import", out, check=True)
    import_s = time.time() - t0
    same = run.cli(S, "sync", "dump")[1] == run.cli(D, "district", "dump", school)[1]

    # The yardstick: the same records and files, raw, in one tar, through zstd -19.
    raw = run.path("raw.tar")
    with tarfile.open(raw, "w") as tar:
        dump = run.cli(S, "sync", "dump")[1].encode()
        info = tarfile.TarInfo("records.txt")
        info.size = len(dump)
        tar.addfile(info, io.BytesIO(dump))
        if os.path.isdir(os.path.join(S, "blobs")):
            tar.add(os.path.join(S, "blobs"), arcname="blobs")
    t0 = time.time()
    z = subprocess.run(["zstd", "-19", "-q", "-c", raw], capture_output=True, check=True).stdout
    zstd_s = time.time() - t0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"records {records}, photos {photos} ({photo_bytes / 1e6:.1f} MB), raw tar "
          f"{os.path.getsize(raw) / 1e6:.2f} MB")
    print(f"bundle {size / 1e6:.3f} MB, zstd -19 {len(z) / 1e6:.3f} MB, ratio {size / len(z):.3f}")
    print(f"export {export_s:.1f} s ({export_cpu:.1f} s CPU, peak RSS {export_rss_mib:.0f} MiB), "
          f"import {import_s:.1f} s, zstd -19 alone {zstd_s:.1f} s; exactly once: {same}")
    if not args.keep:
        shutil.rmtree(run.tmp, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
