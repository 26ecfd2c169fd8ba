#!/usr/bin/python3
"""partad and its paper helper, run as the box runs them.

1. A crash loop that isn't: partad is pointed (--paper-helper) at a stand-in that passes every
   job to the real parta-paper except reading a scan page, where it kills itself with SIGKILL —
   a real crash of a real process. The batch is tried three times and ends "failed" with its
   reason in Russian, the helper's processes are gone, and partad (the same process) answers
   HTTP all along and afterwards, also after a restart (nothing is re-queued into a loop).
2. A decompression bomb: a valid 20000 x 20000 PNG (400 megapixels, ~0.4 MB on the wire, built
   here) is uploaded as a scan. It ends in the review queue as "too large", never decoded, and
   partad's peak RSS stays low.
3. partad itself maps none of the heavy libraries (cairo, pango, poppler, libvips, zxing, CUPS):
   checked in /proc/PID/maps while it runs.

Exit codes: 0 passed, 1 failed.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import struct
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from common import Checks, Staff, start_partad, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HEAVY = ("libcairo", "libpango", "libpoppler", "libvips", "libZXing", "libcups")

STAND_IN = """#!/bin/sh
# Stands in for parta-paper: reading a scan page kills it; every other job goes to the real one.
# (A job is one line; partad keeps stdin open after read_page for a follow-up job.)
IFS= read -r job
case "$job" in
  *'"kind":"read_page"'*) echo $$ >> "$PARTA_TEST_KILLS"; kill -KILL $$ ;;
esac
printf '%s\n' "$job" | exec "$PARTA_REAL_HELPER"
"""


def png(width, height, row_byte=255):
    """A valid greyscale PNG of any size, small on the wire when its rows are all alike."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    z = zlib.compressobj(9)
    row = b"\x00" + bytes([row_byte]) * width
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1))


def mapped_libraries(pid):
    with open(f"/proc/{pid}/maps") as f:
        return {line.split()[-1] for line in f if ".so" in line.split()[-1]}


def scan_done(teacher, path):
    return wait_for(lambda: (lambda b: b if "refresh" not in b else None)(teacher.get(path)),
                    "the batch " + path, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--helper", required=True, help="the real parta-paper")
    args = ap.parse_args()
    check = Checks("helper test")
    tmp = tempfile.mkdtemp(prefix="parta-helper-")
    procs = []
    try:
        # 1. The helper is killed at every page.
        stand_in = os.path.join(tmp, "parta-paper-crashing")
        with open(stand_in, "w") as f:
            f.write(STAND_IN)
        os.chmod(stand_in, 0o755)
        kills = os.path.join(tmp, "kills")
        env = dict(os.environ, PARTA_REAL_HELPER=os.path.abspath(args.helper),
                   PARTA_TEST_KILLS=kills)
        crash_dir = os.path.join(tmp, "crash")
        os.makedirs(crash_dir)
        proc, port = start_partad(args.partad, crash_dir, env, ["--paper-helper", stand_in])
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        teacher = Staff(base, "smirnova", "demo2026")
        photo = png(1240, 1754, 250)
        _, _, url = teacher.upload("/paper/scans", {}, [("scans", "photo.png", "image/png", photo)])
        path = url.replace(base, "")
        answered = 0
        deadline = time.time() + 120
        while time.time() < deadline:
            body = teacher.get(path)  # partad answers while its helper is killed
            answered += 1
            if "refresh" not in body:
                break
            time.sleep(0.2)
        check("Сканы не удалось прочитать" in body, "the batch ended failed")
        check("Обработчик бумаг аварийно завершился." in body, "its reason, in Russian")
        check("(попыток: 3)" in body, "after three tries")
        pids = open(kills).read().split() if os.path.exists(kills) else []
        check(len(pids) == 3, f"the helper was killed three times ({len(pids)})")
        check(all(not os.path.exists(f"/proc/{p}") for p in pids), "no helper process is left")
        check(proc.poll() is None, "partad is the same process, still running")
        check('action="/logout"' in teacher.get("/"),
              f"partad answers HTTP ({answered} pages while the helper was killed)")
        libs = mapped_libraries(proc.pid)
        heavy = sorted(l for l in libs if os.path.basename(l).startswith(HEAVY))
        check(not heavy, f"partad maps no heavy library ({len(libs)} shared objects mapped)"
              + (": " + ", ".join(heavy) if heavy else ""))
        # A restart does not start the failed batch again.
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc, port = start_partad(args.partad, crash_dir, env, ["--paper-helper", stand_in])
        procs.append(proc)
        time.sleep(2)
        teacher = Staff(f"http://127.0.0.1:{port}", "smirnova", "demo2026")
        check("Обработчик бумаг аварийно завершился." in teacher.get(path)
              and len(open(kills).read().split()) == 3,
              "after a restart the failed batch stays failed, tried no more")

        # 2. A 400-megapixel PNG.
        bomb_dir = os.path.join(tmp, "bomb")
        os.makedirs(bomb_dir)
        proc, port = start_partad(args.partad, bomb_dir, env, ["--paper-helper", args.helper])
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        teacher = Staff(base, "smirnova", "demo2026")
        bomb = png(20000, 20000)
        print(f"     the PNG: 20000 x 20000, {len(bomb)} bytes")
        before = status_kb(proc.pid, "VmHWM")
        t0 = time.time()
        _, _, url = teacher.upload("/paper/scans", {}, [("scans", "huge.png", "image/png", bomb)])
        done = scan_done(teacher, url.replace(base, ""))
        seconds = time.time() - t0
        check(re.search(r"<b>1</b>\s*на проверку", done) is not None,
              "the page went to the review queue")
        review = teacher.get("/paper/review")
        check("слишком велико" in review, "its reason: too large")
        peak = status_kb(proc.pid, "VmHWM")
        # Decoded, the picture alone would be 400 MB (1.2 GB as RGB).
        check(peak - before < 32 * 1024, f"partad's peak RSS stayed low: {before // 1024} MiB "
              f"before, {peak // 1024} MiB after ({seconds:.1f} s)")
        check(proc.poll() is None, "partad still runs")
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
