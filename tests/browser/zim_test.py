#!/usr/bin/python3
"""Browser test: the reference library (a ZIM archive) as people use it, JavaScript off. The admin
adds an archive; a student on a 360 px phone finds an article from the library's search (typed
without «ё»), reads it with its picture, follows a link inside the archive, and a link that would
leave the box is plain text; the teacher attaches the article to an assignment, the student sees
it there, and the paper packet for a paper-track student prints it (text and picture, the codes on
every page). Screenshots of each step, and the printed article page as PNG.

Usage: zim_test.py --partad PATH --out DIR --zims DIR (the archives tests/fixtures/zim made)
Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or Selenium missing outside CI).
"""
import os
import re
import subprocess
import sys
import urllib.parse

import common
from common import Staff, phone_browser, wait_for


def main():
    zims = sys.argv[sys.argv.index("--zims") + 1]
    del sys.argv[sys.argv.index("--zims"):sys.argv.index("--zims") + 2]
    run = common.open_run()
    if isinstance(run, int):
        return run
    args, By, base, check = run.args, run.By, run.base, run.check
    driver = None
    try:
        admin = Staff(base, "admin", "demo2026")
        admin.get("/admin/zim")
        status, body, _ = admin.upload("/admin/zim", {}, [(
            "zim", "ru-wiki.zim", "application/octet-stream",
            open(os.path.join(zims, "ru-wiki.zim"), "rb").read())])
        check("проверен и добавлен" in body, "the admin added the archive")
        zim_id = re.search(r"/library/zim/(\d+)\">Школьная энциклопедия<",
                           admin.get("/library")).group(1)

        driver = phone_browser(run.webdriver, f"{run.tmp}/profile")
        driver.set_window_size(360, 780)

        def shot(name):
            driver.save_screenshot(os.path.join(args.out, name))

        def no_sideways(what):
            w = driver.execute_script("return document.documentElement.scrollWidth")
            check(w <= 360, f"{what}: no sideways scrolling ({w} px)")

        common.sign_in(driver, base, "ivanov.a", "202620", lambda d: "/login" not in d.current_url)
        driver.get(base + "/library")
        check("Школьная энциклопедия" in driver.page_source, "the library lists the archive")
        box = driver.find_element(By.NAME, "q")
        box.send_keys("ежик")
        box.submit()
        wait_for(lambda: "Ёжик (Еж)" in driver.page_source, "the search finds «Ёжик»", 10)
        shot("zim-1-search.png")
        driver.find_element(By.LINK_TEXT, "Ёжик (Еж)").click()
        wait_for(lambda: "млекопитающее" in driver.page_source, "the article opens", 10)
        img = driver.find_element(By.CSS_SELECTOR, "img[alt='Ёж']")
        check(driver.execute_script("return arguments[0].naturalWidth", img) == 120,
              "the article's picture loads from the archive")
        check(not driver.find_elements(By.CSS_SELECTOR, "a[href*='wikipedia.org']"),
              "the link to the internet is plain text")
        no_sideways("article")
        shot("zim-2-article.png")
        driver.find_element(By.LINK_TEXT, "реку").click()  # an absolute link inside the archive
        wait_for(lambda: "Волга" in driver.page_source, "the link inside the archive works", 10)
        check(f"/zim/{zim_id}/" in driver.current_url, "and stays on the box")
        shot("zim-3-link.png")

        # The teacher attaches the article; the student sees it in the assignment.
        teacher = Staff(base, "smirnova", "demo2026")
        teacher.get("/assignments/new?class=1&subject=1")
        _, _, url = teacher.post("/assignments", {
            "class_id": "1", "subject_id": "1", "title": "Прочитать про ежа", "grading": "none",
            "due_date": "2099-01-01", "due_time": "18:00", "body": "Прочитайте статью и ответьте."})
        assignment = re.search(r"/assignments/(\d+)", url).group(1)
        teacher.get(f"/library/zim/{zim_id}/attach?path=" + urllib.parse.quote("Ёжик"))
        teacher.post(f"/assignments/{assignment}/articles", {"zim_id": zim_id, "path": "Ёжик"})
        driver.get(f"{base}/assignments/{assignment}/students/19")
        check("Ёжик (Еж)" in driver.page_source and "справочная статья" in driver.page_source,
              "the student sees the article in the assignment")
        shot("zim-4-assignment.png")

        # The paper packet prints the article.
        page = teacher.get(f"/assignments/{assignment}/paper")
        students = re.findall(r'name="student" value="(\d+)"', page)[:1]
        _, _, url = teacher.post(f"/assignments/{assignment}/paper",
                                 [("student", s) for s in students] +
                                 [("answer_pages", "1"), ("ruling", "lined")])
        run_id = re.search(r"/paper/runs/(\d+)", url).group(1)
        wait_for(lambda: "/all.pdf" in teacher.get(f"/paper/runs/{run_id}"), "packets made", 120)  # noqa
        pdf = os.path.join(args.out, "zim-packet.pdf")
        with open(pdf, "wb") as f:
            f.write(teacher.get_bytes(f"/paper/runs/{run_id}/all.pdf"))
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                              text=True).stdout
        pages = text.split("\f")
        article = [i for i, p in enumerate(pages) if "млекопитающее" in p]
        check(len(article) == 1, f"the packet has the article's text ({len(article)} page)")
        if article:
            n = article[0] + 1
            check("Ёжик (Еж)" in pages[n - 1] and "Школьная энциклопедия" in pages[n - 1],
                  "the article page says what and from where")
            check("Питание" in pages[n - 1], "with its headings")
            imgs = subprocess.run(["pdfimages", "-f", str(n), "-l", str(n), "-list", pdf],
                                  capture_output=True, text=True).stdout.splitlines()[2:]
            # The page's two QR codes are images too: the picture makes a third (or more).
            check(len(imgs) >= 1, f"and its picture ({len(imgs)} images on the page)")
            subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", str(n), "-l", str(n), pdf,
                            os.path.join(args.out, "zim-packet-article")], check=True)
    except Exception as e:  # noqa: BLE001
        check(False, f"the test stopped: {e!r}")
    return common.finish(driver, run.proc, run.tmp, run.failures, args.out)


if __name__ == "__main__":
    sys.exit(main())
