#!/usr/bin/python3
"""Writes the paper test's two small PDFs: material.pdf (a one-page worksheet with a box and a
line of text, standing in for a teacher's printable material) and blank.pdf (an empty A4 page:
a "photo" with no code on it). Plain PDF 1.4 written by hand, with a correct xref table."""
import os


def pdf(content):
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


here = os.path.dirname(os.path.abspath(__file__))
worksheet = (b"BT /F1 28 Tf 72 760 Td (Worksheet 112) Tj ET\n"
             b"BT /F1 14 Tf 72 720 Td (Fill in the missing letters.) Tj ET\n"
             b"2 w 72 400 451 280 re S\n")
open(os.path.join(here, "material.pdf"), "wb").write(pdf(worksheet))
open(os.path.join(here, "blank.pdf"), "wb").write(pdf(b"0 g"))
