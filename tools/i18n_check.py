#!/usr/bin/env python3
"""Checks that every UI string has a Russian translation.

Message ids are English: {{#t}}...{{/t}} sections in server/web/templates, and string literals in
the UI sources that read like text (start with a capital letter). Prints the missing ones in .po
form (paste them into server/i18n/ui.ru.po and translate) and exits 1 if there are any.
Usage: tools/i18n_check.py [--all]   (--all lists every msgid, translated or not)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
UI_SOURCES = ["server/web/*.cpp", "server/web/app.hpp", "server/http/errors.hpp",
              "server/http/form.cpp", "server/http/request.cpp",
              "server/domain/roster_csv.cpp", "server/domain/csv_reader.cpp", "server/domain/schedule_csv.cpp",
              "server/domain/roster_import.cpp",
              "server/domain/coursework.cpp", "server/domain/library.cpp", "content/pack.cpp",
              "server/domain/announcements.cpp", "server/domain/schedule.cpp",
              "server/domain/devices.cpp", "server/domain/conversations.cpp",
              "server/domain/groups.cpp", "server/domain/events.cpp", "server/domain/surveys.cpp",
              "server/domain/monitoring.cpp", "server/domain/paper.cpp", "server/domain/paper.hpp",
              "server/app/paper_worker.cpp", "server/app/paper_helper.cpp",
              "server/domain/box_clock.cpp",
              "server/sync/engine.cpp", "server/sync/identity.cpp", "server/sync/records.cpp",
              "server/app/admin_commands.cpp", "server/app/usb_exchange.cpp",
              "content/zim.cpp", "server/domain/zim_library.cpp", "server/domain/quiz.cpp", "server/domain/quiz_store.cpp"]
# Literals that look like text but are protocol or data, not UI.
IGNORE = {"Cache-Control", "ETag", "Content-Encoding", "Vary", "Location", "Set-Cookie",
          "Bearer ", "English", "Accept-Encoding", "Content-Disposition", "Content-Type",
          "Windows-1251", "UTF-8", "Unrecognized archive format", "X-Parta-Bundle", "G-",
          "Retry-After", "Strict", "X-Parta-Statements", "X-Parta-Steps",
          # The password note on a stick is written in both languages at once (usb_exchange.cpp).
          "Parta", "Parta: пароль первого администратора", "Parta: the first administrator's password",
          "This file was written to one stick, once: delete it once the password is changed.",
          # A folder Windows makes on every stick (usb_exchange.cpp).
          "System Volume Information",
          # HTTP headers of byte ranges, and the metadata names a ZIM archive keeps (content/zim.cpp).
          "Content-Range", "Accept-Ranges", "Name", "Language", "Description", "Creator",
          "Publisher"}
LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
TEMPLATE_T = re.compile(r"\{\{#t\}\}(.*?)\{\{/t\}\}", re.S)


def unescape(s):
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s)


def po_entries(text):
    out, msgid, msgstr, cur = {}, None, None, None
    for line in text.splitlines() + [""]:
        line = line.strip()
        if line.startswith("msgid "):
            if msgid is not None and msgstr:
                out[msgid] = msgstr
            msgid, msgstr, cur = unescape(line[7:-1]), "", "id"
        elif line.startswith("msgstr "):
            msgstr, cur = unescape(line[8:-1]), "str"
        elif line.startswith('"') and cur:
            if cur == "id":
                msgid += unescape(line[1:-1])
            else:
                msgstr += unescape(line[1:-1])
        elif not line:
            if msgid is not None and msgstr:
                out[msgid] = msgstr
            msgid, msgstr, cur = None, None, None
    return out


def wanted():
    ids = {}
    for f in sorted((ROOT / "server/web/templates").glob("*.html")):
        for m in TEMPLATE_T.finditer(f.read_text()):
            ids.setdefault(m.group(1), f.relative_to(ROOT))
    for pattern in UI_SOURCES:
        for f in sorted(ROOT.glob(pattern)):
            text = f.read_text()
            # Adjacent literals ("a" "b") are one string in C++.
            text = re.sub(r"^\s*//.*$", "", text, flags=re.M)  # comments are not UI
            text = re.sub(r'"\s*\n\s*"', "", text)
            # Anything passed to tr() is UI text, whatever its case.
            for m in re.finditer(r'\btr\("((?:[^"\\\n]|\\.)*)"', text):
                ids.setdefault(unescape(m.group(1)), f.relative_to(ROOT))
            for m in LITERAL.finditer(text):
                s = unescape(m.group(1))
                if re.match(r"^[A-Z][a-z' -]", s) and s not in IGNORE and not s.startswith("Usage:") and not re.match(
                        r"^(SELECT|INSERT|UPDATE|DELETE|CREATE|PRAGMA|BEGIN)\b", s):
                    ids.setdefault(s, f.relative_to(ROOT))
    return ids


def main():
    have = {}
    for po in sorted((ROOT / "server/i18n").glob("*.ru.po")):
        have.update(po_entries(po.read_text()))
    ids = wanted()
    missing = [(i, f) for i, f in ids.items() if i not in have or "--all" in sys.argv]
    for i, f in missing:
        esc = i.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        print(f'#: {f}\nmsgid "{esc}"\nmsgstr "{have.get(i, "")}"\n')
    for i in ids:
        t = have.get(i)
        if t and set(re.findall(r"\{+\w+\}+", i)) != set(re.findall(r"\{+\w+\}+", t)):
            print(f"placeholders differ: {i!r} -> {t!r}")
            return 1
    if "--all" not in sys.argv:
        print(f"i18n: {len(ids)} UI strings, {len(missing)} without a Russian translation",
              file=sys.stderr)
    return 1 if missing and "--all" not in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
