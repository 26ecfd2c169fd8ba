"""What the sync tests share: a school box and a district hub (real partad processes on free ports
of 127.0.0.1, each with its own data folder), a folder standing in for the USB stick both see,
the parta CLI, and the canonical dumps that say whether every record arrived exactly once."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from common import Staff, wait_for  # noqa: E402  (the signed-in HTTP client of the browser tests)

# PARTA_HUB_DB=postgres: every district hub a test starts keeps its data in PostgreSQL (a cluster
# of the run's own, tests/lib/pg_cluster.py), as a district's hub does; school boxes stay on
# SQLite.
HUB_ON_POSTGRES = os.environ.get("PARTA_HUB_DB") == "postgres"


class Run:
    def __init__(self, partad, parta, prefix):
        self.partad, self.parta = partad, parta
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.stick = os.path.join(self.tmp, "stick")
        os.makedirs(self.stick)
        self.failures = []
        self.procs = {}
        self.pg = None
        self.hub_dbs = {}

    def hub_db(self, data):
        """The PostgreSQL URI of the hub whose folder is `data` (made on first use)."""
        if self.pg is None:
            from pg_cluster import Cluster
            self.pg = Cluster()
        if data not in self.hub_dbs:
            name = f"hub{len(self.hub_dbs) + 1}"
            self.pg.createdb(name)
            self.hub_dbs[data] = self.pg.uri(name)
        return self.hub_dbs[data]

    def check(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def cli(self, data, *args, env=None, check=False):
        """parta --data DATA --lang en ARGS: (exit code, stdout + stderr)."""
        if HUB_ON_POSTGRES and args and args[0] == "district" and not os.path.exists(
                os.path.join(data, "hub-database")) and not os.path.exists(
                os.path.join(data, "parta.db")):
            # A new hub's folder names its database before the first command on it.
            os.makedirs(data, exist_ok=True)
            with open(os.path.join(data, "hub-database"), "w") as f:
                f.write(self.hub_db(data) + "\n")
        r = subprocess.run([self.parta, "--data", data, "--lang", "en", *args],
                           capture_output=True, text=True, env=env, timeout=600)
        out = r.stdout + r.stderr
        if check and r.returncode != 0:
            raise RuntimeError(f"parta {' '.join(args)} failed: {out}")
        return r.returncode, out

    def start(self, name, data, *extra, env=None):
        """Starts partad; returns its base URL. The log is data/../<name>.log."""
        log = open(self.path(name + ".log"), "a+")
        start = log.tell()  # earlier runs of this box logged their ports above
        if HUB_ON_POSTGRES and "district" in extra and "--district-db" not in extra:
            extra = (*extra, "--district-db", self.hub_db(data))
        proc = subprocess.Popen([self.partad, "--data", data, "--listen", "127.0.0.1:0",
                                 "--usb-dir", self.stick, *extra],
                                stdout=log, stderr=log, env=env)
        for _ in range(400):
            log.seek(start)
            m = re.findall(r"\(port (\d+)\)", log.read())
            if m and proc.poll() is None:
                self.procs[name] = proc
                return f"http://127.0.0.1:{m[-1]}"
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        log.seek(0)
        raise RuntimeError(f"partad {name} did not start: {log.read()[-2000:]}")

    def stop(self, name, sig=signal.SIGTERM):
        proc = self.procs.pop(name, None)
        if proc:
            proc.send_signal(sig)
            proc.wait(timeout=30)

    def finish(self):
        for name in list(self.procs):
            self.stop(name)
        keep = self.failures or os.environ.get("PARTA_KEEP")
        if self.pg is not None and not keep:
            self.pg.stop()
        if keep:
            print(f"{len(self.failures)} check(s) failed; files kept in {self.tmp}")
            return 1 if self.failures else 0
        shutil.rmtree(self.tmp, ignore_errors=True)
        return 0


class _PgRows:
    def __init__(self, rows):
        self.rows = rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows

    def __iter__(self):
        return iter(self.rows)


class _PgDb:
    """A hub's PostgreSQL database through psql, with sqlite3's few calls the tests make
    (execute with ? parameters, fetchone/fetchall, commit, close); each statement commits."""

    def __init__(self, uri):
        self.uri = uri

    def execute(self, sql, args=()):
        args = list(args)

        def literal(_):
            v = args.pop(0)
            if v is None:
                return "NULL"
            if isinstance(v, (int, float)):
                return str(v)
            return "'" + str(v).replace("'", "''") + "'"
        text = re.sub(r"\?", literal, sql)
        r = subprocess.run(["psql", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-q",
                            "-d", self.uri, "-c", text], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql: {r.stderr.strip()} in {text}")

        def value(x):
            return int(x) if re.fullmatch(r"-?\d+", x) else x
        return _PgRows([tuple(value(x) for x in line.split("\t"))
                        for line in r.stdout.splitlines() if line])

    def commit(self):
        pass

    def close(self):
        pass


def connect(data):
    """The database of the box or hub whose folder is `data`: its SQLite file, or the hub's
    PostgreSQL database when the folder names one."""
    named = os.path.join(data, "hub-database")
    if os.path.exists(named):
        with open(named) as f:
            return _PgDb(f.read().strip())
    import sqlite3
    return sqlite3.connect(os.path.join(data, "parta.db"))


def dump(run, data, school=None):
    """The canonical lines of a school box (school=None) or of a district's copy of one school."""
    args = ["district", "dump", school] if school else ["sync", "dump"]
    rc, out = run.cli(data, *args)
    if rc != 0:
        raise RuntimeError(out)
    return out.splitlines()


def integrity_ok(run, data):
    rc, out = run.cli(data, "db", "check")
    return rc == 0 and out.startswith("ok")


def jpeg(seed, size=(320, 240)):
    """A photo-like JPEG (noise does not compress, like a phone's photo of a notebook)."""
    import io
    import random
    from PIL import Image
    rnd = random.Random(seed)
    img = Image.frombytes("RGB", size, rnd.randbytes(size[0] * size[1] * 3))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def write_pack(path, pack_id, title, version, sizes, changed=(), make=None,
               kind=("pdf", "application/pdf")):
    """A content pack (tar: manifest.json, then the items) with an item of each size in `sizes`,
    random bytes (nothing compresses), the same in every version but the indices in `changed`;
    `make(i, size)` gives an item's bytes instead, `kind` its extension and type.
    Returns the items' hashes."""
    import hashlib
    import io
    import json
    import random
    import tarfile
    files = []
    for i, size in enumerate(sizes):
        rnd = random.Random(i * 1000 + (version if i in changed else 0))
        files.append((f"items/{i:03d}.{kind[0]}", make(i, size) if make else rnd.randbytes(size)))
    manifest = {"format": "parta-pack", "format_version": 1, "id": pack_id, "version": version,
                "title": title, "subjects": ["Литературное чтение"], "grades": [5],
                "items": [{"path": p, "title": f"Урок {i + 1}", "type": kind[1],
                           "size": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                          for i, (p, d) in enumerate(files)]}
    with tarfile.open(path, "w") as tar:
        for name, data in [("manifest.json", json.dumps(manifest, ensure_ascii=False).encode())] \
                + files:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            tar.addfile(ti, io.BytesIO(data))
    return [hashlib.sha256(d).hexdigest() for _, d in files]


def class_of(db, students):
    """The demo's class 5А (id 1) filled up to `students` with students added as a roster would
    (for the benchmarks that write straight into the database); their user ids."""
    ids = [r[0] for r in db.execute("SELECT user_id FROM students WHERE class_id = 1")]
    n = 0
    while len(ids) < students:
        n += 1
        db.execute("INSERT INTO users (login, last_name, first_name, role, secret_hash, created_at) "
                   "VALUES (?, 'Ученик', ?, 'student', '!', 0)", (f"bench{n}", f"Номер{n}"))
        uid = db.execute("SELECT last_insert_rowid()").fetchone()[0]
        db.execute("INSERT INTO students (user_id, student_no, class_id) VALUES (?, ?, 1)",
                   (uid, f"B{n:05d}"))
        ids.append(uid)
    return ids[:students]


def enroll_by_cli(run, school_data, district_data):
    """Enrolls a school box with the district through the stick folder, as staff would carry it.
    Returns the school's device id."""
    _, key = run.cli(district_data, "district", "key", check=True)
    run.cli(school_data, "sync", "district-key", key.strip(), check=True)
    _, out = run.cli(school_data, "sync", "request", "--to", run.stick, check=True)
    request = out.splitlines()[0].strip()
    fingerprint = re.search(r"fingerprint (\S+)", out).group(1)
    run.cli(district_data, "district", "enroll", request, "--fingerprint", fingerprint, check=True)
    run.cli(school_data, "sync", "accept", run.stick, check=True)
    return os.path.basename(request).split(".")[0]


class Teacher:
    """A teacher's and a student's actions over HTTP that make travelling records."""

    def __init__(self, base):
        self.base = base
        self.teacher = Staff(base, "smirnova", "demo2026")
        self.students = {}

    def assignment(self, title):
        self.teacher.get("/assignments/new?class=1&subject=1")
        _, _, url = self.teacher.upload("/assignments", {
            "class_id": "1", "subject_id": "1", "title": title, "body": "Текст задания",
            "grading": "mark", "due_date": "2099-01-01", "due_time": "18:00"}, [])
        return re.search(r"/assignments/(\d+)", url).group(1)

    def submit(self, assignment, login, student_id, text, photo):
        if login not in self.students:
            self.students[login] = Staff(self.base, login, "202620")
        s = self.students[login]
        s.get(f"/assignments/{assignment}/students/{student_id}")
        status, body, _ = s.upload(f"/assignments/{assignment}/students/{student_id}/submit",
                                   {"text": text}, [("files", "тетрадь.jpg", "image/jpeg", photo)])
        if status >= 400:
            raise RuntimeError(f"submit: {status} {body[:300]}")

    def grade(self, assignment, student_id, mark, comment=""):
        self.teacher.get(f"/assignments/{assignment}/students/{student_id}")
        status, body, _ = self.teacher.post(f"/assignments/{assignment}/students/{student_id}/grade",
                                            {"mark": mark, "comment": comment})
        if status >= 400:
            raise RuntimeError(f"grade: {status} {body[:300]}")
