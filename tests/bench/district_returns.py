#!/usr/bin/python3
"""Return bundles from the hub to many schools carrying one content pack (issue 17: shared content
prepared once).

A district hub and N school boxes (data folders worked on by the CLI, as a stick's script does),
each enrolled; the district sends one pack of about 40 MB (200 items of lesson text as HTML —
Russian words drawn at random, so it compresses as text does, about 3–4×) to every school, then
`parta district export` writes a return bundle per school, timed one school at a time (the
export takes schools in turn). The first school's bundle makes the pack's frame (the items
compressed once, at the bundle's level 19): its time is what every school's bundle cost before
frames. Each later school's bundle takes the frame as it is (encrypted for that school only).
Every fifth school imports its bundle to check it.

    python3 tests/bench/district_returns.py [--parta build/tools/parta] [--schools 10]
"""
import argparse
import os
import platform
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "sync"))

WORDS = ("урок задание ученик класс текст читать писать учебник страница вопрос ответ правило "
         "пример упражнение слово предложение река лес зима весна город деревня школа учитель "
         "книга история математика число задача решение рисунок карта море поле дом семья "
         "работа праздник природа животное птица дерево солнце ветер снег дождь").split()


def write_pack(path, items, item_bytes):
    """The pack (synclib's layout) of `items` items of lesson text; returns its bytes."""
    from synclib import write_pack as write
    rnd = random.Random(17)

    def lesson(i, size):
        parts, n = [], 0
        while n < size:
            p = "<p>" + " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(8, 30))) + ".</p>\n"
            parts.append(p)
            n += len(p.encode())
        return "".join(parts).encode()

    sizes = [item_bytes] * items
    write(path, "bench-shared", "Хрестоматия для всех школ", 1, sizes, make=lesson,
          kind=("html", "text/html"))
    return os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parta", default=os.path.join(ROOT, "build", "tools", "parta"))
    ap.add_argument("--schools", type=int, default=10)
    ap.add_argument("--items", type=int, default=200)
    ap.add_argument("--item-kb", type=int, default=200)
    args = ap.parse_args()
    from synclib import Run, enroll_by_cli
    run = Run(args.parta.replace("tools/parta", "server/partad"), args.parta,
              "parta-bench-returns-")
    D = run.path("district")
    schools = []
    for i in range(args.schools):
        S = run.path(f"school{i}")
        run.cli(S, "demo", check=True)
        schools.append((S, enroll_by_cli(run, S, D)))
    pack = run.path("pack.tar")
    total = write_pack(pack, args.items, args.item_kb * 1000)

    def export(out):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", args.parta, "--data", D, "--lang",
                            "en", "district", "export", "--to", out],
                           capture_output=True, text=True)
        took = time.perf_counter() - t0
        if r.returncode != 0:
            raise RuntimeError(r.stdout + r.stderr)
        rss_kib, user, system = r.stderr.strip().splitlines()[-1].split()
        bundles = {}
        for root, _, fs in os.walk(out):
            for f in fs:
                if f.endswith(".ptb"):
                    bundles[f] = os.path.join(root, f)
        return took, float(user) + float(system), int(rss_kib), list(bundles.values())

    # The pack to the first school alone: its bundle makes the frame (what every school's bundle
    # cost before), then to every other school: their bundles take the frame.
    run.cli(D, "district", "send-pack", pack, "--to", schools[0][1], check=True)
    first = export(run.path("out-first"))
    for _, sid in schools[1:]:
        run.cli(D, "district", "send-pack", pack, "--to", sid, check=True)
    rest = export(run.path("out-rest"))
    pack_bundle = max(os.path.getsize(b) for b in first[3])
    big = [b for b in rest[3] if os.path.getsize(b) > pack_bundle / 2]
    ok = 0
    checked = [schools[0]] + schools[1::5]
    for S, sid in checked:
        for b in first[3] + rest[3]:
            rc, said = run.cli(S, "sync", "import", b)
        listed = subprocess.run(["sqlite3", os.path.join(S, "parta.db"),
                                 "SELECT id FROM packs"], capture_output=True, text=True).stdout
        ok += "bench-shared" in listed
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"pack: {args.items} items, {total / 1e6:.1f} MB; {args.schools} schools")
    print(f"first school (makes the frame: the cost per school before): {first[0]:.1f} s wall, "
          f"{first[1]:.1f} s CPU, peak RSS {first[2] / 1024:.0f} MiB, bundle "
          f"{max(os.path.getsize(b) for b in first[3]) / 1e6:.1f} MB")
    n = len(big)
    print(f"the other {len(schools) - 1} schools (take the frame): {rest[0]:.1f} s wall, "
          f"{rest[1]:.1f} s CPU in all, peak RSS {rest[2] / 1024:.0f} MiB; {n} bundles with the "
          f"pack, {sum(os.path.getsize(b) for b in big) / max(n, 1) / 1e6:.1f} MB each")
    if n:
        per = rest[0] / n
        print(f"per school: {per:.2f} s; 2 000 schools at that rate: "
              f"{(first[0] + 1999 * per) / 60:.1f} min (before: {2000 * first[0] / 3600:.1f} h)")
    print(f"imported, the pack listed: {ok} of {len(checked)} schools checked")
    run.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
