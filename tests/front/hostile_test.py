#!/usr/bin/python3
"""Hostile phones against the box's front (issue 14), on loopback, bounded in time and count:
idle keep-alive connections, slow headers (a header line every few seconds), stalled bodies
(POST /login with Content-Length 1000 and 6 bytes), and one address opening many connections at
once, all at the same time, while new visitors keep opening the sign-in page. Each "phone" has
its own address on 127/8. Before the front, the same load stopped the portal (12 s waits, no
answer for 35 s); through the front a new visitor's page must answer promptly and partad must
hold only a few connections.

Short by default (CI); --long (PARTA_LONG_TESTS=ON) holds more connections for longer.
Exit codes: 0 passed, 1 failed, 77 skipped (nginx missing outside CI).
"""
import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import parta_front as pf  # noqa: E402

# What the front is configured with (firmware/config/front.conf.in), plus slack for a busy CI box.
KEEPALIVE_S = 10
HEADER_S = 10
BODY_S = 10
SLACK_S = 4

PROFILES = {
    #         idle  from   slow  every  stalled  crowd  hold  visitors/s
    "short": (300, 30, 100, 2.0, 70, 100, 25, 4),
    "long": (1000, 100, 300, 3.0, 200, 300, 120, 4),
}


async def attack(front, profile, samples):
    idle_n, idle_from, slow_n, every, stalled_n, crowd_n, hold, rate = PROFILES[profile]
    stop = time.monotonic() + hold
    out = {"idle": [], "idle_status": [], "slow": [], "stalled": [], "crowd": [], "visits": []}

    rnd = random.Random(14)

    async def slot(src, attempt, record):
        """One hostile phone: `attempt` (which returns when the front closes its connection)
        again and again until the run ends; each result, or error, goes to `record`. Phones do
        not all arrive in the same millisecond: they start over the first 3 s (else all of them
        would reload their page at once every 10 s, a classroom's worth at a time)."""
        await asyncio.sleep(rnd.uniform(0, 3))
        while time.monotonic() < stop - 1:
            try:
                record(await attempt(src, max(1.0, stop - time.monotonic())))
            except (OSError, asyncio.IncompleteReadError) as e:
                record(e)
                await asyncio.sleep(0.5)

    def idle_done(r):
        if isinstance(r, Exception):
            out["idle_status"].append(repr(r))
            return
        out["idle_status"].append(r[0])
        if r[1] is not None:
            out["idle"].append(r[1])

    def slow_done(r):
        if isinstance(r, float):
            out["slow"].append(r)

    def stalled_done(r):
        if isinstance(r, tuple) and r[1] is not None:
            out["stalled"].append(r)

    port = front.port
    idle = [slot(pf.source(i % idle_from),
                 lambda src, left: pf.idle_keepalive(port, src, "/login", left), idle_done)
            for i in range(idle_n)]
    slow = [slot(pf.source(100 + i), lambda src, left: pf.slow_headers(port, src, every, left),
                 slow_done) for i in range(slow_n)]
    stalled = [slot(pf.source(300 + i), lambda src, left: pf.stalled_body(port, src, left),
                    stalled_done) for i in range(stalled_n)]

    async def crowd():
        # One phone, many requests at once, twice during the run.
        src = pf.source(500)
        for _ in range(2):
            got = await asyncio.gather(*[pf.visit(front.port, src, "/") for _ in range(crowd_n)],
                                       return_exceptions=True)
            out["crowd"] += [g[0] if isinstance(g, tuple) else repr(g) for g in got]
            await asyncio.sleep(hold / 3)

    async def visitors():
        await asyncio.sleep(4)  # the hostile connections are open by then
        i = 0
        while time.monotonic() < stop - 1:
            async def one(n):
                try:
                    out["visits"].append(await pf.visit(front.port, pf.source(1000 + n),
                                                        "/login" if n % 2 else "/"))
                except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
                    out["visits"].append((repr(e), None))
            asyncio.ensure_future(one(i))
            i += 1
            await asyncio.sleep(1 / rate)

    async def sampler():
        while time.monotonic() < stop:
            samples.append((pf.established_to(front.partad_port), pf.established_to(front.port)))
            await asyncio.sleep(0.2)

    tasks = idle + slow + stalled + [crowd(), visitors(), sampler()]
    await asyncio.wait_for(asyncio.gather(*tasks), hold + 60)
    await asyncio.sleep(1)  # the last visitors' answers
    return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--long", action="store_true", help="more connections for longer (nightly)")
    args = ap.parse_args()
    if not pf.have_nginx():
        print("hostile test: nginx is missing (tools/install-deps.sh installs it)")
        return 1 if os.environ.get("CI") == "true" else 77
    profile = "long" if args.long else "short"
    limit = pf.raise_fd_limit()
    check = pf.Checks("hostile test")

    tmp = tempfile.mkdtemp(prefix="parta-hostile-")
    front = None
    try:
        front = pf.Front(args.partad, tmp, partad_settings={"log_level": "debug"}).start()
        idle_n, _, slow_n, _, stalled_n, crowd_n, hold, _ = PROFILES[profile]
        print(f"profile {profile}: {idle_n} idle keep-alive, {slow_n} slow-header, {stalled_n} "
              f"stalled-body connections, {crowd_n} at once from one address, {hold} s "
              f"(fd limit {limit})", flush=True)
        threads_before = front.partad_status("Threads")
        samples = []
        t0 = time.monotonic()
        out = asyncio.new_event_loop().run_until_complete(attack(front, profile, samples))
        print(f"ran {time.monotonic() - t0:.0f} s", flush=True)

        visits = out["visits"]
        ok = [t for s, t in visits if s == 200]
        check(len(visits) >= hold and len(ok) == len(visits),
              f"every new visitor got the page: {len(ok)} of {len(visits)}"
              + ("" if len(ok) == len(visits) else f" ({[s for s, _ in visits if s != 200][:5]})"))
        if ok:
            p50, p99, worst = percentile(ok, 50), percentile(ok, 99), max(ok)
            print(f"     visitors: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
                  f"max {worst * 1000:.0f} ms", flush=True)
            check(p50 < 0.5 and worst < 3, "promptly: median under 0.5 s, none over 3 s")
        peak_partad = max(s[0] for s in samples)
        peak_front = max(s[1] for s in samples)
        print(f"     connections at the front: peak {peak_front}; to partad: peak {peak_partad}, "
              f"median {statistics.median(s[0] for s in samples)}", flush=True)
        check(peak_front >= (idle_n + slow_n + stalled_n) // 2,
              f"the hostile connections were open at the front ({peak_front})")
        check(peak_partad <= 40, f"partad held few connections ({peak_partad}; it has 32 threads)")
        threads_after = front.partad_status("Threads")
        check(threads_after <= threads_before + 2,
              f"partad's threads did not grow ({threads_before} → {threads_after})")

        idle = out["idle"]
        check(bool(idle) and KEEPALIVE_S - 1 <= statistics.median(idle) <= KEEPALIVE_S + SLACK_S,
              f"idle keep-alive connections closed by the front after ~{KEEPALIVE_S} s "
              f"(median {statistics.median(idle) if idle else 0:.1f} s, {len(idle)} closed)")
        bad_idle = [s for s in out["idle_status"] if s != 200]
        check(not bad_idle, f"their pages were answered before they went idle ({len(bad_idle)} not)")
        slow = out["slow"]
        check(len(slow) >= slow_n and max(slow) <= HEADER_S + SLACK_S,
              f"slow headers cut after at most {HEADER_S} s although a line came every few "
              f"seconds ({len(slow)} cut, the slowest after {max(slow) if slow else 0:.1f} s)")
        stalled = out["stalled"]
        check(len(stalled) >= stalled_n and max(t for _, t in stalled) <= BODY_S + SLACK_S,
              f"stalled bodies ended after ~{BODY_S} s of silence ({len(stalled)}; statuses "
              f"{sorted(set(str(s) for s, _ in stalled))})")
        log = front.partad_log()
        stalled_from = {pf.source(300 + i) for i in range(stalled_n)}
        leaked = [line for line in log.splitlines()
                  if (m := re.search(r"POST /login \d+ for (\S+)", line)) and m.group(1) in stalled_from]
        check(not leaked, f"partad never saw a stalled sign-in ({len(leaked)} did reach it)")
        crowd = out["crowd"]
        refused = crowd.count(429)
        check(refused > 0 and all(c in (200, 429) for c in crowd),
              f"one address with {crowd_n} requests at once: {crowd.count(200)} answered, "
              f"{refused} refused with 429, nothing else")
        errors = front.nginx_log()
        check("worker_connections are not enough" not in errors and "[emerg]" not in errors,
              "nginx had connections enough")
        print(f"     partad RSS {front.partad_status('VmRSS') // 1024} MiB (peak "
              f"{front.partad_status('VmHWM') // 1024} MiB), nginx (all processes) "
              f"{front.nginx_rss_kb() // 1024} MiB", flush=True)
    except Exception as e:  # a crash is a failure with its reason, and the files are kept
        check.crashed(e)
    finally:
        if front:
            front.stop()
    return check.finish(tmp)


if __name__ == "__main__":
    sys.exit(main())
