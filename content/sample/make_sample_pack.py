#!/usr/bin/env python3
"""Makes the sample content pack content/sample/sample-pack.tar.gz: a small Russian-language pack
for 5th grade (a text lesson, a worksheet PDF, a diagram, a short audio clip) in the format that
content/README.md describes. Run it to regenerate; it is deterministic.

Usage: python3 content/sample/make_sample_pack.py [OUTPUT]
"""
import gzip
import hashlib
import io
import json
import math
import os
import struct
import sys
import tarfile
import wave

MTIME = 1_700_000_000


def pdf(text_lines):
    """A one-page A4 PDF with ASCII text (enough for a sample worksheet)."""
    stream = "BT /F1 14 Tf 56 780 Td 18 TL " + " ".join(f"({l}) Tj T*" for l in text_lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def tone():
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000)))
                               for i in range(8000)))
    return buf.getvalue()


ITEMS = [
    ("items/урок-глагол.txt", "Урок: что такое глагол", "text/plain",
     ("Глагол — самостоятельная часть речи, которая обозначает действие предмета и отвечает на "
      "вопросы что делать? что сделать?\n\nЗадание: выпишите из текста пять глаголов.\n").encode()),
    ("items/worksheet.pdf", "Рабочий лист: глаголы", "application/pdf",
     pdf(["Worksheet 5A: verbs", "1. Find five verbs in the text.", "2. Write their questions."])),
    ("items/схема.svg", "Схема разбора глагола", "image/svg+xml",
     b'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="80"><rect width="300" height="80" '
     b'fill="#eef"/><text x="10" y="45" font-size="20">verb: what to do?</text></svg>'),
    ("items/тон-ля.wav", "Аудио: камертон (ля)", "audio/wav", tone()),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "sample-pack.tar.gz")
    manifest = {"format": "parta-pack", "format_version": 1, "id": "sample-rus-5", "version": 1,
                "title": "Пример: русский язык, 5 класс", "subjects": ["Русский язык"], "grades": [5],
                "items": [{"path": p, "title": t, "type": ty, "size": len(d),
                           "sha256": hashlib.sha256(d).hexdigest()} for p, t, ty, d in ITEMS]}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in [("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode())] + \
                          [(p, d) for p, _, _, d in ITEMS]:
            ti = tarfile.TarInfo(name)
            ti.size, ti.mtime, ti.mode = len(data), MTIME, 0o644
            tar.addfile(ti, io.BytesIO(data))
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=MTIME) as g:
        g.write(raw.getvalue())
    print(out)


if __name__ == "__main__":
    main()
