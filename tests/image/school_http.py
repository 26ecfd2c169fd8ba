"""A school's people using the emulated box over HTTP, through its front, as phones do: the
admin (signed in with the first-boot password) sets the school up, a teacher posts an
assignment and grades, students sign in with their PINs and hand in photos. Redirects are not
followed: a 303 after a POST is the portal's confirmation that the work is saved; anything else
(a refusal, a dropped connection, a power cut) is not."""
import hashlib
import html
import http.client
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sync"))
from synclib import jpeg  # noqa: E402  (synclib puts tests/browser on the path too)
from common import multipart, trickle_post  # noqa: E402,F401  (box_test uses both through here)


class Phone:
    """One phone's browser: its cookies and the CSRF token of the last page it loaded."""

    def __init__(self, base, timeout=300):
        self.host, port = base.split("//")[1].split(":")
        self.port = int(port)
        self.timeout = timeout
        self.cookies = {}
        self.csrf = ""

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes); raises OSError / http.client errors on a dropped
        connection. Under emulation every phone reaches the box from one address (qemu's user
        network), so the front's per-address limits (10 sign-ins a minute, 10 pages a second)
        hold the whole class: a 429 (the front refused before partad saw it) is waited out and
        sent again."""
        for attempt in range(40):
            r = self._request(method, path, body, headers)
            if r[0] != 429:
                return r
            time.sleep(6.5 if path == "/login" else 1.0)
        return r

    def _request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            h = dict(headers or {})
            if self.cookies:
                h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            for k, v in r.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    value = rest.split(";")[0]
                    if "max-age=0" in v.lower() or value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = value
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            conn.close()

    def _remember(self, text):
        m = re.search(r'name="csrf" value="([^"]+)"', text)
        if m:
            self.csrf = m.group(1)
        return text

    def get(self, path):
        status, _, data = self.request("GET", path)
        return status, self._remember(data.decode("utf-8", "replace"))

    def get_bytes(self, path):
        status, headers, data = self.request("GET", path)
        return status, data

    def post(self, path, fields):
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body = urllib.parse.urlencode(items + [("csrf", self.csrf)]).encode()
        status, headers, data = self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        return status, headers.get("location", ""), self._remember(data.decode("utf-8", "replace"))

    def upload(self, path, fields, files):
        """multipart/form-data; files: (field, filename, content type, bytes)."""
        ctype, body = multipart(self.csrf, fields, files)
        status, headers, data = self.request("POST", path, body, {"Content-Type": ctype})
        return status, headers.get("location", ""), self._remember(data.decode("utf-8", "replace"))

    def sign_in(self, login, secret):
        self.secret = (login, secret)
        self.cookies.clear()
        self.get("/login")
        status, location, _ = self.post("/login", {"login": login, "secret": secret})
        if status != 303:
            return False
        _, home = self.get("/")
        return 'action="/logout"' in home


def photo(seed, size=(640, 480)):
    """A phone's photo of a notebook: JPEG of noise (it does not compress). Returns bytes."""
    return jpeg(seed, size)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def credentials(page):
    """(login, secret) pairs of a page of new sign-in details."""
    return [(html.unescape(a), html.unescape(b)) for a, b in re.findall(
        r"<code>([^<]+)</code><br>\s*[^:<]+: <code>([^<]+)</code>", page)]


LAST = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "Васильев", "Морозова",
        "Новиков", "Волкова", "Соколов", "Лебедева", "Козлов", "Егорова", "Павлов", "Орлова",
        "Семёнов", "Зайцева", "Голубев", "Виноградова", "Богданов", "Воробьёва", "Фёдоров",
        "Михайлова", "Беляев", "Тарасова", "Белов", "Комарова", "Ершов", "Никитина"]
FIRST = ["Иван", "Анна", "Пётр", "Мария", "Алексей", "Ольга", "Дмитрий", "Елена", "Сергей",
         "Дарья", "Андрей", "Ксения", "Максим", "Полина", "Никита", "Софья", "Егор", "Алиса",
         "Артём", "Вера", "Кирилл", "Ева", "Матвей", "Варвара", "Тимур", "Яна", "Роман", "Ульяна",
         "Глеб", "Злата"]


class School:
    """What the admin sets up on a fresh box, over HTTP: the school's name, class 5А, a subject,
    a teacher who teaches it there, and `students` students from a roster CSV (imported a few at
    a time: every PIN is an argon2id hash, seconds each under emulation). Then the teacher posts
    an assignment. Everything learnt (logins, PINs, ids) is in .info, a dict that can be saved as
    JSON and given back to School(base, info=...) after a reboot."""

    def __init__(self, base, admin_password=None, students=5, info=None, log=print):
        self.base = base
        self.log = log
        if info:
            self.info = info
            return
        self.info = {"admin": admin_password, "students": []}
        admin = Phone(base)
        if not admin.sign_in("admin", admin_password):
            raise RuntimeError("the admin could not sign in with the first-boot password")
        admin.get("/admin/school")
        admin.post("/admin/school", {"name": "Школа №3 с. Берёзовка", "short_name": "Школа №3",
                                     "address": "", "hotline": "", "email": "", "director": "",
                                     "wifi_name": "", "how_to_connect": ""})
        admin.get("/admin/classes")
        admin.post("/admin/classes", {"name": "5А"})
        status, _, _ = admin.post("/admin/subjects", {"name": "Математика"})
        _, page = admin.get("/admin/classes")
        class_id = re.search(r'action="/admin/classes/(\d+)/teacher"', page).group(1)
        admin.get("/admin/teachers")
        status, _, page = admin.post("/admin/teachers", {"last_name": "Смирнова",
                                                         "first_name": "Ольга",
                                                         "middle_name": "Петровна",
                                                         "login": "smirnova"})
        (login, password), = credentials(page)
        teacher_id = re.search(r'href="/admin/teachers/(\d+)"', page).group(1)
        _, page = admin.get(f"/admin/teachers/{teacher_id}")
        subject_id = re.search(r'<select name="subject_id"><option value="(\d+)"', page).group(1)
        admin.post(f"/admin/teachers/{teacher_id}/teaching",
                   {"class_id": class_id, "subject_id": subject_id})
        admin.get("/admin/classes")
        admin.post(f"/admin/classes/{class_id}/teacher", {"teacher_id": teacher_id})
        self.info.update(teacher=login, teacher_password=password, class_id=class_id,
                         subject_id=subject_id)
        for first in range(0, students, 5):
            rows = ["Класс;Фамилия;Имя;Номер ученика;Логин"]
            for i in range(first, min(students, first + 5)):
                rows.append(f"5А;{LAST[i % len(LAST)]};{FIRST[i % len(FIRST)]};0503-{i + 1:03d};"
                            f"pupil.{i + 1:02d}")
            csv = ("\n".join(rows) + "\n").encode()
            admin.get("/admin/roster")
            status, _, page = admin.upload("/admin/roster", {},
                                           [("file", "5a.csv", "text/csv", csv)])
            if status != 200:
                raise RuntimeError(f"roster import: {status} {page[:500]}")
            for login, pin in credentials(page):
                self.info["students"].append({"login": login, "pin": pin})
        teacher = self.teacher()
        teacher.get(f"/assignments/new?class={class_id}&subject={subject_id}")
        status, location, page = teacher.upload("/assignments", {
            "class_id": class_id, "subject_id": subject_id, "title": "Контрольная работа",
            "body": "Сфотографируйте решение в тетради.", "grading": "mark",
            "due_date": "2099-01-01", "due_time": "18:00"}, [])
        m = re.search(r"/assignments/(\d+)", location)
        if status != 303 or not m:
            raise RuntimeError(f"the assignment was not posted: {status} {page[:500]}")
        self.info["assignment"] = m.group(1)

    def teacher(self):
        p = Phone(self.base)
        if not p.sign_in(self.info["teacher"], self.info["teacher_password"]):
            raise RuntimeError("the teacher could not sign in")
        return p

    def student(self, i):
        """Student i signed in; its user id in info (read from its start page once)."""
        s = self.info["students"][i]
        p = Phone(self.base)
        if not p.sign_in(s["login"], s["pin"]):
            raise RuntimeError(f"{s['login']} could not sign in")
        if "id" not in s:
            _, home = p.get("/")
            s["id"] = re.search(r"/students/(\d+)/assignments", home).group(1)
        return p

    def thread(self, i):
        return f"/assignments/{self.info['assignment']}/students/{self.info['students'][i]['id']}"

    def hand_in(self, phone, i, data, name="тетрадь.jpg"):
        """Student i hands in a photo. Returns the status (303: confirmed)."""
        phone.get(self.thread(i))
        status, _, _ = phone.upload(self.thread(i) + "/submit", {"text": "Сдаю работу"},
                                    [("files", name, "image/jpeg", data)])
        return status

    def grade(self, teacher, i, mark):
        teacher.get(self.thread(i))
        status, _, _ = teacher.post(self.thread(i) + "/grade", {"mark": mark, "comment": ""})
        return status

    def submission_files(self, phone, i):
        """The /files/submission/ ids on student i's thread."""
        _, page = phone.get(self.thread(i))
        return re.findall(r'href="/files/submission/(\d+)', page)


def wait(fn, timeout, step=2.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return None
