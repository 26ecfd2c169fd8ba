#!/usr/bin/python3
"""A quiz on paper, end to end (issue 18): a teacher loads a Moodle question bank into an
assignment and prints packets for its paper students; each packet's quiz pages carry numbered
answer boxes and frames, whose places partad records with the packet. The printed pages are
filled in the way students fill them (crosses, a tick, two crosses where one answer is asked, a
number written in its frame), scanned at 200 dpi (one upside down), uploaded as a pile; the boxes
are read and marked, the handwritten answers and the unclear row wait for the teacher with their
crops; one tap on the results page decides each, and the marks follow in the gradebook.

Exit codes: 0 passed, 1 failed.
"""
import argparse
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from common import Checks, Staff, start_partad, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BANK = os.path.join(HERE, "..", "fixtures", "quiz", "moodle_export_7a.gift")
DPI = 200
K = DPI / 72.0  # pixels per point


def layout(db, packet):
    """Where partad says the packet's answer places were printed."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        row = con.execute("SELECT boxes FROM packet_layouts WHERE packet_id = ?", (packet,)).fetchone()
        return json.loads(row[0]) if row and row[0] else []
    finally:
        con.close()


def cross(draw, b, ink=25):
    x, y, w, h = (b[k] * K for k in ("x", "y", "w", "h"))
    draw.line([(x + 5, y + 5), (x + w - 5, y + h - 5)], fill=ink, width=4)
    draw.line([(x + w - 5, y + 5), (x + 5, y + h - 5)], fill=ink, width=4)


def write_number(draw, b):
    """"15" in the frame, as a hand would: strokes, not a font."""
    x, y = b["x"] * K + 30, b["y"] * K + 14
    draw.line([(x, y + 8), (x + 8, y), (x + 8, y + 50)], fill=30, width=4)
    draw.line([(x + 50, y), (x + 25, y), (x + 22, y + 22), (x + 45, y + 25), (x + 45, y + 45),
               (x + 20, y + 50)], fill=30, width=4)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="parta-quiz-paper-")
    proc, port = start_partad(args.partad, tmp)
    db = os.path.join(tmp, "db", "parta.db")
    check = Checks("quiz on paper")
    try:
        teacher = Staff(f"http://127.0.0.1:{port}", "smirnova", "demo2026")
        teacher.get("/assignments/new?class=1&subject=1")
        _, _, url = teacher.upload("/assignments", {
            "class_id": "1", "subject_id": "1", "title": "Проверочная: дроби",
            "grading": "mark", "due_date": "2099-01-01", "due_time": "18:00"}, [])
        asg = re.search(r"/assignments/(\d+)", url).group(1)
        quiz = f"/assignments/{asg}/quiz"
        teacher.get(quiz + "/edit")
        teacher.upload(quiz + "/edit", {"attempts": "1", "per_page": "5", "five": "85",
                                        "four": "65", "three": "45"},
                       [("file", "bank.gift", "application/octet-stream", open(BANK, "rb").read())])
        questions = len(re.findall(r"<tr><td>\d+</td>", teacher.get(quiz + "/results")))
        check(questions >= 5, f"the bank is the quiz ({questions} questions)")

        page = teacher.get(f"/assignments/{asg}/paper")
        paper = re.findall(r'name="student" value="(\d+)" checked', page)
        check(len(paper) >= 1, f"the paper students are ticked ({len(paper)})")
        # One more student of the class gets a packet too (a phone broken this week).
        paper += [s for s in re.findall(r'name="student" value="(\d+)"', page)
                  if s not in paper][:1]
        _, _, url = teacher.post(f"/assignments/{asg}/paper",
                                 [("student", s) for s in paper] +
                                 [("answer_pages", "0"), ("ruling", "lined")])
        run = re.search(r"/paper/runs/(\d+)", url).group(1)
        wait_for(lambda: "/all.pdf" in teacher.get(f"/paper/runs/{run}"), "packets made")
        packets = re.findall(r"/paper/packets/(\d+)/packet\.pdf", teacher.get(f"/paper/runs/{run}"))
        check(len(packets) == len(paper), f"a packet per student ({len(packets)})")

        scans = []
        plan = {}  # packet → what its student did
        for n, packet in enumerate(packets[:2]):
            boxes = layout(db, packet)
            options = [b for b in boxes if b["o"] >= 0]
            frames = [b for b in boxes if b["o"] == -1]
            check(options and frames, f"packet {packet}: {len(options)} boxes, {len(frames)} frames")
            pdf = os.path.join(tmp, f"packet-{packet}.pdf")
            with open(pdf, "wb") as f:
                f.write(teacher.get_bytes(f"/paper/packets/{packet}/packet.pdf"))
            quiz_pages = sorted({b["p"] for b in boxes})
            for p in quiz_pages:
                png = subprocess.run(["pdftoppm", "-gray", "-png", "-r", str(DPI), "-f", str(p),
                                      "-l", str(p), pdf], capture_output=True, check=True).stdout
                img = Image.open(io.BytesIO(png)).convert("L")
                draw = ImageDraw.Draw(img)
                by_q = {}
                for b in options:
                    if b["p"] == p:
                        by_q.setdefault(b["q"], []).append(b)
                for q, row in sorted(by_q.items()):
                    # Student one: the first option of every question; student two as well,
                    # but two crosses in the first single-choice row he meets.
                    cross(draw, row[0])
                    many = any(b.get("m") for b in boxes if b["q"] == q and b["o"] == -2)
                    if n == 1 and not many and "two" not in plan.get(packet, {}):
                        cross(draw, row[1])
                        plan.setdefault(packet, {})["two"] = q
                for b in frames:
                    if b["p"] == p:
                        write_number(draw, b)
                if n == 1:
                    img = img.rotate(180)
                out = io.BytesIO()
                img.save(out, "JPEG", quality=80)
                scans.append((f"scan-{packet}-{p}.jpg", out.getvalue()))
            plan.setdefault(packet, {})["frames"] = len(frames)

        _, _, url = teacher.upload("/paper/scans", {},
                                   [("scans", name, "image/jpeg", data) for name, data in scans])
        batch = url.rsplit("/", 1)[1]
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        wait_for(lambda: con.execute("SELECT status FROM scan_batches WHERE id = ?",
                                     (batch,)).fetchone()[0] == "done", "the batch read",
                 timeout=180)
        filed = con.execute("SELECT COUNT(*) FROM scan_pages WHERE batch_id = ? AND status = "
                            "'filed'", (batch,)).fetchone()[0]
        check(filed == len(scans), f"every page filed ({filed} of {len(scans)})")
        attempts = con.execute("SELECT COUNT(*) FROM quiz_attempts WHERE packet_id IS NOT "
                               "NULL").fetchone()[0]
        check(attempts == 2, f"an attempt per packet returned ({attempts})")
        con.close()

        results = teacher.get(quiz + "/results")
        crops = re.findall(r'src="(/assignments/\d+/quiz/crops/[0-9a-f]{64}\.jpg)"', results)
        frames = sum(p["frames"] for p in plan.values())
        check(len(crops) == frames + 1,
              f"the teacher sees {frames} handwritten answers and one unclear row ({len(crops)})")
        check("Отмечены две клетки" in results, "the unclear row says why")
        img = teacher.get_bytes(crops[0])
        check(img[:3] == b"\xff\xd8\xff", "a crop is a JPEG")
        # Another teacher's session may not see it (not this assignment's teacher).
        other = Staff(f"http://127.0.0.1:{port}", "kuznetsov", "demo2026")
        try:
            other.get_bytes(crops[0])
            check(False, "another teacher is refused the crop")
        except Exception as e:  # noqa: BLE001
            check("403" in str(e) or "404" in str(e), f"another teacher is refused the crop ({e})")

        # The unclear row: one tap on the option the teacher reads as meant.
        decide = re.search(r'action="([^"]+/decide)"[^>]*>.*?name="answer" value="(\d+)"', results,
                           re.S)
        check(decide is not None, "the unclear row has one-tap buttons")
        teacher.post(decide.group(1), {"answer": decide.group(2)})
        # The handwritten answers: full points each.
        while True:
            results = teacher.get(quiz + "/results")
            m = re.search(r'<form method="post" action="([^"]+/answers/\d+)" class="inline">.*?'
                          r'\(0–([\d,]+)\)', results, re.S)
            if not m:
                break
            teacher.post(m.group(1), {"points": m.group(2).replace(",", ".")})
        results = teacher.get(quiz + "/results")
        check("Ответы на проверку" not in results
              and "/decide" not in results, "nothing waits for the teacher")
        marks = re.findall(r"<td><b>([2-5])</b></td>", results)
        check(len(marks) >= 2, f"both paper students have a mark ({marks})")
        # The marks are the assignment's grades of exactly the students whose packets came back
        # (a "4" somewhere on a page would prove nothing).
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        graded = dict(con.execute(
            "SELECT g.student_id, g.mark FROM grades g JOIN packets p ON p.student_id = "
            "g.student_id WHERE g.assignment_id = ? AND p.id IN (?, ?)",
            (asg, packets[0], packets[1])).fetchall())
        con.close()
        check(len(graded) == 2 and sorted(graded.values()) == sorted(marks),
              f"the gradebook holds those marks for the two students ({graded})")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if check.failures:
        print(f"quiz on paper: {len(check.failures)} failed")
        return 1
    print("quiz on paper: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
