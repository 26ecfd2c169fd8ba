#!/usr/bin/python3
"""Browser test: every page of every role on a 360 px phone, JavaScript off (issue 16).

Signed in as each demo role (admin, class teacher, subject teacher, student, parent), a headless
Chromium with a 360 x 800 phone screen follows the links reachable from the role's start page
(same site, GET, breadth first; a page pattern such as /assignments/{n}/students/{n} is opened at
most twice, downloads and sign-out are not followed) and checks each page with phone_checks.py:

- no horizontal overflow: the document is not wider than the screen (scrollWidth <= 360);
- no box that scrolls sideways (a table cut at the screen's edge), the gradebook excepted;
- tap targets of at least 44 x 44 px (WCAG 2.5.5) for buttons, inputs, selects, checkbox and
  radio rows (their label is the target) and links that stand on their own; a link inside running
  text (its block has words of its own besides links) is exempt, as 2.5.5's inline exception says;
- no Latin words in the Russian interface outside names and codes (an allow-list of format and
  standard names; <code>, URLs, e-mail addresses, file names and logins are codes);
- no link of a role's own pages leads to an error page.

Then the main forms are refused on purpose over HTTP (a date that does not exist, an empty
required field) and each must come back with what was typed still in its fields.

Exit codes: 0 passed, 1 failed, 77 skipped (Chromium or Selenium missing outside CI).
"""
import collections
import datetime
import html.parser
import os
import re
import sys
import time
import urllib.parse

import common
import phone_checks
from common import Staff, phone_browser

WIDTH, HEIGHT = 360, 800
ROLES = [("admin", "admin", "demo2026"),
         ("class teacher", "smirnova", "demo2026"),
         ("teacher", "kuznetsov", "demo2026"),
         ("student", "ivanov.a", "202620"),
         ("parent", "ivanova.s", "demo2026")]
PER_PATTERN = 2      # pages opened per URL pattern
PER_ROLE = 70        # pages opened per role at most (the run stays around two minutes)
# Not pages: sign-out, the language switch, files and exports, the device API, printing.
SKIP = re.compile(r"^/(logout|lang/|api/|files/)|/export|\.(csv|xlsx|pdf|png|jpe?g|zip|tar\.gz)$"
                  r"|/file$|/cards|/print$|/download")


def set_the_scene(base):
    """A thread with work, a comment and a «5-», a message, so the crawl finds every kind of page."""
    teacher = Staff(base, "smirnova", "demo2026")
    teacher.get("/assignments/new?class=1&subject=1")
    due = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    _, _, url = teacher.post("/assignments", {
        "class_id": "1", "subject_id": "1", "title": "Упражнение 112", "grading": "mark",
        "due_date": due, "due_time": "18:00", "body": "Выполните упражнение 112."})
    assignment = re.search(r"/assignments/(\d+)", url).group(1)
    student = Staff(base, "ivanov.a", "202620")
    sid = re.search(r"/students/(\d+)/assignments", student.get("/")).group(1)
    thread = f"/assignments/{assignment}/students/{sid}"
    student.get(thread)
    student.post(thread + "/submit", {"text": "Готово, фото в тетради."})
    student.post(thread + "/comment", {"text": "Проверьте, пожалуйста."})
    teacher.get(thread)
    teacher.post(thread + "/grade", {"mark": "5-", "comment": "Молодец!"})
    # Today's timetable of 5А, with the longest format's name, and a teacher: the admin's table.
    admin = Staff(base, "admin", "demo2026")
    today = datetime.date.today().isoformat()
    admin.get(f"/admin/schedule?class=1&day={today}")
    for n, (start, end, subject, mode) in enumerate(
            [("08:30", "09:10", "1", "school"), ("09:20", "10:00", "3", "materials"),
             ("10:20", "11:00", "2", "online")], 1):
        admin.post("/admin/schedule/lessons", {"class_id": "1", "day": today, "number": str(n),
                                               "starts": start, "ends": end, "subject_id": subject,
                                               "teacher_id": "", "mode": mode,
                                               "link": "https://example.org/lesson"})
    admin.post("/admin/schedule/publish", {"class_id": "1", "day": today, "on": "1"})
    other = Staff(base, "kuznetsov", "demo2026")
    page = other.get("/assignments")
    m = re.search(r'/assignments/new\?class=(\d+)&amp;subject=(\d+)', page)
    if m:
        other.get(f"/assignments/new?class={m.group(1)}&subject={m.group(2)}")
        other.post("/assignments", {"class_id": m.group(1), "subject_id": m.group(2),
                                    "title": "Задачи 1–5", "grading": "mark", "due_date": due,
                                    "due_time": "09:00", "body": "Решите задачи 1–5."})
    return assignment, sid


def pattern(url):
    """/assignments/12/students/19?month=2026-11 → /assignments/{n}/students/{n}?month"""
    u = urllib.parse.urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", u.path)
    keys = sorted(k for k, _ in urllib.parse.parse_qsl(u.query, keep_blank_values=True))
    return path + ("?" + "&".join(keys) if keys else "")


def crawl(driver, base, role, found, shots):
    """Opens the role's pages breadth first; adds (kind, role, page, detail) to `found`."""
    seen, per_pattern, queue = set(), collections.Counter(), collections.deque(["/"])
    opened = 0
    while queue and opened < PER_ROLE:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        pat = pattern(path)
        if per_pattern[pat] >= PER_PATTERN:
            continue
        per_pattern[pat] += 1
        driver.get(base + path)
        opened += 1
        if urllib.parse.urlsplit(driver.current_url).path == "/login":
            found.append(("error", role, path, "sent to the sign-in page"))
            continue
        m = phone_checks.measure(driver)
        if m["type"] != "text/html":
            continue
        if per_pattern[pat] == 1 and len(shots) < 400:
            name = f"phone-{role.replace(' ', '_')}-{re.sub(r'[^a-z0-9]+', '_', pat)[:60]}.png"
            driver.save_screenshot(os.path.join(shots, name))
        if m["error_code"]:
            found.append(("error", role, path, f"an error page: {m['h1']}"))
        if m["overflow"]["scroll"] > WIDTH:
            found.append(("overflow", role, path, f"{m['overflow']['scroll']} px wide: " +
                          "; ".join(m["overflow"]["culprits"])))
        for box in m["overflow"]["boxes"]:
            found.append(("overflow", role, path, "scrolls sideways: " + box))
        for s in m["small"]:
            found.append(("tap", role, path, s))
        for s in m["latin"]:
            found.append(("latin", role, path, s))
        for link in m["links"]:
            u = urllib.parse.urlsplit(link)
            if u.netloc != urllib.parse.urlsplit(base).netloc:
                continue
            target = u.path + ("?" + u.query if u.query else "")
            if SKIP.search(u.path) or target in seen:
                continue
            queue.append(target)
    return opened


class FormState(html.parser.HTMLParser):
    """What a page's form fields hold: name → values (text, checked or selected ones)."""

    def __init__(self):
        super().__init__()
        self.values = collections.defaultdict(list)
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[a["name"]].append(a.get("value", "on"))
            elif kind not in ("hidden", "submit", "file"):
                self.values[a["name"]].append(a.get("value", ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self.values[self._textarea].append("")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea][-1] += data


# The main forms, refused on purpose: (role's login, page with the form, action, fields typed,
# what makes it refused, the fields that must come back as typed).
FORMS = [
    ("smirnova", "/assignments/new?class=1&subject=1", "/assignments",
     {"class_id": "1", "subject_id": "1", "title": "Проверка формы", "topic": "Глаголы",
      "body": "Текст задания, набранный долго.", "grading": "pass", "due_date": "31.02.2030",
      "due_time": "18:00"}, "a date that does not exist (31.02.2030)",
     ["title", "topic", "body", "grading", "due_time"]),
    ("smirnova", "/surveys/new", "/surveys",
     {"title": "", "intro": "Несколько слов родителям.", "audience": "parents", "class": "1",
      "q1_text": "Есть ли дома планшет?", "q1_kind": "single", "q1_options": "да\nнет"},
     "an empty title", ["intro", "audience", "q1_text", "q1_kind", "q1_options"]),
    ("smirnova", "/announcements", "/announcements",
     {"audience": "1", "title": "", "body": "Собрание в пятницу в 18:00.", "pinned": "1"},
     "an empty title", ["audience", "body", "pinned"]),
    ("admin", "/admin/students", "/admin/students",
     {"class_id": "1", "last_name": "Петров", "first_name": "", "middle_name": "Ильич",
      "student_no": "77001"}, "an empty first name",
     ["last_name", "middle_name", "class_id", "student_no"]),
    ("admin", "/admin/parents", "/admin/parents",
     {"last_name": "Петрова", "first_name": "", "middle_name": "Ивановна",
      "phone": "+7 913 000-00-00"}, "an empty first name", ["last_name", "middle_name", "phone"]),
    ("admin", "/admin/schedule?class=1", "/admin/schedule/lessons",
     {"class_id": "1", "day": datetime.date.today().isoformat(), "number": "7",
      "starts": "14:40", "ends": "14:00", "subject_id": "2", "teacher_id": "", "mode": "online",
      "link": "https://example.org/lesson-7"}, "a lesson that ends before it starts",
     ["number", "starts", "ends", "subject_id", "mode", "link"]),
    ("admin", "/admin/devices", "/admin/devices",
     {"kind": "", "model": "Планшет-7", "serial": "ПЛ-0042", "note": "Без чехла"},
     "an empty kind", ["model", "serial", "note"]),
]


def check_forms(base, check, thread):
    staff = {}
    # The student's hand-in with a file that is not accepted: the answer typed must stay.
    forms = FORMS + [("ivanov.a", thread, thread + "/submit",
                      {"text": "Длинный ответ, набранный на телефоне."}, "a file of a refused type",
                      ["text"])]
    for login, page, action, fields, why, keep in forms:
        if login not in staff:
            staff[login] = Staff(base, login, "202620" if login == "ivanov.a" else "demo2026")
        s = staff[login]
        s.get(page)
        if action.endswith("/submit"):
            status, body, _ = s.upload(action, fields, [("files", "game.exe",
                                                         "application/x-msdownload", b"MZ")],
                                       refusal_ok=True)
        else:
            status, body, _ = s.post(action, fields)
        state = FormState()
        state.feed(body)
        lost = [k for k in keep if fields[k] not in state.values.get(k, [])]
        check(400 <= status < 500 and not lost,
              f"form {action} refused for {why} ({status}) keeps what was typed"
              + (f"; lost: {', '.join(lost)}" if lost else ""))


def main():
    run = common.open_run()
    if isinstance(run, int):
        return run
    base, check = run.base, run.check
    driver = None
    started = time.time()
    try:
        assignment, sid = set_the_scene(base)
        driver = phone_browser(run.webdriver, f"{run.tmp}/profile")
        # A phone: 360 CSS px wide, the page's viewport meta tag honoured.
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": True})
        found, total = [], 0
        for role, login, secret in ROLES:
            common.sign_in(driver, base, login, secret, lambda d: "/login" not in d.current_url)
            n = crawl(driver, base, role, found, run.args.out)
            total += n
            print(f"{role}: {n} pages")
        # One line per problem and page pattern (the same menu link is not reported 70 times).
        by_kind = collections.defaultdict(dict)
        for kind, role, path, detail in found:
            by_kind[kind].setdefault((pattern(path), detail), (role, path))
        for kind in ("overflow", "tap", "latin", "error"):
            problems = by_kind.get(kind, {})
            check(not problems, f"{kind}: {len(problems)} problem(s)")
            for (pat, detail), (role, path) in sorted(problems.items()):
                print(f"  {kind:8} {role:13} {path}  {detail}")
        check(total >= 5 * 10, f"the crawl opened {total} pages")
        check_forms(base, check, f"/assignments/{assignment}/students/{sid}")
    finally:
        code = common.finish(driver, run.proc, run.tmp, run.failures, run.args.out)
        print(f"phone test: {time.time() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
