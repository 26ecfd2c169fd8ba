#!/usr/bin/env python3
"""Wrong sign-ins all at once against partad directly (no front): how many passwords were hashed,
what the clients got, and partad's peak resident memory (VmHWM).

Each client first opens the sign-in page (its own CSRF cookie), then all send a wrong secret at the
same moment. Two shapes:
  --spread  every client a different made-up login from its own loopback address (127.0.1.N):
            nothing for the limits to refuse, so the argon2id slots alone bound the memory;
  default   every client guesses at ONE account (ivanov.a), each from its own address: the
            limits decide how many hashes run (the "limits race" of issue 14).

Usage: signin_flood.py --partad build/server/partad [--clients 120] [--spread]
Loopback only; partad runs on a fresh temp data folder and is stopped at the end.
"""
import argparse
import http.client
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from common import start_partad  # noqa: E402


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--clients", type=int, default=120)
    ap.add_argument("--spread", action="store_true")
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="parta-flood-")
    proc, port = start_partad(args.partad, data)
    try:
        time.sleep(1.0)  # the demo's own hashing is over
        base_rss, base_hwm = vm(proc.pid, "VmRSS"), vm(proc.pid, "VmHWM")
        barrier = threading.Barrier(args.clients)
        results = [None] * args.clients

        def client(i):
            src = f"127.0.1.{i % 250 + 1}"

            def connect():
                return http.client.HTTPConnection("127.0.0.1", port, timeout=120,
                                                  source_address=(src, 0))
            try:
                conn = connect()
                conn.request("GET", "/login", headers={"Connection": "close"})
                r = conn.getresponse()
                body = r.read().decode()
                conn.close()
                cookie = r.getheader("Set-Cookie", "").split(";")[0]
                csrf = re.search(r'name="csrf" value="([^"]+)"', body).group(1)
                login = f"nobody{i}" if args.spread else "ivanov.a"
                form = urllib.parse.urlencode({"csrf": csrf, "login": login, "secret": "000000"})
            except Exception as e:  # noqa: BLE001 - reported, not raised
                barrier.abort()
                results[i] = (f"setup: {e}", 0.0)
                return
            barrier.wait()
            t0 = time.monotonic()
            try:
                conn = connect()
                conn.request("POST", "/login", form, {
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                    "Connection": "close"})
                r = conn.getresponse()
                r.read()
                results[i] = (r.status, time.monotonic() - t0)
            except Exception as e:  # noqa: BLE001
                results[i] = (f"error: {type(e).__name__}", time.monotonic() - t0)
            conn.close()

        threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        counts = {}
        for s, _ in results:
            counts[str(s)] = counts.get(str(s), 0) + 1
        slowest = max(d for _, d in results)
        print(f"clients={args.clients} shape={'spread' if args.spread else 'one account'}")
        print(f"statuses={dict(sorted(counts.items()))} (401 = a hash ran and said no)")
        print(f"wall={wall:.1f}s slowest_answer={slowest:.1f}s")
        print(f"before: rss={base_rss}MiB peak={base_hwm}MiB (start and demo)  "
              f"after: peak_rss(VmHWM)={vm(proc.pid, 'VmHWM')}MiB")
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
