#!/usr/bin/python3
"""Benchmark: the box's front under hostile phones (issue 14's numbers), on loopback.

What: partad (demo school, the box's partad.conf: 32 threads, trusted_front, accel_prefix)
behind nginx with the box's configuration rendered by parta-render-config --front, both started
as tests/lib/parta_front.py starts them. Three phases, each from a fresh partad process (so its
peak RSS is that phase's):
  A. quiet: a new visitor's page (a fresh connection from an address of its own, GET /login or
     GET /, one after another, 5 a second) and the signed-in student's start page under wrk
     (`wrk -t2 -cC`, after 3 s of warm-up, from 127.0.0.1, which the front does not limit, like
     the box's own tools);
  B. with IDLE idle keep-alive connections (from IDLE/10 addresses, reopened as soon as the front
     closes them) and SLOW slow-header connections (a header line every 5 s, reopened) open:
     the same visitors, then wrk again;
  C. the hostile mix: B plus 70 stalled bodies (POST /login, Content-Length 1000, 6 bytes), one
     address sending 100 requests at once every 10 s, and 100 wrong sign-ins a minute at the
     admin's account from 5 addresses; the admin then signs in with the right password.
     partad's peak RSS (VmHWM of the process started for this phase, and VmRSS sampled).
  D. (--alone) B's connections at partad itself, as before the front (64 threads), to compare.
Prints a Markdown block for tests/bench/RESULTS.md. Run it holding the build lock (2 cores):
  flock /tmp/parta-build.lock tests/bench/front_hostile.py --partad build/server/partad --alone
"""
import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "browser"))
import parta_front as pf  # noqa: E402
from common import Staff  # noqa: E402


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


class Hostile:
    """Keeps N idle keep-alive and M slow-header connections open (reopening what the front
    closes), plus, when asked, the rest of the mix."""

    def __init__(self, port, idle, slow):
        self.port, self.idle, self.slow = port, idle, slow
        self.running = True
        self.tasks = []
        self.counts = {"idle_reopened": 0, "slow_cut": 0, "stalled_ended": 0, "crowd": [],
                       "signin": []}

    def start(self):
        port = self.port
        for i in range(self.idle):
            self.tasks.append(asyncio.ensure_future(self._idle(port, pf.source(i // 10))))
        for i in range(self.slow):
            self.tasks.append(asyncio.ensure_future(self._slow(port, pf.source(100 + i))))

    def start_mix(self):
        port = self.port
        for i in range(70):
            self.tasks.append(asyncio.ensure_future(self._stalled(port, pf.source(400 + i))))
        self.tasks.append(asyncio.ensure_future(self._crowd(port)))
        for i in range(5):
            self.tasks.append(asyncio.ensure_future(self._wrong_signins(port, pf.source(600 + i))))

    async def _idle(self, port, src):
        while self.running:
            try:
                await pf.idle_keepalive(port, src, "/login", 3600)
                self.counts["idle_reopened"] += 1
            except (OSError, asyncio.IncompleteReadError):
                await asyncio.sleep(0.2)

    async def _slow(self, port, src):
        while self.running:
            try:
                await pf.slow_headers(port, src, 5.0, 3600)
                self.counts["slow_cut"] += 1
            except OSError:
                await asyncio.sleep(0.2)

    async def _stalled(self, port, src):
        while self.running:
            try:
                await pf.stalled_body(port, src, 3600)
                self.counts["stalled_ended"] += 1
            except OSError:
                await asyncio.sleep(0.2)

    async def _crowd(self, port):
        while self.running:
            got = await asyncio.gather(*[pf.visit(port, pf.source(500), "/") for _ in range(100)],
                                       return_exceptions=True)
            self.counts["crowd"] += [g[0] if isinstance(g, tuple) else "error" for g in got]
            await asyncio.sleep(10)

    async def _wrong_signins(self, port, src):
        # 100 a minute from 5 addresses: one every 3 s from each. The sign-in form's CSRF check is
        # a double-submit cookie, which a script fills in itself.
        body = "csrf=0123456789abcdef&login=admin&secret=wrong-password-1"
        while self.running:
            try:
                r, w = await asyncio.open_connection("127.0.0.1", port, local_addr=(src, 0))
                w.write((f"POST /login HTTP/1.1\r\nHost: parta.school\r\nConnection: close\r\n"
                         f"Cookie: parta_csrf=0123456789abcdef\r\n"
                         f"Content-Type: application/x-www-form-urlencoded\r\n"
                         f"Content-Length: {len(body)}\r\n\r\n{body}").encode())
                await w.drain()
                status, _, page = await pf.read_response(r)
                # The front's 429 page says "Too many requests"; partad's lockout is its own page.
                by = "front" if status == 429 and b"Too many requests" in page else "partad"
                self.counts["signin"].append((by, status))
                w.close()
            except (OSError, asyncio.IncompleteReadError):
                pass
            await asyncio.sleep(3)

    async def stop(self):
        self.running = False
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def visitors(port, seconds, first):
    """A new visitor every 0.2 s for `seconds` (each given up after 5 s): [(status, seconds)]."""
    out = []

    async def one(n):
        try:
            out.append(await pf.visit(port, pf.source(first + n), "/login" if n % 2 else "/", 5))
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            out.append((repr(e), None))
    tasks = []
    for n in range(int(seconds * 5)):
        tasks.append(asyncio.ensure_future(one(n)))
        await asyncio.sleep(0.2)
    await asyncio.gather(*tasks)
    return out


async def wrk(url, cookie, conns, seconds):
    p = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "5s", "--latency", "-H", "Accept-Encoding: gzip",
        "-H", cookie, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out = (await p.communicate())[0].decode()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not rps:  # wrk could not even connect (partad alone, its queue full)
        return 0.0, None, 0
    rps = float(rps.group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else None
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(non2xx.group(1)) if non2xx else 0


def summary(vis):
    ok = [t for s, t in vis if s == 200]
    return {"n": len(vis), "ok": len(ok), "p50": pct(ok, 50) * 1000, "p99": pct(ok, 99) * 1000,
            "max": max(ok) * 1000 if ok else float("nan")}


async def rss_sampler(front, peak, running):
    while running[0]:
        try:
            peak[0] = max(peak[0], front.partad_status("VmRSS"))
        except (OSError, KeyError):
            pass
        await asyncio.sleep(0.1)


async def phase(front, hostile, mix, args, cookie, first_visitor, direct=False):
    """One measurement: returns visitors' summary, wrk's (rps, p99, non-2xx), peak RSS, counts.
    direct: everything goes to partad itself, as before the front."""
    port, base = (front.partad_port, front.direct) if direct else (front.port, front.base)
    h = Hostile(port, hostile[0], hostile[1]) if hostile else None
    peak, running = [0], [True]
    sampler = asyncio.ensure_future(rss_sampler(front, peak, running))
    # The admin's own phone has signed in to the box before the attack (so it holds her device
    # cookie), and signed out.
    phone = AdminPhone(base) if mix else None
    if h:
        h.start()
        if mix:
            h.start_mix()
        await asyncio.sleep(args.ramp)  # all of them open (and the first slow ones cut) by then
    open_at_front = pf.established_to(port)
    vis = summary(await visitors(port, args.visit_seconds, first_visitor))
    await wrk(base + "/", cookie, args.conns, 3)  # warm-up (partad just started), not kept
    rps = await wrk(base + "/", cookie, args.conns, args.seconds)
    partad_conns = pf.established_to(front.partad_port)
    admin = None
    if mix:
        # The admin, from her own phone, with the right password, while her account is attacked.
        loop = asyncio.get_event_loop()
        admin = await loop.run_in_executor(None, admin_signs_in, front, phone)
    running[0] = False
    await sampler
    counts = dict(h.counts) if h else {}
    if h:
        await h.stop()
    return {"visitors": vis, "wrk": rps, "open_at_front": open_at_front,
            "partad_conns": partad_conns, "rss_sampled": peak[0],
            "hwm": front.partad_status("VmHWM"), "threads": front.partad_status("Threads"),
            "nginx_rss": front.nginx_rss_kb(), "counts": counts, "admin": admin}


class AdminPhone:
    """The admin's own phone: signed in once (it keeps the box's device cookie), then signed out."""

    def __init__(self, base):
        self.s = Staff(base, "admin", "demo2026")
        self.s.post("/logout", {})

    def sign_in(self):
        self.s.get("/login")
        self.s.post("/login", {"login": "admin", "secret": "demo2026"})
        return 'action="/logout"' in self.s.get("/")


def admin_signs_in(front, phone):
    """Her own phone, then a phone that never signed in to this account (OWASP: an untrusted
    device is what the per-account limit stops while the account is attacked)."""
    try:
        own = "**signed in**" if phone.sign_in() else "refused"
    except Exception as e:  # the page says why (a lockout is a 429 page)
        own = "refused: " + str(e)[:80]
    try:
        Staff(front.base, "admin", "demo2026")
        new = "signed in"
    except Exception as e:
        new = "refused (" + str(e)[:60] + ")"
    return f"from her own phone {own}; from a phone new to the account {new}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--idle", type=int, default=500)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--conns", type=int, default=32, help="wrk's connections")
    ap.add_argument("--seconds", type=int, default=15, help="each wrk run")
    ap.add_argument("--visit-seconds", type=int, default=20, help="visitors, 5 a second")
    ap.add_argument("--ramp", type=int, default=8, help="seconds to open the hostile connections")
    ap.add_argument("--alone", action="store_true",
                    help="also the same connections at partad alone (64 threads), for comparison")
    args = ap.parse_args()
    pf.raise_fd_limit()
    tmp = tempfile.mkdtemp(prefix="parta-bench-front-")
    front = pf.Front(args.partad, tmp, partad_settings={"log_level": "warning"})
    results = {}
    try:
        front.start()
        front.stop_partad()
        front.demo = False  # the school is there; later starts measure only their own peak
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        phases = [("quiet", None, False, False), ("hostile", (args.idle, args.slow), False, False),
                  ("mix", (args.idle, args.slow), True, False)]
        if args.alone:
            phases.append(("alone", (args.idle, args.slow), False, True))
        for name, hostile, mix, direct in phases:
            # Alone: partad as it ran before the front (64 threads, the phones at its port).
            front.start_partad(["--threads", "64"] if direct else [])
            student = Staff(front.base, "ivanov.a", "202620")
            cookie = "Cookie: parta_session=" + [c.value for h in student.opener.handlers
                                                 for c in getattr(h, "cookiejar", [])
                                                 if c.name == "parta_session"][0]
            print(f"phase {name} …", file=sys.stderr, flush=True)
            results[name] = loop.run_until_complete(
                phase(front, hostile, mix, args, cookie, 1000 * (len(results) + 1), direct))
            print(results[name], file=sys.stderr, flush=True)
            front.stop_partad()
    finally:
        front.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(results, args)


def report(r, args):
    q, h, m = r["quiet"], r["hostile"], r["mix"]
    ratio = h["wrk"][0] / q["wrk"][0]
    commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "unknown"
    mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    nginx_v = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    mix_counts = m["counts"]
    crowd = mix_counts.get("crowd", [])
    signin = mix_counts.get("signin", [])
    partad_answers = {}
    for by, status in signin:
        if by == "partad":
            partad_answers[status] = partad_answers.get(status, 0) + 1

    def vis(x):
        v = x["visitors"]
        if not v["ok"]:
            return f"none of {v['n']} answered"
        return (f"{v['ok']}/{v['n']} answered, p50 {v['p50']:.0f} ms, **p99 {v['p99']:.0f} ms**, "
                f"max {v['max']:.0f} ms")
    print(f"""### {time.strftime('%Y-%m-%d')} — {args.idle} idle keep-alive + {args.slow} slow-header connections through the front

- machine: {os.cpu_count()} cores, {mem} GiB, {platform.machine()}, {platform.freedesktop_os_release().get('PRETTY_NAME', '')}; load generator, wrk, nginx and partad share the cores
- partad {commit} (RelWithDebInfo, 32 threads) behind {nginx_v.split(': ')[-1]} with the box's rendered configuration; wrk `-t2 -c{args.conns} -d{args.seconds}s` on the signed-in student's start page from 127.0.0.1; visitors: a new connection from a new address, 5 a second for {args.visit_seconds} s
- quiet: visitors {vis(q)}; wrk **{q['wrk'][0]:.0f} req/s**, p99 {q['wrk'][1]:.1f} ms
- with the hostile connections open ({h['open_at_front']} connections at the front when measured): visitors {vis(h)}; wrk **{h['wrk'][0]:.0f} req/s**, p99 {h['wrk'][1]:.1f} ms, non-2xx {h['wrk'][2]}
- throughput with / without: **{ratio:.2f}** (target ≥ 0.8: {'met' if ratio >= 0.8 else 'MISSED'}); visitors' p99 {h['visitors']['p99']:.0f} ms (target < 300 ms: {'met' if h['visitors']['p99'] < 300 else 'MISSED'})
- partad meanwhile: {h['partad_conns']} connections from the front, {h['threads']} threads (fixed pool), peak RSS {h['hwm'] // 1024} MiB; nginx (master + workers) {h['nginx_rss'] // 1024} MiB
- the whole mix (+ 70 stalled bodies, 100 requests at once from one address every 10 s, 100 wrong sign-ins a minute at `admin` from 5 addresses): visitors {vis(m)}; wrk {m['wrk'][0]:.0f} req/s; partad **peak RSS {m['hwm'] // 1024} MiB** (VmHWM of the process started for this phase; sampled VmRSS max {m['rss_sampled'] // 1024} MiB); the crowd: {crowd.count(200)} answered, {crowd.count(429)} refused (429) by the front; wrong sign-ins: {len(signin)} sent, {sum(1 for b, _ in signin if b == 'front')} refused by the front (429), partad answered {', '.join(f'{c}×{n}' for c, n in sorted(partad_answers.items()))}; the admin with the right password: {m['admin']}
""")
    if "alone" in r:
        a = r["alone"]
        print(f"""- for comparison, the same {args.idle} + {args.slow} connections at partad alone (no front, 64 threads, as before this change; visitors and wrk given up after 5 s): visitors {vis(a)}; wrk {a['wrk'][0]:.0f} req/s{' (it could not even connect)' if not a['wrk'][0] else ''}
""")


if __name__ == "__main__":
    main()
