#!/usr/bin/python3
"""Browser test: a parent's day on a phone, JavaScript off. The class teacher has posted an
announcement, the admin has published tomorrow's timetable, and the son's work has a mark; the
mother signs in, reads the announcement, opens the schedule, looks at her son's marks, and writes
to the class teacher, who then sees the unread message. Screenshots of each step.

Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or Selenium missing outside CI).
"""
import datetime
import os
import re
import sys

import common
from common import Staff, phone_browser


def set_the_scene(base):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    teacher = Staff(base, "smirnova", "demo2026")
    teacher.get("/announcements")
    teacher.post("/announcements", {"audience": "1", "title": "Родительское собрание в пятницу",
                                    "body": "В 18:00 в кабинете 12. Тема: итоги четверти.",
                                    "pinned": "1"})
    teacher.get("/assignments/new?class=1&subject=1")
    _, _, url = teacher.post("/assignments", {
        "class_id": "1", "subject_id": "1", "title": "Упражнение 112", "grading": "mark",
        "due_date": "2099-01-01", "due_time": "18:00", "body": "Выполните упражнение 112."})
    assignment = re.search(r"/assignments/(\d+)", url).group(1)
    student = Staff(base, "ivanov.a", "202620")
    thread = f"/assignments/{assignment}/students/19"
    student.get(thread)
    student.post(thread + "/submit", {"text": "Готово, фото в тетради."})
    teacher.get(thread)
    teacher.post(thread + "/grade", {"mark": "5", "comment": "Молодец!"})
    admin = Staff(base, "admin", "demo2026")
    admin.get(f"/admin/schedule?class=1&day={tomorrow}")
    for n, (start, end, subject, mode) in enumerate(
            [("08:30", "09:10", "1", "school"), ("09:20", "10:00", "3", "materials")], 1):
        admin.post("/admin/schedule/lessons", {"class_id": "1", "day": tomorrow, "number": str(n),
                                               "starts": start, "ends": end, "subject_id": subject,
                                               "teacher_id": "", "mode": mode, "link": ""})
    admin.post("/admin/schedule/publish", {"class_id": "1", "day": tomorrow, "on": "1"})


def main():
    run = common.open_run()
    if isinstance(run, int):
        return run
    args, By, WebDriverWait, base, check = run.args, run.By, run.Wait, run.base, run.check
    driver = None
    try:
        set_the_scene(base)
        driver = phone_browser(run.webdriver, f"{run.tmp}/profile")

        def shot(name):
            driver.save_screenshot(os.path.join(args.out, name))

        def sign_in(login, secret):
            common.sign_in(driver, base, login, secret, lambda d: "/login" not in d.current_url)

        def nav(label):
            driver.find_element(By.XPATH, f"//nav//a[starts-with(normalize-space(.), '{label}')]").click()

        # 1. The start page: the pinned announcement of her son's class.
        sign_in("ivanova.s", "demo2026")
        check("Родительское собрание в пятницу" in driver.page_source,
              "the class announcement is on the parent's start page")
        shot("parent-01-home.png")

        # 2. The schedule: tomorrow first.
        nav("Расписание")
        body = driver.find_element(By.TAG_NAME, "main").text
        check("Завтра" in body and "Русский язык" in body and "08:30" in body,
              f"tomorrow's lessons are shown (got {body[:200]!r})")
        shot("parent-02-schedule.png")

        # 3. Her son's marks.
        nav("Главная")
        driver.find_element(By.XPATH, "//a[normalize-space(.)='Оценки']").click()
        body = driver.find_element(By.TAG_NAME, "main").text
        check("Упражнение 112" in body and "5" in body, "the mark is in the son's diary")
        shot("parent-03-marks.png")

        # 4. A message to the class teacher, by tapping links and one form.
        nav("Сообщения")
        driver.find_element(By.LINK_TEXT, "Новое сообщение").click()
        driver.find_element(By.PARTIAL_LINK_TEXT, "Смирнова Ольга").click()
        driver.find_element(By.NAME, "text").send_keys(
            "Ольга Викторовна, добрый день! Придём на собрание вдвоём.")
        driver.find_element(By.CSS_SELECTOR, "form.form button").click()
        WebDriverWait(driver, 10).until(lambda d: "Придём на собрание" in d.page_source)
        check("Смирнова Ольга Викторовна" in driver.find_element(By.TAG_NAME, "h1").text,
              "the conversation is with the class teacher")
        shot("parent-04-message.png")

        # 5. The teacher sees it waiting.
        sign_in("smirnova", "demo2026")
        badge = driver.find_elements(By.CSS_SELECTOR, "nav .badge")
        check(badge and badge[0].text == "1", "the teacher has one unread message")
        nav("Сообщения")
        check("Придём на собрание" in driver.page_source, "the teacher's list shows it")
        shot("parent-05-teacher-inbox.png")
    finally:
        code = common.finish(driver, run.proc, run.tmp, run.failures, args.out)
    return code


if __name__ == "__main__":
    sys.exit(main())
