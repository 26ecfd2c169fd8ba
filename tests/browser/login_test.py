#!/usr/bin/python3
"""Browser test: a real headless Chromium opens the portal on a phone-sized window, signs in as a
student, a parent and the admin through the login form (no JavaScript involved on our side), and
saves screenshots. Starts its own partad on a free port of 127.0.0.1 with a fresh demo database.

Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or Selenium missing outside CI).
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


def start_partad(binary, data):
    log = open(os.path.join(data, "partad.log"), "w+")
    proc = subprocess.Popen([binary, "--data", os.path.join(data, "db"), "--listen", "127.0.0.1:0",
                             "--demo"], stdout=log, stderr=log)
    for _ in range(300):
        log.seek(0)
        m = re.search(r"\(port (\d+)\)", log.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    raise RuntimeError("partad did not start: " + log.read())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--out", required=True, help="folder for the screenshots")
    args = ap.parse_args()
    in_ci = os.environ.get("CI") == "true"
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        print("browser test: python3-selenium is missing (tools/install-deps.sh installs it)")
        return 1 if in_ci else 77
    if not shutil.which("chromedriver") or not os.path.exists("/usr/bin/chromium"):
        print("browser test: chromium or chromedriver is missing")
        return 1 if in_ci else 77

    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="parta-browser-")
    proc, port = start_partad(args.partad, tmp)
    base = f"http://127.0.0.1:{port}"
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={tmp}/profile", "--window-size=412,915", "--lang=ru"]:
        opts.add_argument(a)
    # The portal must work with JavaScript off: the whole test runs without it.
    opts.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = None
    failures = []
    try:
        from selenium.webdriver.chrome.service import Service
        driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")),
                                  options=opts)

        def check(cond, what):
            if not cond:
                failures.append(what)
                print("FAIL:", what)

        def sign_in(login, secret):
            driver.delete_all_cookies()
            driver.get(base + "/login")
            driver.find_element(By.NAME, "login").send_keys(login)
            driver.find_element(By.NAME, "secret").send_keys(secret)
            driver.find_element(By.CSS_SELECTOR, "form.form button").click()
            WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url or
                                            "error" in d.page_source)

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
        driver.get(base + "/admin/students")
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
        if driver:
            driver.quit()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"browser test: {len(failures)} failed")
        return 1
    print(f"browser test: passed; screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
