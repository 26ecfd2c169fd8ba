#!/usr/bin/python3
"""The paper track end to end, against a real IPP printer: a teacher makes packets for the paper
students of an assignment (a PDF material merged in), the combined file is printed through a CUPS
scheduler of the test's own to ippeveprinter, which must receive a PDF with the right page count;
the printed PDF comes back as a scan and every page is filed to its student; the same scan again
files nothing twice; a page without a code goes to the review queue and is filed by hand; the
pickup/return log and the login cards work.

Exit codes: 0 passed, 1 failed, 77 skipped (cups, cups-ipp-utils or avahi-daemon missing outside CI).
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
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "browser"))
from common import Checks, Staff, start_partad, wait_for  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def pdf_pages(path):
    out = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", out).group(1))


def start_printer(folder):
    proc = subprocess.Popen([os.path.join(HERE, "virtual_printer.sh"), folder],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    said = []
    for line in proc.stdout:
        if line.startswith("ready CUPS_SERVER="):
            return proc, line.strip().split("=", 1)[1]
        said.append(line)
    raise RuntimeError("the virtual printer did not start: " + "".join(said))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    args = ap.parse_args()
    missing = [t for t in ("ippeveprinter", "cupsd", "avahi-daemon", "pdfinfo") if not shutil.which(t)]
    if missing:
        print("paper test: missing " + ", ".join(missing) + " (tools/install-deps.sh installs them)")
        return 1 if os.environ.get("CI") == "true" else 77

    tmp = tempfile.mkdtemp(prefix="parta-paper-")
    os.chmod(tmp, 0o755)  # the printer's helpers run as "nobody"
    printer, cups_server = start_printer(os.path.join(tmp, "printer"))
    env = dict(os.environ, CUPS_SERVER=cups_server)
    proc, port = start_partad(args.partad, tmp, env)
    base = f"http://127.0.0.1:{port}"
    check = Checks("paper test")

    try:
        teacher = Staff(base, "smirnova", "demo2026")
        teacher.get("/assignments/new?class=1&subject=1")
        material = open(os.path.join(HERE, "material.pdf"), "rb").read()
        _, _, url = teacher.upload("/assignments", {
            "class_id": "1", "subject_id": "1", "title": "Упражнение 112",
            "body": "Выполните **упражнение 112**: вставьте пропущенные буквы.\n\n- с. 45\n- с. 46",
            "grading": "mark", "due_date": "2099-01-01", "due_time": "18:00"},
            [("files", "карточка.pdf", "application/pdf", material)])
        assignment = re.search(r"/assignments/(\d+)", url).group(1)
        page = teacher.get(f"/assignments/{assignment}/paper")
        paper = re.findall(r'name="student" value="(\d+)" checked', page)
        check(len(paper) >= 1, f"the paper students are ticked ({len(paper)})")
        _, _, url = teacher.post(f"/assignments/{assignment}/paper",
                                 [("student", s) for s in paper] +
                                 [("answer_pages", "2"), ("ruling", "grid")])
        run = re.search(r"/paper/runs/(\d+)", url).group(1)
        wait_for(lambda: "/all.pdf" in teacher.get(f"/paper/runs/{run}"), "packets made")
        combined = os.path.join(tmp, "all.pdf")
        with open(combined, "wb") as f:
            f.write(teacher.get_bytes(f"/paper/runs/{run}/all.pdf"))
        pages = pdf_pages(combined)
        per_packet = pages // len(paper)
        check(per_packet == 1 + 1 + 1 + 2, f"cover, text, material, 2 answer pages ({per_packet})")

        # Print to the real IPP printer through CUPS.
        status, body, _ = teacher.post(f"/paper/runs/{run}/print", {"printer": "parta"})
        check("Задание печати" in body, "the print job is shown")
        spool = os.path.join(tmp, "printer", "spool")
        # The file in the printer's spool is whole only once the job is completed.
        wait_for(lambda: "завершено" in teacher.get(f"/paper/runs/{run}"), "job completed")
        printed = wait_for(lambda: [f for f in os.listdir(spool) if f.endswith(".pdf")],
                           "the printer to receive the job")
        got = pdf_pages(os.path.join(spool, printed[0]))
        check(got == pages, f"the printer got {got} pages of {pages}")

        # A photo of a page whose code is covered goes to review; it is filed there by hand.
        blank = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1",
                                os.path.join(HERE, "blank.pdf")], capture_output=True).stdout
        teacher.upload("/paper/scans", {}, [("scans", "photo.png", "image/png", blank)])
        review = wait_for(lambda: (lambda b: b if "/file" in b else None)(teacher.get("/paper/review")),
                          "a page to review")
        spid = re.search(r"/paper/review/(\d+)/file", review).group(1)
        packet = re.search(r'<option value="(\d+)">', review).group(1)
        status, body, _ = teacher.post(f"/paper/review/{spid}/file", {"packet_id": packet, "page": "99"})
        check(status == 422 and "Страницы пакета: с 1 по 5" in body,
              "a page number past the packet is refused")
        teacher.post(f"/paper/review/{spid}/file", {"packet_id": packet, "page": "4"})
        check("/file" not in teacher.get("/paper/review"), "the page left the review queue")

        # The printed file comes back as a scan: every page filed to its student, and the page
        # filed by hand is not filed twice.
        def scan(data):
            _, _, url = teacher.upload("/paper/scans", {},
                                       [("scans", "scan.pdf", "application/pdf", data)])
            return wait_for(lambda: (lambda b: b if "refresh" not in b else None)(
                teacher.get(url.replace(base, ""))), "scan read")

        def count(body, label):
            return int(re.search(r"<b>(\d+)</b>" + label, body).group(1))

        done = scan(open(combined, "rb").read())
        filed, dup = count(done, "подшито"), count(done, "уже подшито")
        check(filed == pages - 1 and dup == 1, f"{filed} of {pages} pages filed, {dup} filed before")
        if filed != pages - 1:
            print(re.sub(r"<[^>]+>", " ", done[done.find("<table"):])[:1500])
        thread = teacher.get(f"/assignments/{assignment}/students/{paper[0]}")
        check("на бумаге" in thread and "page-1.jpg" in thread and "page-5.jpg" in thread,
              "the paper submission is in the thread, pages in order")
        done = scan(open(combined, "rb").read())
        check(count(done, "подшито") == 0 and count(done, "уже подшито") == pages,
              "the same scan again files nothing twice")

        # A pile with a HEIC photo (an iPhone's, made by libheif) and an empty file: the good file
        # is read, the other two are named with why; a pile of only bad files stores nothing.
        fixtures = os.path.join(HERE, "..", "fixtures", "scans")
        heic = open(os.path.join(fixtures, "IMG_0412.HEIC"), "rb").read()
        _, _, url = teacher.upload("/paper/scans", {},
                                   [("scans", "scan.pdf", "application/pdf", open(combined, "rb").read()),
                                    ("scans", "IMG_0412.HEIC", "image/heic", heic),
                                    ("scans", "пусто.jpg", "image/jpeg", b"")])
        done = wait_for(lambda: (lambda b: b if "refresh" not in b else None)(
            teacher.get(url.replace(base, ""))), "the mixed pile read")
        check(count(done, "уже подшито") == pages and "IMG_0412.HEIC" in done and
              "Фото в формате HEIC" in done and "пусто.jpg" in done and "Файл пустой" in done,
              "a pile with a HEIC photo and an empty file: the PDF read, the other two named")
        status, body, _ = teacher.upload("/paper/scans", {},
                                         [("scans", "IMG_0412.HEIC", "image/heic", heic)],
                                         refusal_ok=True)
        check(status == 422 and "IMG_0412.HEIC" in body and "Наиболее совместимый" in body,
              f"a HEIC photo alone is refused with its name and what to do ({status})")
        # Another student's code on a piece of a sheet lying over this page: not filed on it.
        _, _, url = teacher.upload("/paper/scans", {}, [
            ("scans", "photo.jpg", "image/jpeg",
             open(os.path.join(fixtures, "foreign-corner-photo.jpg"), "rb").read())])
        done = wait_for(lambda: (lambda b: b if "refresh" not in b else None)(
            teacher.get(url.replace(base, ""))), "the photo with a foreign corner read")
        check(count(done, "на проверку") == 1 and "угловых меток нет там" in done,
              "a page whose one code lies on a piece of another sheet goes to review, saying so")

        # Power cut while a batch is being read: after the restart it is read again from the
        # start, and nothing is filed twice.
        _, _, url = teacher.upload("/paper/scans", {},
                                   [("scans", "scan.pdf", "application/pdf", open(combined, "rb").read())])
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc, port = start_partad(args.partad, tmp, env)
        base = f"http://127.0.0.1:{port}"
        teacher = Staff(base, "smirnova", "demo2026")
        path = "/paper/scans/" + url.rsplit("/", 1)[1]
        done = wait_for(lambda: (lambda b: b if "refresh" not in b else None)(teacher.get(path)),
                        "the interrupted batch read after the restart")
        check(count(done, "подшито") == 0 and count(done, "уже подшито") == pages,
              "after kill -9 the batch is read again and files nothing twice")

        # The log.
        packets = re.findall(r"/paper/packets/(\d+)/pickup", teacher.get(f"/paper/runs/{run}"))
        teacher.post(f"/paper/packets/{packets[0]}/pickup", {"by": "мама, Новикова И."})
        log = teacher.get(f"/paper/runs/{run}")
        check("мама, Новикова И." in log, "pickup recorded with who")

        # Login cards: new PINs in a PDF; a PIN from it signs in.
        admin = Staff(base, "admin", "demo2026")
        admin.get("/classes/1")
        data = urllib.parse.urlencode({"csrf": admin.csrf, "who": "all", "confirm": "1"}).encode()
        with admin.opener.open(base + "/classes/1/login-cards", data) as r:
            pdf = r.read()
        with open(os.path.join(tmp, "cards.pdf"), "wb") as f:
            f.write(pdf)
        text = subprocess.run(["pdftotext", os.path.join(tmp, "cards.pdf"), "-"], capture_output=True,
                              text=True).stdout
        m = re.search(r"Логин:\s*(ivanov\.a)\s*ПИН:\s*(\d{6})", text)
        check(bool(m), "the cards show login and PIN")
        if m:
            student = Staff(base, m.group(1), m.group(2))  # raises when the PIN does not sign in
            check("Здравствуй" in student.get("/"), "the new PIN from the card signs in")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        os.killpg(printer.pid, signal.SIGTERM)
        printer.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return check.exit_code()


if __name__ == "__main__":
    sys.exit(main())
