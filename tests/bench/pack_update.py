#!/usr/bin/python3
"""A content pack's new version to a school: bytes sent when 3 of 500 items changed (issue 20).

A district hub and an enrolled school box (data folders worked on by the CLI, as the stick does):
the district sends version 1 of a pack of ITEMS items (PDF-like, of mixed sizes, random bytes so
nothing compresses), the school takes it and acknowledges; then version 2 with CHANGED items
changed, and the size of the district's bundle is compared with the changed items' bytes.
Usage: pack_update.py [--parta build/tools/parta] [--items 500] [--changed 3]"""
import argparse
import os
import platform
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "sync"))


def write_pack(path, version, items, changed):
    """Items of 20 KB to 1 MB (most about 100-300 KB); returns the pack's and the changed items'
    bytes."""
    from synclib import write_pack as write
    sizes = [int(min(1 << 20, max(20000, random.Random(i).lognormvariate(12, 0.8))))
             for i in range(items)]
    write(path, "bench-reading", "Литературное чтение: хрестоматия", version, sizes, changed)
    return sum(sizes), sum(sizes[i] for i in changed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parta", default=os.path.join(ROOT, "build", "tools", "parta"))
    ap.add_argument("--items", type=int, default=500)
    ap.add_argument("--changed", type=int, default=3)
    args = ap.parse_args()
    from synclib import Run, enroll_by_cli
    run = Run(args.parta.replace("tools/parta", "server/partad"), args.parta,
              "parta-bench-pack-")
    S, D = run.path("school"), run.path("district")
    run.cli(S, "demo", check=True)
    school = enroll_by_cli(run, S, D)

    def trip(version, changed):
        pack = run.path(f"pack-v{version}.tar")
        total, changed_bytes = write_pack(pack, version, args.items, changed)
        run.cli(D, "district", "send-pack", pack, check=True)
        out = run.path(f"to-school-{version}")
        _, text = run.cli(D, "district", "export", "--to", out, check=True)
        bundle = [os.path.join(root, f) for root, _, fs in os.walk(out) for f in fs
                  if f.endswith(".ptb")][0]
        rc, said = run.cli(S, "sync", "import", bundle)
        # The school's acknowledgement back to the district.
        back = run.path(f"to-district-{version}")
        _, text = run.cli(S, "sync", "export", "--to", back, check=True)
        run.cli(D, "district", "import", text.splitlines()[0], check=True)
        return total, changed_bytes, os.path.getsize(bundle), rc == 0

    rnd = random.Random(5)
    changed = set(rnd.sample(range(args.items), args.changed))
    total1, _, size1, ok1 = trip(1, set())
    total2, changed_bytes, size2, ok2 = trip(2, changed)
    import sqlite3
    db = sqlite3.connect(os.path.join(S, "parta.db"))
    listed = db.execute("SELECT version, items FROM packs WHERE id = 'bench-reading'").fetchone()
    db.close()
    ok2 = ok2 and listed == (2, args.items)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"version 1: {args.items} items, {total1 / 1e6:.1f} MB; its bundle {size1 / 1e6:.2f} MB "
          f"(taken: {ok1})")
    print(f"version 2: {args.changed} items changed ({changed_bytes / 1e3:.0f} KB); its bundle "
          f"{size2 / 1e3:.1f} KB = the changed items + {(size2 - changed_bytes) / 1e3:.1f} KB "
          f"({100 * (size2 - changed_bytes) / changed_bytes:.1f} % of them, "
          f"{100 * (size2 - changed_bytes) / total2:.3f} % of the pack) (taken: {ok2})")
    run.finish()
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
