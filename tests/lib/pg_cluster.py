"""A PostgreSQL 15 cluster of the test's own: initdb and pg_ctl in a temp folder, run as an
unprivileged user (initdb refuses root), listening only on a unix socket in that folder on a free
port. What a district hub's tests run against (issue 17); nothing is assumed to run already.

    with Cluster() as pg:
        pg.createdb("hub")
        uri = pg.uri("hub")   # postgresql://postgres@/hub?host=...&port=...
"""
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

BIN = "/usr/lib/postgresql/15/bin"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, user="nobody"):
        self.dir = tempfile.mkdtemp(prefix="parta-pg-")
        os.chmod(self.dir, 0o755)
        self.port = _free_port()
        self.prefix = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam(user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.prefix = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                           "--clear-groups"]
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self._run(f"{BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self._run(f"{BIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses='' -c max_connections=200",
                  "start")

    def _run(self, *args):
        r = subprocess.run(self.prefix + list(args), capture_output=True, text=True, cwd=self.dir,
                           timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {r.stdout}{r.stderr}")
        return r.stdout

    def uri(self, db):
        return f"postgresql://postgres@/{db}?host={self.dir}&port={self.port}"

    def psql(self, db, sql):
        """Runs SQL; the rows as lists of strings."""
        out = self._run("psql", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h",
                        self.dir, "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def createdb(self, name):
        self._run(f"{BIN}/createdb" if os.path.exists(f"{BIN}/createdb") else "createdb", "-h",
                  self.dir, "-p", str(self.port), "-U", "postgres", name)

    def stop(self):
        try:
            self._run(f"{BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        except Exception:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
