"""What the browser tests share: a partad of their own on a free port of 127.0.0.1 with a fresh
demo database, a headless Chromium sized like a phone with JavaScript off, and a small HTTP
client for setting the scene as staff would."""
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def multipart(csrf, fields, files):
    """(content type, body) of a multipart/form-data form as ours send it: the CSRF token first
    (partad refuses a multipart form whose first field is not it, before any file reaches the
    disk), then the fields, then files as (field, filename, content type, bytes)."""
    boundary = "----parta" + os.urandom(8).hex()
    body = b""
    for k, v in [("csrf", csrf)] + list(fields.items()):
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n"
                 f"{v}\r\n").encode()
    for field, name, ctype, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
                 f"filename=\"{name}\"\r\nContent-Type: {ctype}\r\n\r\n").encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def trickle_post(base, path, ctype, body, cookie, seconds, timeout=600):
    """A phone on a weak signal: the body trickles in over `seconds`, 16 kB at a time. Returns
    (status, Location); raises OSError when the connection drops."""
    import http.client
    host, port = base.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", ctype)
        conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Cookie", cookie)
        conn.endheaders()
        step = 16 * 1024
        pause = seconds / max(1, len(body) // step)
        for i in range(0, len(body), step):
            conn.send(body[i:i + step])
            time.sleep(pause)
        r = conn.getresponse()
        r.read()
        return r.status, r.getheader("Location", "")
    finally:
        conn.close()


def start_partad(binary, data, env=None, extra=()):
    path = os.path.join(data, "partad.log")
    log = open(path, "w")
    proc = subprocess.Popen([binary, "--data", os.path.join(data, "db"), "--listen", "127.0.0.1:0",
                             "--demo", *extra], stdout=log, stderr=log, env=env)
    # Read through a handle of our own: seeking `log` would move partad's write offset too (one
    # open file, shared), and the demo's long table could then overwrite the line with the port.
    for _ in range(300):
        with open(path) as f:
            m = re.search(r"\(port (\d+)\)", f.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    with open(path) as f:
        raise RuntimeError("partad did not start: " + f.read())


class Checks:
    """A test's checks: an "ok" or "FAIL" line each, the failures kept for the exit code."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            self.failures.append(what)

    def exit_code(self):
        if self.failures:
            print(f"{self.name}: {len(self.failures)} failed")
            return 1
        print(f"{self.name}: passed")
        return 0


def wait_for(fn, what, timeout=120, step=0.2):
    """fn()'s first true value, asked every `step` seconds; RuntimeError after `timeout`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError("timed out waiting for " + what)


def selenium_or_skip(in_ci):
    """Returns the selenium modules, or an exit code: 1 in CI, 77 (skipped) elsewhere."""
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
    return webdriver, By, WebDriverWait


def phone_browser(webdriver, profile_dir):
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              f"--user-data-dir={profile_dir}", "--window-size=412,915", "--lang=ru"]:
        opts.add_argument(a)
    # The portal must work with JavaScript off: the whole test runs without it.
    opts.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    from selenium.webdriver.chrome.service import Service
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")),
                            options=opts)


def sign_in(driver, base, login, secret, until):
    """Signs in through the login form, as a person would; waits until `until(driver)`."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "secret").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "form.form button").click()
    WebDriverWait(driver, 10).until(until)


def open_run():
    """What every browser test starts with: its arguments (--partad, --out), selenium or the skip
    exit code, a partad of its own with a fresh demo database, and a check() that collects
    failures. Returns the exit code when the test cannot run."""
    import argparse
    import tempfile
    import types
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--out", required=True, help="folder for the screenshots")
    args = ap.parse_args()
    found = selenium_or_skip(os.environ.get("CI") == "true")
    if isinstance(found, int):
        return found
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="parta-browser-")
    proc, port = start_partad(args.partad, tmp)
    run = types.SimpleNamespace(args=args, webdriver=found[0], By=found[1], Wait=found[2], tmp=tmp,
                                proc=proc, base=f"http://127.0.0.1:{port}", failures=[])

    def check(cond, what):
        if not cond:
            run.failures.append(what)
            print("FAIL:", what)
    run.check = check
    return run


def finish(driver, proc, tmp, failures, out):
    """Stops the browser and partad, removes the scratch folder; the test's exit code."""
    if driver:
        driver.quit()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"browser test: {len(failures)} failed")
        return 1
    print(f"browser test: passed; screenshots in {out}")
    return 0


class Staff:
    """A signed-in HTTP client (cookies, CSRF token from the last page) for setting up data."""

    def __init__(self, base, login, secret):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""
        self.get("/login")
        self.post("/login", {"login": login, "secret": secret})
        if 'action="/logout"' not in self.get("/"):
            raise RuntimeError(f"{login} could not sign in")

    def _remember(self, body):
        m = re.search(r'name="csrf" value="([^"]+)"', body)
        if m:
            self.csrf = m.group(1)
        return body

    def get(self, path):
        with self.opener.open(self.base + path) as r:
            return self._remember(r.read().decode())

    def get_bytes(self, path):
        with self.opener.open(self.base + path) as r:
            return r.read()

    def upload(self, path, fields, files, refusal_ok=False):
        """multipart/form-data: files is a list of (field, filename, content type, bytes). A
        refused form (4xx) raises, unless refusal_ok: then it is returned like a success."""
        ctype, body = multipart(self.csrf, fields, files)
        req = urllib.request.Request(self.base + path, body, {"Content-Type": ctype})
        try:
            with self.opener.open(req) as r:
                return r.status, self._remember(r.read().decode()), r.url
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            if refusal_ok and 400 <= e.code < 500:
                return e.code, self._remember(body), path
            raise RuntimeError(f"upload {path}: {e.code} {body[:300]}")

    def post(self, path, fields):
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        data = urllib.parse.urlencode(items + [("csrf", self.csrf)]).encode()
        try:
            with self.opener.open(self.base + path, data) as r:
                return r.status, self._remember(r.read().decode()), r.url
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            if 400 <= e.code < 500:  # a refused form: the page says why
                return e.code, self._remember(body), path
            raise RuntimeError(f"POST {path}: {e.code} {body[:300]}")


def class_roster(n, class_name="7А", number_prefix="BENCH", paper=False):
    """A class of n students as a clerk exports it from Excel (';', CRLF), for the benches."""
    first = ["Алексей", "Мария", "Иван", "Дарья", "Никита", "Полина", "Егор", "София", "Артём",
             "Анна"]
    last = ["Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
            "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"]
    rows = ["Класс;Фамилия;Имя;Номер ученика" + (";Бумага" if paper else "")]
    for i in range(n):
        rows.append(f"{class_name};{last[i % len(last)]}{'а' if i % 2 else ''};"
                    f"{first[i % len(first)]};{number_prefix}-{i:03d}" + (";да" if paper else ""))
    return ("\r\n".join(rows) + "\r\n").encode()
