#!/usr/bin/python3
"""Quiz-on-paper benchmark (issue 18): the corpus generator for filled answer sheets, and how
partad reads them. Starts partad with the demo school and a class of 30 on the paper track, loads
a quiz of 16 choice questions (10 of one answer among 4, 6 of several among 5), and for every
variant below prints a fresh run of packets, fills each student's quiz pages the way children
fill them, turns them into scans or photos, uploads them as one pile and measures:

  - rows (a question's boxes) decided right automatically, sent to the teacher, or decided WRONG
    (the target: right or to the teacher on >= 99.5 % of rows; no wrong automatic mark);
  - pages filed to the wrong student (target 0);
  - pages per second from upload to the pile read, box reading included (target >= 5 on 2 cores).

How a child marks (the truth is kept per box): a pen cross or tick of varying size, slant and
place (most marks); a box filled in whole; a faint pencil tick; a tick beside the box instead of
in it; a mark erased (a gray smudge with remnants) before marking another; a change of mind (one
box filled in whole, the next crossed); a row left empty; in single-answer rows, now and then two
crosses. Variants: 300, 200 and 150 dpi scans (JPEG q85..q50), upside down, skewed 4 deg, blur and
noise, phone photos with perspective and uneven light.

    python3 tests/bench/quiz_sheets.py --partad build/server/partad [--variants a,b] [--keep DIR]

Needs python3-pil, python3-numpy, poppler-utils. Numbers go to tests/bench/RESULTS.md by hand.
"""
import argparse
import io
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
sys.path.insert(0, os.path.dirname(__file__))
from common import Staff, class_roster, start_partad  # noqa: E402
from paper_intake import at_dpi, jpeg, noisy, perspective, rss_kib, skew  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

STUDENTS = 30
DPI = 300
K = DPI / 72.0


def quiz_gift(rng):
    out = []
    for i in range(10):
        right = rng.randrange(4)
        opts = " ".join(("=" if k == right else "~") + f"вариант {k + 1} к вопросу {i + 1}"
                        for k in range(4))
        out.append(f"::В{i + 1}::Вопрос {i + 1}: выберите верный ответ. {{{opts}}}")
    for i in range(6):
        right = rng.sample(range(5), 2)
        opts = " ".join(("~%50%" if k in right else "~%-50%") + f"ответ {k + 1}" for k in range(5))
        out.append(f"::М{i + 1}::Вопрос {11 + i}: отметьте все верные. {{{opts}}}")
    return "\n\n".join(out) + "\n"


# ---- how a hand marks, in 300 dpi pixels of the page (b: a box in points) ----
def _pt(x, y):
    return (x * K, y * K)


def pen(draw, pts, width_pt, ink):
    draw.line([_pt(*p) for p in pts], fill=ink, width=max(1, round(width_pt * K)), joint="curve")


def cross(draw, b, rng, ink):
    j = lambda: rng.uniform(-1.6, 1.6)  # noqa: E731
    over = rng.uniform(-1.5, 2.5)
    x0, y0, x1, y1 = b["x"] - over, b["y"] - over, b["x"] + b["w"] + over, b["y"] + b["h"] + over
    w = rng.uniform(0.9, 1.8)
    pen(draw, [(x0 + 1.5 + j(), y0 + 1.5 + j()), (x1 - 1.5 + j(), y1 - 1.5 + j())], w, ink)
    pen(draw, [(x1 - 1.5 + j(), y0 + 1.5 + j()), (x0 + 1.5 + j(), y1 - 1.5 + j())], w, ink)


def tick(draw, x, y, rng, ink, width=None, size=1.0):
    w = width or rng.uniform(0.9, 1.7)
    s = size * rng.uniform(0.85, 1.2)
    pen(draw, [(x + 2 * s, y + 6 * s), (x + 5 * s, y + 10 * s), (x + 12 * s, y - 1 * s)], w, ink)


def fill(draw, b, rng, ink):
    # Scribbled in whole: dense strokes across the box, a little over its edges.
    y = b["y"] + 0.5
    while y < b["y"] + b["h"] - 0.5:
        pen(draw, [(b["x"] + rng.uniform(-0.5, 1), y), (b["x"] + b["w"] - rng.uniform(-0.5, 1),
                                                       y + rng.uniform(-0.3, 0.6))], 1.4, ink)
        y += rng.uniform(0.8, 1.2)


def erased(img, b, rng):
    """A cross drawn, then rubbed out: faint remnants of its strokes, the paper a shade grayer."""
    layer = Image.new("L", img.size, 0)
    cross(ImageDraw.Draw(layer), b, rng, 255)
    a = np.asarray(img, dtype=np.float32).copy()
    remnant = 255 - 225 * rng.uniform(0.08, 0.22)
    a = np.where(np.asarray(layer) > 127, np.minimum(a, remnant), a)
    x0, y0 = (round(v) for v in _pt(b["x"] - 2, b["y"] - 2))
    x1, y1 = (round(v) for v in _pt(b["x"] + b["w"] + 2, b["y"] + b["h"] + 2))
    a[y0:y1, x0:x1] *= rng.uniform(0.93, 0.97)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def mark_page(img, rows, rng, stats):
    """Fills the rows (question → its boxes on this page, in printed order) on a 300 dpi page;
    returns the image and the truth: question → the options meant."""
    truth = {}
    for q, (boxes, many) in rows.items():
        n = len(boxes)
        if many:
            meant = set(rng.sample(range(n), rng.choice([1, 2, 2, 3])))
        else:
            meant = set() if rng.random() < 0.04 else {rng.randrange(n)}
        r = rng.random()
        draw = ImageDraw.Draw(img)
        kinds = []
        if not many and meant and r < 0.03:
            # A change of mind: another box filled in whole, the meant one crossed.
            other = rng.choice([k for k in range(n) if k not in meant])
            fill(draw, boxes[other], rng, 30)
            kinds.append("change of mind")
        elif not many and meant and r < 0.05:
            # Two crosses where one answer is asked: the second is not meant (a person decides).
            other = rng.choice([k for k in range(n) if k not in meant])
            cross(draw, boxes[other], rng, 30)
            kinds.append("two in a single row")
        elif r < 0.08:
            # A mark rubbed out.
            other = rng.choice([k for k in range(n) if k not in meant] or [0])
            if other not in meant:
                img = erased(img, boxes[other], rng)
                draw = ImageDraw.Draw(img)
                kinds.append("erasure")
        for k in sorted(meant):
            b = boxes[k]
            r = rng.random()
            ink = rng.randint(10, 70)
            if r < 0.45:
                cross(draw, b, rng, ink)
                kind = "cross"
            elif r < 0.88:
                tick(draw, b["x"] + rng.uniform(-1, 2), b["y"] + rng.uniform(-1.5, 2), rng, ink)
                kind = "tick"
            elif r < 0.93:
                fill(draw, b, rng, ink)
                kind = "full"
            elif r < 0.97:
                tick(draw, b["x"] + rng.uniform(0, 2), b["y"] + rng.uniform(0, 2), rng,
                     rng.randint(150, 200), width=0.7)
                kind = "faint pencil"
            else:
                # Beside the box: to its right, over the blank before the option's text.
                tick(draw, b["x"] + b["w"] + rng.uniform(1, 3), b["y"] + rng.uniform(-2, 2), rng,
                     ink, size=0.7)
                kind = "beside"
            kinds.append(kind)
        for kind in kinds:
            stats[kind] = stats.get(kind, 0) + 1
        truth[q] = (meant, kinds)
    return img, truth


def variants(rng):
    return {
        "scan-300dpi": lambda p: jpeg(p, 85),
        "scan-200dpi": lambda p: jpeg(at_dpi(p, 200), 85),
        "scan-150dpi-q50": lambda p: jpeg(at_dpi(p, 150), 50),
        "upside-down-200dpi": lambda p: jpeg(at_dpi(p.rotate(180), 200), 80),
        "skew-4deg-200dpi": lambda p: jpeg(at_dpi(skew(p, 4), 200), 80),
        "blur-noise-200dpi": lambda p: jpeg(noisy(at_dpi(p, 200).filter(
            ImageFilter.GaussianBlur(1.0)), 10, rng), 70),
        "phone-photo": lambda p: jpeg(perspective(at_dpi(p, 200), rng), 75),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--variants", help="comma-separated names (all by default)")
    ap.add_argument("--keep", help="keep the filled pages in this folder")
    args = ap.parse_args()
    rng = random.Random(2026)
    nrng = np.random.default_rng(2026)
    tmp = tempfile.mkdtemp(prefix="parta-quiz-bench-")
    proc, port = start_partad(args.partad, tmp)
    db = os.path.join(tmp, "db", "parta.db")
    base = f"http://127.0.0.1:{port}"
    totals = {"rows": 0, "auto": 0, "teacher": 0, "wrong": 0, "pages": 0, "misfiled": 0,
              "seconds": 0.0, "plain": 0, "plain_auto": 0, "review": 0}
    try:
        admin = Staff(base, "admin", "demo2026")
        admin.get("/admin/roster")
        admin.upload("/admin/roster", {}, [("file", "7a.csv", "text/csv",
                                            class_roster(STUDENTS, paper=True))])
        k7 = re.search(r'<option value="(\d+)">7А</option>', admin.get("/admin/teachers/2")).group(1)
        admin.post("/admin/teachers/2/teaching", {"class_id": k7, "subject_id": "1"})
        teacher = Staff(base, "smirnova", "demo2026")
        teacher.get(f"/assignments/new?class={k7}&subject=1")
        _, _, url = teacher.upload("/assignments", {
            "class_id": k7, "subject_id": "1", "title": "Проверочная работа",
            "grading": "mark", "due_date": "2099-01-01", "due_time": "18:00"}, [])
        asg = re.search(r"/assignments/(\d+)", url).group(1)
        quiz = f"/assignments/{asg}/quiz"
        teacher.get(quiz + "/edit")
        teacher.upload(quiz + "/edit", {"attempts": "10", "per_page": "8", "five": "85",
                                        "four": "65", "three": "45"},
                       [("file", "q.gift", "application/octet-stream",
                         quiz_gift(rng).encode())])
        chosen = variants(nrng)
        names = args.variants.split(",") if args.variants else list(chosen)
        print(f"{'variant':22s} {'pages':>5s} {'rows':>5s} {'auto right':>10s} {'to teacher':>10s}"
              f" {'WRONG':>5s} {'misfiled':>8s} {'pages/s':>7s}")
        for name in names:
            page = teacher.get(f"/assignments/{asg}/paper")
            students = re.findall(r'name="student" value="(\d+)" checked', page)
            _, _, url = teacher.post(f"/assignments/{asg}/paper",
                                     [("student", s) for s in students] +
                                     [("answer_pages", "0"), ("ruling", "lined")])
            run = url.replace(base, "")
            while "/all.pdf" not in teacher.get(run):
                time.sleep(0.1)
            packets = re.findall(r"/paper/packets/(\d+)/packet\.pdf", teacher.get(run))
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            files, truth, stats = [], {}, {}
            for packet in packets:
                boxes = json.loads(con.execute("SELECT boxes FROM packet_layouts WHERE packet_id = ?",
                                               (packet,)).fetchone()[0])
                pdf = os.path.join(tmp, "packet.pdf")
                open(pdf, "wb").write(teacher.get_bytes(f"/paper/packets/{packet}/packet.pdf"))
                quiz_pages = sorted({b["p"] for b in boxes})
                prefix = os.path.join(tmp, "q")
                subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(DPI), "-f",
                                str(quiz_pages[0]), "-l", str(quiz_pages[-1]), pdf, prefix],
                               check=True)
                rendered = sorted(f for f in os.listdir(tmp) if f.startswith("q-"))
                for p, f in zip(quiz_pages, rendered):
                    img = Image.open(os.path.join(tmp, f)).convert("L")
                    os.remove(os.path.join(tmp, f))
                    rows = {}
                    for b in boxes:
                        if b["p"] == p and b["o"] >= 0:
                            rows.setdefault(b["q"], ([], False))[0].append(b)
                        if b["p"] == p and b["o"] == -2 and b.get("m"):
                            rows[b["q"]] = (rows.get(b["q"], ([], True))[0], True)
                    for q in rows:
                        rows[q][0].sort(key=lambda b: b["y"])
                    img, t = mark_page(img, rows, rng, stats)
                    for q, (meant, kinds) in t.items():
                        # The meant options as the quiz's own indexes, and how they were marked.
                        truth[(packet, q)] = ({rows[q][0][k]["o"] for k in meant}, kinds)
                    data = chosen[name](img)
                    fn = f"{name}-{packet}-{p}.jpg"
                    files.append(("scans", fn, "image/jpeg", data))
                    if args.keep:
                        os.makedirs(os.path.join(args.keep, name), exist_ok=True)
                        open(os.path.join(args.keep, name, fn), "wb").write(data)
            con.close()
            t0 = time.time()
            _, _, url = teacher.upload("/paper/scans", {}, files)
            batch = url.rsplit("/", 1)[1]
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            while con.execute("SELECT status FROM scan_batches WHERE id = ?",
                              (batch,)).fetchone()[0] not in ("done", "failed"):
                time.sleep(0.1)
            took = time.time() - t0
            misfiled = review = 0
            for source, packet, reason in con.execute(
                    "SELECT source, packet_id, reason FROM scan_pages WHERE batch_id = ?", (batch,)):
                m = re.search(r"-(\d+)-(\d+)\.jpg", source)
                if packet is None:
                    review += 1
                    print(f"    page to review: {source}: {reason}")
                elif int(m.group(1)) != packet:
                    misfiled += 1
            auto = teacher_rows = wrong = plain = plain_auto = 0
            wrong_kinds = []
            for packet, position, answer, doubt in con.execute(
                    "SELECT t.packet_id, a.position, a.answer, a.doubt FROM quiz_answers a "
                    "JOIN quiz_attempts t ON t.id = a.attempt_id JOIN packets k ON "
                    "k.id = t.packet_id WHERE k.run_id = (SELECT run_id FROM packets WHERE "
                    "id = ?)", (packets[0],)):
                known = truth.get((str(packet), position))
                if known is None:
                    continue
                meant, kinds = known
                # A row marked plainly: pen crosses and ticks in the boxes, nothing else.
                is_plain = all(k in ("cross", "tick") for k in kinds)
                plain += is_plain
                if doubt:
                    teacher_rows += 1
                elif {int(x) for x in answer.split(",") if x} == meant:
                    auto += 1
                    plain_auto += is_plain
                else:
                    wrong += 1
                    wrong_kinds.append((packet, position, answer, sorted(meant), kinds))
            con.close()
            rows_n = auto + teacher_rows + wrong
            print(f"{name:22s} {len(files):5d} {rows_n:5d} {auto:10d} {teacher_rows:10d} "
                  f"{wrong:5d} {misfiled:8d} {len(files) / took:7.1f}   plain rows decided "
                  f"{plain_auto}/{plain}; marks: "
                  + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())))
            for w in wrong_kinds[:5]:
                print("    wrong:", w)
            for k, v in (("rows", rows_n), ("auto", auto), ("teacher", teacher_rows),
                         ("review", review),
                         ("plain", plain), ("plain_auto", plain_auto),
                         ("wrong", wrong), ("pages", len(files)), ("misfiled", misfiled),
                         ("seconds", took)):
                totals[k] += v
        r = totals
        print(f"all: {r['pages']} pages, {r['rows']} rows: {r['auto']} decided right "
              f"({100 * r['auto'] / r['rows']:.2f}%), {r['teacher']} to the teacher "
              f"({100 * r['teacher'] / r['rows']:.2f}%), {r['wrong']} WRONG "
              f"({100 * (r['rows'] - r['wrong']) / r['rows']:.2f}% right or to the teacher); "
              f"{r['misfiled']} pages filed to a wrong student, {r['review']} to review; plainly marked rows decided automatically: "
              f"{r['plain_auto']}/{r['plain']} ({100 * r['plain_auto'] / max(r['plain'], 1):.1f}%); "
              f"{r['pages'] / r['seconds']:.1f} pages/s; "
              f"partad peak RSS {rss_kib(proc.pid) / 1024:.0f} MiB")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
