"""The box's front as the tests and benchmarks run it: partad on a loopback port behind nginx,
both configured the way the box configures them (partad.conf with trusted_front and
accel_prefix, nginx's configuration rendered from it by firmware/bin/parta-render-config from
firmware/config/front.conf.in), each in a folder of the caller's. Plus the hostile clients of
issue 14 (idle keep-alive, slow headers, stalled bodies) as asyncio coroutines, and what partad
holds open, read from /proc."""
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from common import free_port  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIRMWARE = os.path.join(ROOT, "firmware")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def raise_fd_limit():
    """Hostile tests open a thousand sockets: the soft limit up to the hard one."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


class Front:
    """partad (--demo unless told otherwise) on 127.0.0.1:PORT behind nginx on 127.0.0.1:PORT2.

    folder holds data/ (partad's data folder) and front/ (partad.conf, nginx.conf, the pid file,
    the logs). base is the front's URL, direct partad's own."""

    def __init__(self, partad, folder, demo=True, partad_settings=None):
        self.partad_binary = partad
        self.folder = os.path.abspath(folder)
        self.data = os.path.join(self.folder, "data")
        self.run = os.path.join(self.folder, "front")
        os.makedirs(self.data, exist_ok=True)
        os.makedirs(self.run, exist_ok=True)
        self.partad_port = free_port()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.direct = f"http://127.0.0.1:{self.partad_port}"
        self.conf = os.path.join(self.run, "partad.conf")
        settings = {"data": self.data, "listen": f"127.0.0.1:{self.partad_port}",
                    "trusted_front": "127.0.0.1", "accel_prefix": "/_accel/blobs/",
                    "portal_host": "parta.school", "threads": "32", "log_level": "debug"}
        settings.update(partad_settings or {})
        with open(self.conf, "w") as f:
            f.writelines(f"{k} = {v}\n" for k, v in settings.items())
        self.demo = demo
        self.partad = None
        self.nginx = None
        self.partad_log_path = os.path.join(self.folder, "partad.log")
        self.nginx_log_path = os.path.join(self.run, "nginx.log")

    def render(self):
        r = subprocess.run([os.path.join(FIRMWARE, "bin", "parta-render-config"),
                            "--front", os.path.join(self.run, "nginx.conf"),
                            "--partad-conf", self.conf, "--listen", f"127.0.0.1:{self.port}",
                            "--run-dir", self.run, "--errors", os.path.join(FIRMWARE, "front"),
                            "--templates", os.path.join(FIRMWARE, "config")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("parta-render-config --front: " + r.stderr)
        return os.path.join(self.run, "nginx.conf")

    def start_partad(self, extra=()):
        log = open(self.partad_log_path, "a")
        args = [self.partad_binary, "--config", self.conf, *extra] + \
            (["--demo"] if self.demo else [])
        self.partad = subprocess.Popen(args, stdout=log, stderr=log)
        # Listening (whatever its log level says) once a connection is taken.
        if not wait_listening(self.partad_port, self.partad, 60):
            raise RuntimeError("partad did not start: " + self.partad_log()[-3000:])

    def stop_partad(self):
        if self.partad and self.partad.poll() is None:
            self.partad.send_signal(signal.SIGTERM)
            self.partad.wait(timeout=30)
        self.partad = None

    def start_nginx(self):
        conf = self.render()
        # Started unprivileged it runs as its caller; started by root (CI, this VM) its workers
        # would become "nobody", who cannot read partad's files (0640): keep them root then.
        globals_ = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        log = open(self.nginx_log_path, "a")
        self.nginx = subprocess.Popen([NGINX, "-p", self.run, "-c", conf, "-g", globals_],
                                      stdout=log, stderr=log)
        if not wait_listening(self.port, self.nginx, 15):
            raise RuntimeError("nginx did not start: " + self.nginx_log()[-3000:])

    def start(self):
        try:
            self.start_partad()
            self.start_nginx()
        except BaseException:
            self.stop()  # nothing left running when the front cannot start
            raise
        return self

    def stop(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        self.nginx = None
        self.stop_partad()

    def partad_log(self):
        return open(self.partad_log_path, errors="replace").read()

    def nginx_log(self):
        return open(self.nginx_log_path, errors="replace").read()

    def partad_connections(self):
        """Established TCP connections to partad's port (the front's, and anyone else's)."""
        return established_to(self.partad_port)

    def partad_status(self, field):
        """A field of /proc/PID/status of partad, as a number (VmRSS and VmHWM in kB)."""
        with open(f"/proc/{self.partad.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def nginx_pids(self):
        """The master and its workers."""
        pids = [self.nginx.pid]
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == self.nginx.pid:
                            pids.append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        return pids

    def nginx_rss_kb(self):
        total = 0
        for pid in self.nginx_pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    total += int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
            except (OSError, AttributeError):
                pass
        return total


def wait_listening(port, proc, timeout):
    """Whether something takes connections on 127.0.0.1:port within `timeout` seconds, while
    proc runs."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            if proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def established_to(port):
    """How many ESTABLISHED TCP sockets on this machine have `port` as their local port."""
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                n += 1
    return n


class Checks:
    """A test's checks: each printed as it is made; the failures counted for the exit code."""

    def __init__(self, name):
        self.name = name
        self.failures = []

    def __call__(self, cond, what):
        print(("ok   " if cond else "FAIL ") + what, flush=True)
        if not cond:
            self.failures.append(what)

    def crashed(self, e):
        import traceback
        traceback.print_exc()
        self.failures.append(f"crashed: {e}")

    def finish(self, tmp):
        """The exit code; the scratch folder is kept when something failed."""
        if self.failures:
            print(f"{self.name}: {len(self.failures)} failed; files kept in {tmp}")
            return 1
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"{self.name}: passed")
        return 0


# ---- hostile clients (asyncio) ----
# Each takes the front's port and a source address on 127/8, so that they come from "phones" of
# their own, and returns (or records) what happened to it.

async def _connect(port, src):
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))


async def read_response(reader):
    """Status and body of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = b""
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
    return status, headers, body


async def wait_closed_by_server(reader, limit):
    """Seconds until the server closes the connection (reads and drops what comes), or None
    when it is still open after `limit` seconds."""
    start = time.monotonic()
    try:
        while True:
            left = limit - (time.monotonic() - start)
            if left <= 0:
                return None
            data = await asyncio.wait_for(reader.read(4096), left)
            if not data:
                return time.monotonic() - start
    except asyncio.TimeoutError:
        return None
    except (ConnectionError, OSError):
        return time.monotonic() - start


async def idle_keepalive(port, src, path, hold):
    """One request, then the connection left idle (what a phone leaves behind after a page).
    Returns (status, seconds until the front closed it or None)."""
    reader, writer = await _connect(port, src)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: parta.school\r\n\r\n".encode())
        await writer.drain()
        status, _, _ = await read_response(reader)
        return status, await wait_closed_by_server(reader, hold)
    finally:
        writer.close()


async def slow_headers(port, src, every, hold):
    """A request line, then one header line every `every` seconds and never the end of the
    headers. Returns seconds until the front closed it (or None if it never did)."""
    reader, writer = await _connect(port, src)
    start = time.monotonic()
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: parta.school\r\n")
        await writer.drain()
        n = 0
        while time.monotonic() - start < hold:
            closed = await wait_closed_by_server(reader, every)
            if closed is not None:
                return time.monotonic() - start
            n += 1
            try:
                writer.write(f"X-Slow-{n}: {'a' * 20}\r\n".encode())
                await writer.drain()
            except (ConnectionError, OSError):
                return time.monotonic() - start
        return None
    finally:
        writer.close()


async def stalled_body(port, src, hold, path="/login"):
    """POST with Content-Length 1000 and 6 bytes of it. Returns (status or None, seconds until
    the front answered or closed, or None)."""
    reader, writer = await _connect(port, src)
    start = time.monotonic()
    try:
        writer.write((f"POST {path} HTTP/1.1\r\nHost: parta.school\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: 1000\r\n\r\nlogin=").encode())
        await writer.drain()
        try:
            status, _, _ = await asyncio.wait_for(read_response(reader), hold)
            return status, time.monotonic() - start
        except asyncio.TimeoutError:
            return None, None
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            return None, time.monotonic() - start
    finally:
        writer.close()


async def visit(port, src, path="/login", timeout=30):
    """A new visitor: a fresh connection from its own address, one page. Returns (status,
    seconds to the whole answer)."""
    start = time.monotonic()
    reader, writer = await asyncio.wait_for(_connect(port, src), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: parta.school\r\nAccept-Encoding: gzip\r\n"
                     "Connection: close\r\n\r\n".encode())
        await writer.drain()
        status, _, _ = await asyncio.wait_for(read_response(reader), timeout)
        return status, time.monotonic() - start
    finally:
        writer.close()


def source(i):
    """The i-th "phone": 127.0.x.y, away from 127.0.0.1 (which the front does not limit)."""
    return f"127.0.{10 + i // 250}.{1 + i % 250}"


def http_get(url, headers=None, timeout=30):
    """(status, headers, body) of a GET, errors included, redirects not followed."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None
    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def have_nginx():
    return os.path.exists(NGINX)
