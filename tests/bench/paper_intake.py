#!/usr/bin/python3
"""Paper-track benchmark. Starts partad with the demo school, adds a class of 30 students on the
paper track, makes packets of 6 pages for them (timed, with partad's peak RSS), rasterizes the
print file at 300 dpi and degrades the pages the way real scans and phone photos look (the
corpus generator), uploads each variant as a scan batch and measures: pages filed automatically,
wrong filings (against the truth known from the print file), and pages read per second.

    python3 tests/bench/paper_intake.py --partad build/server/partad [--every N] [--keep DIR]

--every N keeps every N-th page of each variant (the full corpus is 180 pages × 9 variants).
Needs python3-pil, python3-numpy, poppler-utils. Numbers go to tests/bench/RESULTS.md by hand.
"""
import argparse
import io
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from common import Staff, class_roster, start_partad  # noqa: E402

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

STUDENTS = 30


# The corpus generator: each function takes a 300 dpi greyscale page and returns a scan or photo.
def at_dpi(img, dpi):
    return img.resize((round(img.width * dpi / 300), round(img.height * dpi / 300)), Image.LANCZOS)


def jpeg(img, q):
    buf = io.BytesIO()
    img.convert("L").save(buf, "JPEG", quality=q)
    return buf.getvalue()


def fax(img):
    """A fax machine's page: 100 dpi, one bit, Floyd–Steinberg dithered (PIL's default), PNG."""
    buf = io.BytesIO()
    at_dpi(img, 100).convert("1").save(buf, "PNG")
    return buf.getvalue()


def skew(img, deg):
    return img.rotate(deg, resample=Image.BICUBIC, expand=True, fillcolor=255)


def noisy(img, sigma, rng):
    a = np.asarray(img, dtype=np.float32)
    a = a + rng.normal(0, sigma, a.shape)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def faint(img, strength):
    a = np.asarray(img, dtype=np.float32)
    return Image.fromarray((255 - (255 - a) * strength).astype(np.uint8))


MM = 300 / 25.4  # pixels a millimetre on the 300 dpi pages
TOP = (210 - 15 - 22, 15, 210 - 15, 15 + 22)  # the top right code's box, mm
BOTTOM = (15, 297 - 15 - 22, 15 + 22, 297 - 15)


def scribble(img, box_mm, seed):
    """A pen scribbled over a region until a code there cannot be read."""
    img = img.copy()
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = [v * MM for v in box_mm]
    r = random.Random(seed)
    for _ in range(60):
        d.line([(r.uniform(x0, x1), r.uniform(y0, y1)), (r.uniform(x0, x1), r.uniform(y0, y1))],
               fill=20, width=14)
    return img


def sheet_on_top(img, other):
    """Another sheet lying on the page, its top right corner (code and mark) over the page's
    bottom code."""
    img = img.copy()
    w, h = img.size
    cw, ch = int(w * 0.40), int(h * 0.22)
    corner = other.crop((w - cw, 0, w, ch)).rotate(4, resample=Image.BICUBIC, expand=True,
                                                   fillcolor=0)
    mask = Image.new("L", (cw, ch), 255).rotate(4, resample=Image.BICUBIC, expand=True)
    img.paste(corner, (int(-0.05 * w), int(h * 0.80)), mask)
    return img


def trapezoid(img, dst):
    """The page's corners moved to `dst` (a phone held at an angle), on a grey table."""
    w, h = img.size
    src = [(0, 0), (w, 0), (w, h), (0, h)]
    # PIL wants the inverse mapping: output point -> input point.
    m = []
    for (x, y), (u, v) in zip(dst, src):
        m.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        m.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(m), np.array([c for p in src for c in p], dtype=float))
    return img.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=140)


def perspective(img, rng):
    """A phone photo from above at an angle: the page a trapezoid on a grey table, light uneven."""
    w, h = img.size
    d = 0.08
    dst = [(w * rng.uniform(0.02, d), h * rng.uniform(0.02, d)),
           (w * (1 - rng.uniform(0.06, d + 0.04)), h * rng.uniform(0, d / 2)),
           (w * (1 - rng.uniform(0.0, d / 2)), h * (1 - rng.uniform(0.02, d))),
           (w * rng.uniform(0.06, d + 0.04), h * (1 - rng.uniform(0.0, d / 2)))]
    a = np.asarray(trapezoid(img, dst), dtype=np.float32)
    gx = np.linspace(0.75, 1.05, w)[None, :] * np.linspace(0.9, 1.0, h)[:, None]
    return Image.fromarray(np.clip(a * gx, 0, 255).astype(np.uint8))


def variants(rng):
    return {
        "scan-200dpi": lambda p: jpeg(at_dpi(p, 200), 85),
        "upside-down-200dpi": lambda p: jpeg(at_dpi(p.rotate(180), 200), 85),
        "sideways-200dpi": lambda p: jpeg(at_dpi(p.rotate(90, expand=True), 200), 85),
        "skew-7deg-200dpi": lambda p: jpeg(at_dpi(skew(p, 7), 200), 80),
        "skew-10deg-150dpi": lambda p: jpeg(at_dpi(skew(p, -10), 150), 75),
        "150dpi-jpeg-q40": lambda p: jpeg(at_dpi(p, 150), 40),
        "blur-noise-200dpi": lambda p: jpeg(noisy(at_dpi(p, 200).filter(ImageFilter.GaussianBlur(1.3)),
                                                  14, rng), 70),
        "faint-toner-150dpi": lambda p: jpeg(faint(at_dpi(p, 150), 0.4), 60),
        "phone-photo": lambda p: jpeg(perspective(at_dpi(p, 160), rng), 70),
        "fax-100dpi-1bit": fax,
        # The same pages as a scanner's one PDF (each page a JPEG, DCTDecode), to compare with
        # scan-200dpi: a PDF page should cost what the JPEG costs.
        "scanner-pdf-200dpi": lambda p: jpeg(at_dpi(p, 200), 85),
        # Its own top code scribbled over, the next student's sheet lying on its bottom code:
        # the one code read is the other student's. Right: to review; wrong: filed to him.
        "sheet-on-top-photo": lambda p, other: jpeg(perspective(at_dpi(
            sheet_on_top(scribble(p, TOP, 1), other), 160), rng), 70),
    }


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))


def wait_done(staff, path):
    while True:
        body = staff.get(path)
        if 'http-equiv="refresh"' not in body:
            return body
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--keep", help="keep the corpus in this folder")
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    prng = random.Random(2026)
    tmp = tempfile.mkdtemp(prefix="parta-paper-bench-")
    proc, port = start_partad(args.partad, tmp)
    base = f"http://127.0.0.1:{port}"
    try:
        admin = Staff(base, "admin", "demo2026")
        admin.get("/admin/roster")
        admin.upload("/admin/roster", {}, [("file", "7a.csv", "text/csv", class_roster(STUDENTS, paper=True))])
        classes = admin.get("/admin/classes")
        k7 = re.search(r'<option value="(\d+)">7А</option>', admin.get("/admin/teachers/2")) or \
            re.search(r'/classes/(\d+)">7А', classes)
        k7 = k7.group(1)
        admin.get("/admin/teachers/2")
        admin.post("/admin/teachers/2/teaching", {"class_id": k7, "subject_id": "1"})
        teacher = Staff(base, "smirnova", "demo2026")
        teacher.get(f"/assignments/new?class={k7}&subject=1")
        _, _, url = teacher.upload("/assignments", {
            "class_id": k7, "subject_id": "1", "title": "Диктант: подготовка",
            "body": "Перепишите текст, вставляя пропущенные буквы.\n\n" + "Осенний лес. " * 120,
            "grading": "mark", "due_date": "2099-01-01", "due_time": "18:00"}, [])
        asg = re.search(r"/assignments/(\d+)", url).group(1)
        page = teacher.get(f"/assignments/{asg}/paper")
        students = re.findall(r'name="student" value="(\d+)" checked', page)
        assert len(students) == STUDENTS, len(students)
        t0 = time.time()
        _, _, url = teacher.post(f"/assignments/{asg}/paper", [("student", s) for s in students] +
                                 [("answer_pages", "4"), ("ruling", "lined")])
        run = url.replace(base, "")
        while "/all.pdf" not in teacher.get(run):
            time.sleep(0.05)
        made = time.time() - t0
        print(f"packets: {STUDENTS} students, made in {made:.1f} s, partad peak RSS "
              f"{rss_kib(proc.pid) / 1024:.0f} MiB")
        run_page = teacher.get(run)
        names = re.findall(r'/packet\.pdf">([^<]+)</a>', run_page)
        pdf = os.path.join(tmp, "all.pdf")
        open(pdf, "wb").write(teacher.get_bytes(run + "/all.pdf"))
        pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(
            ["pdfinfo", pdf], capture_output=True, text=True).stdout).group(1))
        per = pages // len(names)
        print(f"print file: {pages} pages, {per} per packet, {os.path.getsize(pdf) // 1024} KiB")
        subprocess.run(["pdftoppm", "-gray", "-r", "300", "-png", pdf, os.path.join(tmp, "p")],
                       check=True)
        clean = sorted(f for f in os.listdir(tmp) if re.match(r"p-\d+\.png", f))
        keep = [i for i in range(len(clean)) if i % args.every == 0]
        results = []
        for name, make in variants(rng).items():
            files = []
            for i in keep:
                img = Image.open(os.path.join(tmp, clean[i])).convert("L")
                if make.__code__.co_argcount == 2:  # the same page of the next packet on top
                    other = (i + per) % len(clean)
                    data = make(img, Image.open(os.path.join(tmp, clean[other])).convert("L"))
                else:
                    data = make(img)
                png = data[:4] == b"\x89PNG"
                files.append(("scans", f"{name}-{i:04d}." + ("png" if png else "jpg"),
                              "image/png" if png else "image/jpeg", data))
            if name.endswith("-pdf-200dpi"):
                pics = [Image.open(io.BytesIO(f[3])) for f in files]
                buf = io.BytesIO()
                pics[0].save(buf, "PDF", save_all=True, append_images=pics[1:], resolution=200)
                files = [("scans", f"{name}.pdf", "application/pdf", buf.getvalue())]
            if args.keep:
                os.makedirs(os.path.join(args.keep, name), exist_ok=True)
                for _, fn, _, data in files:
                    open(os.path.join(args.keep, name, fn), "wb").write(data)
            t0 = time.time()
            _, _, url = teacher.upload("/paper/scans", {}, files)
            body = wait_done(teacher, url.replace(base, ""))
            took = time.time() - t0
            rows = re.findall(r"<tr><td><a [^>]*>([^<]+)</a></td><td>([^<]+)</td><td>(.*?)</td></tr>",
                              body)
            # Each variant scans the same printed pages, so from the second on they are duplicates:
            # identified (and checked against the truth) but not filed twice.
            filed = wrong = 0
            for source, status, what in rows:
                m = re.search(r"-(\d+)\.(?:jpg|png)", source)
                i = int(m.group(1)) if m else keep[int(re.search(r" · (\d+)$", source).group(1)) - 1]
                if status not in ("подшито", "уже подшито"):
                    continue
                filed += 1
                m = re.match(r"(.+?) · .+ · страница (\d+)", what)
                if not m or m.group(1) != names[i // per] or int(m.group(2)) != i % per + 1:
                    wrong += 1
            count = len(rows)
            results.append((name, count, filed, wrong, took))
            reasons = {}
            for _, status, what in rows:
                if status == "на проверку":
                    reasons[what[:60]] = reasons.get(what[:60], 0) + 1
            print(f"{name:22s} {count:4d} pages  filed {filed:4d} ({100 * filed / count:5.1f}%)"
                  f"  wrong {wrong}  {count / took:5.1f} pages/s"
                  + "".join(f"\n    review ×{n}: {r}…" for r, n in reasons.items()))
        total = sum(r[1] for r in results)
        print(f"all: {sum(r[2] for r in results)}/{total} filed "
              f"({100 * sum(r[2] for r in results) / total:.2f}%), wrong {sum(r[3] for r in results)}, "
              f"partad peak RSS {rss_kib(proc.pid) / 1024:.0f} MiB")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
