#!/usr/bin/env python3
"""Writes a content pack for the benchmarks: N items of SIZE bytes of random data (incompressible,
like video), as an uncompressed tar with a manifest (format in content/README.md).
Usage: make_pack.py OUTPUT ITEMS ITEM_BYTES [TYPE]
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def main():
    out, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    kind = sys.argv[4] if len(sys.argv) > 4 else "video/mp4"
    blobs = []
    for i in range(n):
        data = os.urandom(size)
        blobs.append((f"items/{i:04d}.mp4", data))
    manifest = {"format": "parta-pack", "format_version": 1, "id": f"bench-{n}", "version": 1,
                "title": f"Бенчмарк: {n} файлов", "subjects": ["Физика"], "grades": [9],
                "items": [{"path": p, "title": f"Видеоурок {i + 1}", "type": kind, "size": len(d),
                           "sha256": hashlib.sha256(d).hexdigest()} for i, (p, d) in enumerate(blobs)]}
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        m = json.dumps(manifest, ensure_ascii=False).encode()
        ti = tarfile.TarInfo("manifest.json")
        ti.size = len(m)
        tar.addfile(ti, io.BytesIO(m))
        for p, d in blobs:
            ti = tarfile.TarInfo(p)
            ti.size = len(d)
            tar.addfile(ti, io.BytesIO(d))


if __name__ == "__main__":
    main()
