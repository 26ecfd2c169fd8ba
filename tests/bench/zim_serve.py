#!/usr/bin/python3
"""partad beside kiwix-serve on the same ZIM archive, in one run (issue 19):
  - adding the archive (partad: the admin's "check and add" from a stick's waiting folder: the
    whole-file check and the move);
  - article throughput and latency at 30 connections (wrk, gzip accepted): a class reading the
    same 30 articles, and browsing (each request a random one of all the articles);
  - search: 40 different queries, each asked for the first time, one at a time: p50 and p99
    (partad: the archive's search page, titles then full text; kiwix-serve: /search);
  - RSS of each server as the burst ends, 12 s after it (partad: trimmed, the archive still open)
    and 35 s after it (partad: the archive closed after 20 s without readers) (VmRSS: anonymous
    memory and file pages mapped from the archive, RssAnon and RssFile), and its peak (VmHWM).

  tests/bench/zim_serve.py --partad build/server/partad --zim big.zim [--seconds 10] [--out f.json]

Make a 1 GB archive with `tests/fixtures/zim/make_zims.py DIR --big 1024` (articles of Russian
text, each with a 60 KB picture that does not compress). Run it holding the build lock
(`flock /tmp/parta-build.lock ...`): it uses both cores.
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser"))
from common import Staff, start_partad  # noqa: E402

WORDS = ("лес река поле город школа ученик учитель книга задача ответ урок класс день ночь "
         "солнце ветер дерево птица зверь вода").split()


def status(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # MiB
    return 0.0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_ns(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1e9 / os.sysconf("SC_CLK_TCK")


def wrk(url_base, prefix, articles, cookie, seconds, connections, pattern, pid):
    """pattern "class": the 30 phones read the same 30 articles (a lesson's reading);
    "browse": each request a random one of all the archive's articles."""
    fd, script = tempfile.mkstemp(suffix=".lua")
    pick = ("(i % 30) * 7" if pattern == "class" else f"math.random(0, {articles - 1})")
    with os.fdopen(fd, "w") as f:
        f.write("local i = 0\n"
                "math.randomseed(os.time())\n"
                "request = function()\n"
                "  i = i + 1\n"
                f"  return wrk.format('GET', '{prefix}' .. ({pick}), "
                "{['Cookie'] = '" + cookie + "', ['Accept-Encoding'] = 'gzip'})\n"
                "end\n")
    before = cpu_ns(pid)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          script, url_base], capture_output=True, text=True).stdout
    os.remove(script)
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    # The server's CPU time per request: steadier than requests per second on a busy machine.
    done = int(re.search(r"(\d+) requests in", out).group(1))
    res["cpu_us"] = round((cpu_ns(pid) - before) / max(done, 1) / 1e3)
    # wrk shares the two cores: its own CPU per request says how much was left to the server.
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["wrk_cpu_us"] = round((ru2.ru_utime + ru2.ru_stime - ru.ru_utime - ru.ru_stime) /
                              max(done, 1) * 1e6)
    for q in ("50", "99"):
        m = re.search(q + r"%\s+([\d.]+)(us|ms|s)\b", out)
        res[f"p{q}_ms"] = round(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)], 2)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(bad.group(1)) if bad else 0
    return res, out


def timed_get(url, cookie=""):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    t = time.perf_counter()
    with urllib.request.urlopen(req) as r:
        body = r.read()
        code = r.status
    return (time.perf_counter() - t) * 1000, code, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--zim", required=True)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=30)
    ap.add_argument("--out")
    ap.add_argument("--perf", help="perf record partad during its wrk run into this file")
    ap.add_argument("--partad-only", action="store_true", help="leave kiwix-serve out (trials)")
    args = ap.parse_args()
    from libzim.reader import Archive
    archive = Archive(args.zim)
    n = archive.article_count
    rnd = random.Random(1)
    # The generated archive's articles are Статья_0 … (its main page says which scheme).
    quoted = [urllib.parse.quote(f"Статья_{rnd.randrange(n - 1)}")]
    article = urllib.parse.quote("Статья_")
    res = {"archive_mb": round(os.path.getsize(args.zim) / 2**20), "articles": n,
           "connections": args.connections, "machine": os.uname().nodename,
           "cpus": os.cpu_count()}
    tmp = tempfile.mkdtemp(prefix="parta-zimbench-")
    procs = []
    try:
        # ---- partad ----
        proc, port = start_partad(args.partad, tmp)
        procs.append(proc)
        base = f"http://127.0.0.1:{port}"
        admin = Staff(base, "admin", "demo2026")
        res["partad_rss_idle_mib"] = round(status(proc.pid, "VmRSS"), 1)
        res["partad_rss_idle_anon_mib"] = round(status(proc.pid, "RssAnon"), 1)
        waiting = os.path.join(tmp, "db", "packs-waiting")
        os.makedirs(waiting, exist_ok=True)
        try:
            os.link(args.zim, os.path.join(waiting, "big.zim"))
        except OSError:
            shutil.copy(args.zim, os.path.join(waiting, "big.zim"))
        admin.get("/admin/zim")
        t = time.perf_counter()
        _, body, _ = admin.post("/admin/zim/usb", {"name": "big.zim", "action": "add"})
        # Checked in the background past a few seconds: the archives page says when it is done.
        while "проверяется…" in body or "Проверяю" in body and "проверен и добавлен" not in body:
            time.sleep(0.2)
            body = admin.get("/admin/zim")
        res["partad_add_s"] = round(time.perf_counter() - t, 1)
        if "проверен и добавлен" not in body:
            raise RuntimeError("partad did not add the archive: " + body[:500])
        title = archive.get_metadata("Title").decode()
        zid = re.search(r"/library/zim/(\d+)\">" + re.escape(title) + "<",
                        admin.get("/library")).group(1)
        res["partad_rss_added_mib"] = round(status(proc.pid, "VmRSS"), 1)
        student = Staff(base, "ivanov.a", "202620")
        cookie = "; ".join(f"{c.name}={c.value}" for c in student.opener.handlers[-1].cookiejar) \
            if hasattr(student.opener.handlers[-1], "cookiejar") else ""
        if not cookie:
            for h in student.opener.handlers:
                if hasattr(h, "cookiejar"):
                    cookie = "; ".join(f"{c.name}={c.value}" for c in h.cookiejar)
        ms, code, page = timed_get(f"{base}/zim/{zid}/{quoted[0]}", cookie)
        if code != 200 or "Статья" not in page.decode():
            raise RuntimeError(f"partad does not serve the article ({code})")
        res["partad_search"] = []
        for i in range(40):
            q = urllib.parse.quote(f"{WORDS[i % 20]} {WORDS[(i * 7 + 3) % 20]}")
            ms, code, _ = timed_get(f"{base}/library/zim/{zid}?q={q}", cookie)
            res["partad_search"].append(round(ms, 1))
        perf = None
        if args.perf:
            perf = subprocess.Popen(["perf", "record", "-F", "299", "--call-graph", "dwarf,16384", "-o", args.perf, "-p",
                                     str(proc.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        for pattern in ("class", "browse"):
            res[f"partad_wrk_{pattern}"], out = wrk(base, f"/zim/{zid}/{article}", n, cookie,
                                                    args.seconds, args.connections, pattern,
                                                    proc.pid)
            print(out)
        if perf:
            perf.send_signal(2)
            perf.wait()
        print(out)
        time.sleep(2)
        res["partad_rss_busy_mib"] = round(status(proc.pid, "VmRSS"), 1)  # as the burst ends
        # What partad keeps once the burst is over: every 10 s it gives freed memory back, and
        # closes the archives nobody read for 20 s (their cached clusters go).
        time.sleep(10)
        res["partad_rss_open_mib"] = round(status(proc.pid, "VmRSS"), 1)  # still open
        time.sleep(23)
        res["partad_rss_mib"] = round(status(proc.pid, "VmRSS"), 1)
        res["partad_hwm_mib"] = round(status(proc.pid, "VmHWM"), 1)
        # Anonymous memory (the process's own) and file pages mapped from the archive (the
        # kernel's page cache, given back under memory pressure).
        res["partad_rss_anon_mib"] = round(status(proc.pid, "RssAnon"), 1)
        res["partad_rss_file_mib"] = round(status(proc.pid, "RssFile"), 1)

        if args.partad_only:
            return report(res, args)
        # ---- kiwix-serve ----
        kport = free_port()
        # libzim's defaults for kiwix-serve: partad's trials set ZIM_CLUSTERCACHE & co.
        kenv = {k: v for k, v in os.environ.items() if not k.startswith("ZIM_")}
        kiwix = subprocess.Popen(["kiwix-serve", "--port", str(kport), "--address", "127.0.0.1",
                                  args.zim], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 env=kenv)
        procs.append(kiwix)
        kbase = f"http://127.0.0.1:{kport}"
        book = os.path.splitext(os.path.basename(args.zim))[0]
        for _ in range(100):
            try:
                timed_get(f"{kbase}/{book}/{quoted[0]}")
                break
            except Exception:  # noqa: BLE001
                time.sleep(0.1)
        res["kiwix_search"] = []
        for i in range(40):
            q = urllib.parse.quote(f"{WORDS[i % 20]} {WORDS[(i * 7 + 3) % 20]}")
            ms, code, _ = timed_get(f"{kbase}/search?content={book}&pattern={q}")
            res["kiwix_search"].append(round(ms, 1))
        for pattern in ("class", "browse"):
            res[f"kiwix_wrk_{pattern}"], out = wrk(kbase, f"/{book}/{article}", n, "",
                                                   args.seconds, args.connections, pattern,
                                                   kiwix.pid)
            print(out)
        print(out)
        time.sleep(2)
        res["kiwix_rss_busy_mib"] = round(status(kiwix.pid, "VmRSS"), 1)
        time.sleep(33)
        res["kiwix_rss_mib"] = round(status(kiwix.pid, "VmRSS"), 1)
        res["kiwix_hwm_mib"] = round(status(kiwix.pid, "VmHWM"), 1)
        # Anonymous memory (the process's own) and file pages mapped from the archive (the
        # kernel's page cache, given back under memory pressure).
        res["kiwix_rss_anon_mib"] = round(status(kiwix.pid, "RssAnon"), 1)
        res["kiwix_rss_file_mib"] = round(status(kiwix.pid, "RssFile"), 1)
        return report(res, args)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def report(res, args):
    for who in ("partad", "kiwix"):
        if f"{who}_search" not in res:
            continue
        s = sorted(res[f"{who}_search"])
        res[f"{who}_search_p50_ms"] = round(statistics.median(s), 1)
        res[f"{who}_search_p99_ms"] = s[min(len(s) - 1, int(len(s) * 0.99))]
        res[f"{who}_search_first_ms"] = res[f"{who}_search"][0]
        del res[f"{who}_search"]
    print(json.dumps(res, ensure_ascii=False, indent=1))
    if args.out:
        json.dump(res, open(args.out, "w"), ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
