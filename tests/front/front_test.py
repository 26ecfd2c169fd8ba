#!/usr/bin/python3
"""The box's nginx front, as the box runs it (tests/lib/parta_front.py), checked from outside:
its configuration rendered from partad.conf (and wrong partad.conf refused), the visitor's address
reaching partad (and nobody else's X-Real-IP believed), static files and stored files sent by
nginx after partad has decided (X-Accel-Redirect: type, name, caching, Range, ETag, the gzipped
twin, 403 still 403), bodies buffered before partad sees them except the district hub's sync
upload, which streams (a real `parta sync push` through the front), captive-portal probes, and
the front's own answers (413, 429, 503, 404) in Russian and English.

Exit codes: 0 passed, 1 failed, 77 skipped (nginx missing outside CI).
"""
import argparse
import asyncio
import gzip
import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "sync"))
import parta_front as pf  # noqa: E402
from synclib import Run, Staff, Teacher, dump, enroll_by_cli, jpeg  # noqa: E402


def text_pack(path):
    """A content pack with one text item large enough to get a gzipped twin (library.cpp)."""
    data = ("Глагол — часть речи, которая обозначает действие. " * 200).encode()
    manifest = {"format": "parta-pack", "format_version": 1, "id": "front-test", "version": 1,
                "title": "Тест фронта", "subjects": ["Русский язык"], "grades": [5],
                "items": [{"path": "items/text.txt", "title": "Длинный текст",
                           "type": "text/plain", "size": len(data),
                           "sha256": hashlib.sha256(data).hexdigest()}]}
    with tarfile.open(path, "w") as tar:
        for name, blob in (("manifest.json", json.dumps(manifest, ensure_ascii=False).encode()),
                           ("items/text.txt", data)):
            ti = tarfile.TarInfo(name)
            ti.size = len(blob)
            tar.addfile(ti, io.BytesIO(blob))
    return data


def render_refusals(tmp, check):
    """partad.conf settings the front cannot work with are refused, naming the setting."""
    base = {"data": "/var/lib/parta", "listen": "127.0.0.1:8081", "trusted_front": "127.0.0.1",
            "accel_prefix": "/_accel/blobs/"}
    for change, why in [({"listen": "0.0.0.0:80"}, "listen"), ({"trusted_front": ""}, "trusted_front"),
                        ({"accel_prefix": ""}, "accel_prefix"), ({"data": "data"}, "data"),
                        ({"max_upload_mb": "lots"}, "max_upload_mb")]:
        conf = os.path.join(tmp, "refused.conf")
        with open(conf, "w") as f:
            f.writelines(f"{k} = {v}\n" for k, v in dict(base, **change).items())
        out = os.path.join(tmp, "refused-nginx.conf")
        r = subprocess.run([os.path.join(pf.FIRMWARE, "bin", "parta-render-config"), "--front", out,
                            "--partad-conf", conf, "--templates", os.path.join(pf.FIRMWARE, "config")],
                           capture_output=True, text=True)
        check(r.returncode != 0 and why in r.stderr and not os.path.exists(out),
              f"render refuses {change}: {r.stderr.strip()}")
    # The box's own partad.conf renders.
    out = os.path.join(tmp, "box-nginx.conf")
    r = subprocess.run([os.path.join(pf.FIRMWARE, "bin", "parta-render-config"), "--front", out,
                        "--partad-conf", os.path.join(pf.FIRMWARE, "config", "partad.conf"),
                        "--templates", os.path.join(pf.FIRMWARE, "config")],
                       capture_output=True, text=True)
    text = open(out).read() if r.returncode == 0 else ""
    check(r.returncode == 0 and "listen 80 default_server;" in text and
          "server 127.0.0.1:8081;" in text and 'alias "/var/lib/parta/blobs/";' in text and
          "client_max_body_size 204864k;" in text and not re.search(r"@[A-Z_]+@", text),
          "the box's partad.conf renders: port 80, partad on 127.0.0.1:8081, the blob store, "
          "200 MB uploads " + r.stderr.strip())


def session_of(staff):
    """The signed-in client's session cookie (tests/browser/common.py: Staff)."""
    for h in staff.opener.handlers:
        for c in getattr(h, "cookiejar", []):
            if c.name == "parta_session":
                return c.value
    raise RuntimeError("not signed in")


def get(base, who, path, headers=None):
    """(status, headers, body) of a signed-in GET; errors included."""
    req = urllib.request.Request(base + path, headers=headers or {})
    try:
        with who.opener.open(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def async_run(coro):
    return asyncio.new_event_loop().run_until_complete(coro)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    if not pf.have_nginx():
        print("front test: nginx is missing (tools/install-deps.sh installs it)")
        return 1 if os.environ.get("CI") == "true" else 77
    check = pf.Checks("front test")

    tmp = tempfile.mkdtemp(prefix="parta-front-")
    front = hub = None
    run = Run(args.partad, args.parta, "parta-front-sync-")
    try:
        render_refusals(tmp, check)

        # Uploads up to 1 MB here, so the 413 below costs little.
        front = pf.Front(args.partad, os.path.join(tmp, "box"),
                         partad_settings={"max_upload_mb": "1"}).start()
        t = subprocess.run([pf.NGINX, "-t", "-p", front.run, "-c", front.render()],
                           capture_output=True, text=True)
        check(t.returncode == 0, "nginx -t accepts the rendered configuration")
        base = front.base

        # ---- pages, and who asked -----------------------------------------------------------
        status, _, body = pf.http_get(base + "/login")
        check(status == 200 and "csrf" in body.decode(), "the sign-in page through the front")

        async def from_address(src, path, extra=""):
            r, w = await asyncio.open_connection("127.0.0.1", front.port, local_addr=(src, 0))
            w.write(f"GET {path} HTTP/1.1\r\nHost: parta.school\r\n{extra}Connection: close\r\n\r\n"
                    .encode())
            await w.drain()
            status, headers, body = await pf.read_response(r)
            w.close()
            return status
        async_run(from_address("127.0.0.7", "/login?who=7"))
        async_run(from_address("127.0.0.8", "/login?who=8", "X-Real-IP: 10.9.9.9\r\n"))

        async def direct(src):
            r, w = await asyncio.open_connection("127.0.0.1", front.partad_port, local_addr=(src, 0))
            w.write(b"GET /login HTTP/1.1\r\nHost: x\r\nX-Real-IP: 10.9.9.9\r\nConnection: close\r\n\r\n")
            await w.drain()
            await pf.read_response(r)
            w.close()
        async_run(direct("127.0.0.9"))
        time.sleep(0.3)
        log = front.partad_log()
        check("GET /login 200 for 127.0.0.7 via the front" in log,
              "partad sees the phone's address, from the front's X-Real-IP")
        check("GET /login 200 for 127.0.0.8 via the front" in log and "10.9.9.9" not in log,
              "an X-Real-IP sent by a phone is replaced by the front, and one sent to partad "
              "directly from elsewhere is ignored")
        check("GET /login 200 for 127.0.0.9\n" in log, "partad reached around the front takes "
              "the peer's own address")

        # ---- static files: nginx's own ---------------------------------------------------------
        css = re.search(r'href="(/static/app\.[0-9a-f]+\.css)"', body.decode()).group(1)
        status, headers, body = pf.http_get(base + css, {"Accept-Encoding": "gzip"})
        check(status == 200 and headers.get("Content-Encoding") == "gzip" and
              headers.get("Content-Type") == "text/css; charset=utf-8" and
              "immutable" in headers.get("Cache-Control", "") and headers.get("Last-Modified") and
              b"body" in gzip.decompress(body), "the style sheet comes from the front, gzipped")
        time.sleep(0.2)
        check("GET " + css not in front.partad_log(), "partad was not asked for it")
        status, _, _ = pf.http_get(base + "/static/app.0123456789.css")
        check(status == 404, "an old style sheet's name still goes to partad (404)")

        # ---- stored files: partad decides, the front sends -------------------------------------
        pack = os.path.join(tmp, "text-pack.tar")
        text = text_pack(pack)
        rc = subprocess.run([args.parta, "--data", front.data, "content", "import", "--unsigned", pack],
                            capture_output=True, text=True)
        check(rc.returncode == 0, "a pack with a long text imported " + rc.stderr.strip())
        db = sqlite3.connect(os.path.join(front.data, "parta.db"))
        item, sha = db.execute("SELECT id, sha256 FROM library_items WHERE title = ?",
                               ("Длинный текст",)).fetchone()
        student_id = db.execute("SELECT id FROM users WHERE login = 'ivanov.a'").fetchone()[0]
        student = Staff(base, "ivanov.a", "202620")
        path = f"/library/{item}/file"

        status, headers, body = get(base, student, path)
        check(status == 200 and body == text and headers.get("Content-Type") == "text/plain" and
              "filename*=UTF-8''" in headers.get("Content-Disposition", "") and
              headers.get("Cache-Control") and headers.get("ETag") and
              headers.get("X-Content-Type-Options") == "nosniff" and
              "sandbox" in headers.get("Content-Security-Policy", ""),
              "a library file through the front: the bytes, partad's type, name and caching, "
              "nginx's ETag, never run as a page")
        etag = headers.get("ETag")
        status, headers, body = get(base, student, path, {"Range": "bytes=10-29"})
        check(status == 206 and body == text[10:30] and
              headers.get("Content-Range") == f"bytes 10-29/{len(text)}", "Range: 206, 20 bytes")
        status, _, body = get(base, student, path, {"If-None-Match": etag})
        check(status == 304 and body == b"", "If-None-Match: 304")
        status, headers, body = get(base, student, path, {"Accept-Encoding": "gzip"})
        check(status == 200 and headers.get("Content-Encoding") == "gzip" and
              "Accept-Encoding" in headers.get("Vary", "") and gzip.decompress(body) == text and
              len(body) < len(text) // 4, f"the gzipped twin for a phone that takes gzip "
              f"({len(body)} of {len(text)} bytes)")
        time.sleep(0.2)
        check(f"GET {path} 200 for 127.0.0.1 via the front" in front.partad_log(),
              "partad answered the file request (and so decided who may see it)")
        # partad's own answer: empty, pointing the front at the blob.
        cookie = {"Cookie": "parta_session=" + session_of(student)}
        status, headers, body = pf.http_get(front.direct + path,
                                            dict(cookie, **{"X-Real-IP": "10.42.0.20"}))
        check(status == 200 and body == b"" and
              headers.get("X-Accel-Redirect") == f"/_accel/blobs/{sha[:2]}/{sha}",
              "partad answers the front with X-Accel-Redirect and no body")
        status, headers, body = pf.http_get(front.direct + path, cookie)
        check(status == 200 and body == text and not headers.get("X-Accel-Redirect"),
              "asked directly (no front), partad sends the file itself")
        status, _, body = pf.http_get(base + f"/_accel/blobs/{sha[:2]}/{sha}")
        check(status == 404 and "Не найдено" in body.decode() and b"Not found" in body,
              "the internal location cannot be asked for from outside (the front's own 404)")

        # A hand-in: uploaded through the front (a buffered multipart body), then its file.
        work = Teacher(base)
        assignment = work.assignment("Фото тетради")
        photo = jpeg(1)
        work.submit(assignment, "ivanov.a", student_id, "Готово", photo)
        file_id = db.execute("SELECT f.id FROM submission_files f JOIN submissions s ON "
                             "s.id = f.submission_id WHERE s.student_id = ?", (student_id,)
                             ).fetchone()[0]
        status, headers, body = get(base, student, f"/files/submission/{file_id}")
        check(status == 200 and body == photo and headers.get("Content-Type") == "image/jpeg",
              "a hand-in's photo, uploaded and sent back through the front")
        other = Staff(base, "sokolova.m", "202620")
        status, _, body = get(base, other, f"/files/submission/{file_id}")
        check(status == 403 and body != photo, "a classmate gets partad's 403, not the file")

        # ---- captive portal -------------------------------------------------------------------
        for probe in ["/generate_204", "/gen_204", "/hotspot-detect.html", "/library/test/success.html",
                      "/connecttest.txt", "/ncsi.txt", "/redirect", "/canonical.html", "/success.txt"]:
            status, headers, _ = pf.http_get(base + probe, {"Host": "connectivitycheck.gstatic.com"})
            check(status == 302 and headers.get("Location") == "http://parta.school/",
                  f"probe {probe} through the front → {status} {headers.get('Location')}")

        # ---- bodies: buffered, except the hub's sync upload -----------------------------------
        async def half_sent(port, path, wait):
            r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.30", 0))
            w.write((f"POST {path} HTTP/1.1\r\nHost: parta.school\r\nContent-Length: 1000\r\n"
                     "Content-Type: application/octet-stream\r\n\r\nsix by").encode())
            await w.drain()
            try:
                status, _, _ = await asyncio.wait_for(pf.read_response(r), wait)
                return status
            except asyncio.TimeoutError:
                return None
            finally:
                w.close()
        status = async_run(half_sent(front.port, "/login", 2))
        time.sleep(0.2)
        check(status is None and
              re.search(r"POST /login \d+ for 127\.0\.0\.30", front.partad_log()) is None,
              "a half-sent sign-in waits at the front; partad never sees it")

        # ---- the front's own answers ------------------------------------------------------------
        big = b"x" * (2 * 1024 * 1024)
        req = urllib.request.Request(base + "/library", big,
                                     {"Content-Type": "application/octet-stream"})
        try:
            urllib.request.urlopen(req, timeout=30)
            status, body = 200, b""
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read()
        except OSError:  # the front may close before all of it is sent
            status, body = 0, b""
        check(status == 413 and "Слишком большой файл" in body.decode() and b"too large" in body,
              f"a body over max_upload_mb: the front's 413, in Russian and English ({status})")
        check("не больше 1 МБ" in body.decode() and b"at most 1 MB" in body,
              "the front's 413 says the limit partad.conf sets (1 MB) and how to send more")

        async def sign_in_flood(src, n):
            statuses = []
            for _ in range(n):
                r, w = await asyncio.open_connection("127.0.0.1", front.port, local_addr=(src, 0))
                w.write(b"POST /login HTTP/1.1\r\nHost: parta.school\r\nContent-Length: 22\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
                        b"\r\nlogin=nobody&secret=x1")
                await w.drain()
                status, headers, body = await pf.read_response(r)
                statuses.append((status, headers.get("retry-after"), body))
                w.close()
            return statuses
        got = async_run(sign_in_flood("127.0.0.40", 8))
        refused = [g for g in got if g[0] == 429 and g[1] == "10"]
        check(len(refused) >= 2 and "Слишком много запросов" in refused[0][2].decode(),
              f"sign-in tries beyond the burst from one address: 429 with Retry-After "
              f"({[g[0] for g in got]})")
        status = async_run(from_address("127.0.0.41", "/login"))
        check(status == 200, "another phone still gets the sign-in page")

        async def page_flood(src, n):
            tasks = [from_address(src, "/login?flood") for _ in range(n)]
            return await asyncio.gather(*tasks, return_exceptions=True)
        got = async_run(page_flood("127.0.0.42", 120))
        codes = [g for g in got if isinstance(g, int)]
        check(codes.count(429) > 0 and all(c in (200, 429) for c in codes),
              f"120 pages at once from one address: {codes.count(200)} answered, "
              f"{codes.count(429)} refused with 429")

        front.stop_partad()
        status, headers, body = pf.http_get(base + "/")
        check(status == 503 and headers.get("Retry-After") == "5" and
              "Портал запускается" in body.decode() and b"is starting" in body,
              "partad down: the front says the portal is starting (503, Retry-After)")
        front.start_partad()
        status, _, _ = pf.http_get(base + "/login")
        check(status == 200, "partad back: pages again")
        check(pf.established_to(front.partad_port) <= 8,
              f"the front keeps few connections to partad ({pf.established_to(front.partad_port)})")

        # ---- the district hub behind the front: a real sync push over the streaming route ------
        hub = pf.Front(args.partad, os.path.join(tmp, "hub"),
                       partad_settings={"role": "district"}).start()
        t0 = time.monotonic()
        status = async_run(half_sent(hub.port, "/sync/v1/upload/abc", 5))
        check(status == 403 and time.monotonic() - t0 < 3,
              f"the hub's sync upload streams to partad, which refuses an unknown box before "
              f"the body is whole ({status})")
        S = run.path("school")
        box = run.start("school", S, "--demo")
        school_id = enroll_by_cli(run, S, hub.data)
        box_work = Teacher(box)
        a = box_work.assignment("Через фронт")
        box_work.submit(a, "ivanov.a", student_id, "Ответ", jpeg(2))
        rc, out = run.cli(S, "sync", "push", "--url", hub.base)
        check(rc == 0, "parta sync push through the hub's front: " + out.strip()[-120:])
        box_lines = dump(run, S)
        check(any("Через фронт" in line for line in box_lines) and
              set(box_lines) <= set(dump(run, hub.data, school_id)),
              f"every record of the box ({len(box_lines)}) arrived at the hub")
        check(re.search(r"POST /sync/v1/upload/\S+ 200 for 127\.0\.0\.1 via the front",
                        hub.partad_log()) is not None, "the upload went through the front")
    except Exception as e:  # a crash is a failure with its reason, and the files are kept
        check.crashed(e)
    finally:
        for f in (front, hub):
            if f:
                f.stop()
        run.finish()
    return check.finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
