#!/usr/bin/python3
"""Browser test: a real headless Chromium opens the portal on a phone-sized window, signs in as a
student, a parent and the admin through the login form (no JavaScript involved on our side), and
saves screenshots. Starts its own partad on a free port of 127.0.0.1 with a fresh demo database.

Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or Selenium missing outside CI).
"""
import os
import sys

import common
from common import phone_browser


def main():
    run = common.open_run()
    if isinstance(run, int):
        return run
    args, By, WebDriverWait, base, check = run.args, run.By, run.Wait, run.base, run.check
    driver = None
    try:
        driver = phone_browser(run.webdriver, f"{run.tmp}/profile")

        def sign_in(login, secret):
            common.sign_in(driver, base, login, secret,
                           lambda d: "/login" not in d.current_url or "error" in d.page_source)

        driver.get(base + "/")
        check("Ягодное" in driver.page_source, "public school page shows the school")
        driver.save_screenshot(os.path.join(args.out, "01-school.png"))

        sign_in("ivanov.a", "000000")
        check("Неверный логин или пароль." in driver.page_source, "wrong PIN is refused in Russian")
        driver.save_screenshot(os.path.join(args.out, "02-wrong-pin.png"))

        sign_in("ivanov.a", "202620")
        h1 = driver.find_element(By.TAG_NAME, "h1").text
        check(h1 == "Здравствуй, Артём!", f"student start page greets the student (got {h1!r})")
        check("Мои предметы" in driver.page_source, "student sees their subjects")
        driver.save_screenshot(os.path.join(args.out, "03-student-home.png"))

        sign_in("ivanova.s", "demo2026")
        check(driver.find_element(By.TAG_NAME, "h1").text == "Мои дети", "parent sees their children")
        check("Иванов Артём" in driver.page_source and "Иванова Екатерина" in driver.page_source,
              "parent sees both children")
        driver.save_screenshot(os.path.join(args.out, "04-parent-home.png"))

        sign_in("admin", "demo2026")
        check("Администрирование школы" in driver.page_source, "admin start page")
        driver.get(base + "/admin/students?class=all")
        check(driver.page_source.count("/admin/students/") >= 25, "admin sees the demo students")
        driver.save_screenshot(os.path.join(args.out, "05-admin-students.png"))

        driver.find_element(By.CSS_SELECTOR, "footer button.link").click()  # sign out
        try:
            WebDriverWait(driver, 10).until(lambda d: "Выйти" not in d.page_source)
        except Exception:
            pass
        driver.save_screenshot(os.path.join(args.out, "06-signed-out.png"))
        check("Войти" in driver.page_source and "Выйти" not in driver.page_source,
              f"signed out (at {driver.current_url})")
    finally:
        code = common.finish(driver, run.proc, run.tmp, run.failures, args.out)
    return code


if __name__ == "__main__":
    sys.exit(main())
