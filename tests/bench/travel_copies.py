#!/usr/bin/python3
"""Travel copies (issue 20): how small the box's copy of a phone photo of a notebook page can be
and stay legible, measured, not assumed:
  - the corpus: tests/fixtures/notebook/make_notebooks.py (phone photos of pupils' pages at 12,
    8 and 5 MP, some stored on their side with EXIF Orientation 6, fax-like scans; printed
    Russian text and handwriting; half of them packet pages with their QR codes; truth.json);
  - for each setting of a grid of long sides × JPEG qualities, each page's travel copy is made by
    the box's own code: a `travel_copy` job of the parta-paper helper, as partad runs it, with
    check_codes (its JSON: size, grey, cropped, the quality used, the Parta codes zxing reads on
    the original and on the copy);
  - legibility: tesseract (-l rus, one thread) reads the printed text of the original and of
    each copy (found on the page, cut out and brought to one size first: see read()); the
    accuracy is 1 - (Levenshtein distance / length) summed over its lines, each line matched
    against the best-matching stretch of the OCR output, whitespace normalised; a copy's
    agreement is its accuracy over the original's. The printed text (10-12 pt) is the smallest
    writing on a page, so it is the conservative gauge of the handwriting's legibility too
    (tesseract's reading of handwriting is too erratic to decide anything: it is in the JSON);
  - a page whose original's code the box reads must have it read on the copy as well.
Prints a Markdown table of the originals, one of the settings (mean bytes, bytes as a share of the
originals', mean and lowest agreement, pages at >= 0.98, codes kept, grey where a text page,
cropped), and suggests the smallest setting (mean bytes) with every page at >= 0.98 and every
code kept.

  tests/bench/travel_copies.py [--helper build/server/parta-paper] [--corpus DIR | --count 12 [--keep DIR]]
      [--sides 800,1000,1200,1400,1600,2000] [--qualities 35,50,65,80] [--grey auto]
      [--psm 6] [--jobs 1] [--out results.json] [--quick]

--quick: 3 pages, 2 settings (a smoke run, about a minute). --jobs: pages worked on at once (each
is one tesseract or parta process at a time). Needs tesseract-ocr, tesseract-ocr-rus,
python3-pil, python3-numpy, and the corpus generator's (libqrencode4, fonts-seto, fonts-klee).
Numbers go to tests/bench/RESULTS.md by hand.
"""
import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
from PIL import Image, ImageOps

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
GENERATOR = os.path.join(ROOT, "tests", "fixtures", "notebook", "make_notebooks.py")
TARGET = 0.98
LOCATE_PX = 2000  # the printed text is looked for on the picture at most this long
WORD_PX = 36  # and read with its words this high


# --- legibility ----------------------------------------------------------------------------------

def norm(text):
    return " ".join(text.split())


def substring_distance(needle, hay):
    """The least Levenshtein distance between `needle` and any stretch of `hay` (an int32 array
    of code points): the edit table with a free start and end in `hay`, a row at a time. The
    row's insertions (D[j] = min(D[j], D[j-1] + 1)) are a running minimum of D[j] - j."""
    idx = np.arange(len(hay) + 1, dtype=np.int32)
    row = np.zeros(len(hay) + 1, dtype=np.int32)
    for i, ch in enumerate(needle, 1):
        cur = np.empty_like(row)
        cur[0] = i
        np.minimum(row[:-1] + (hay != ord(ch)), row[1:] + 1, out=cur[1:])
        row = np.minimum.accumulate(cur - idx) + idx
    return int(row.min())


def accuracy(lines, ocr_text):
    """1 - edits / characters over `lines`, each found where it matches best in the OCR text."""
    hay = np.array([ord(c) for c in norm(ocr_text)], dtype=np.int32)
    total = edits = 0
    for line in lines:
        line = norm(line)
        if line:
            total += len(line)
            edits += substring_distance(line, hay)
    return 1 - edits / total if total else None


def upright(path, tmp):
    """tesseract (leptonica) does not turn a picture by its EXIF orientation: such a picture is
    turned here, losslessly (PNG), as every viewer would show it."""
    img = Image.open(path)
    if img.format != "JPEG" or img.getexif().get(0x0112, 1) == 1:
        return path
    out = os.path.join(tmp, f"upright-{threading.get_ident()}.png")
    ImageOps.exif_transpose(img).save(out, compress_level=1)
    return out


def tesseract(path, psm, tsv=False):
    r = subprocess.run(["tesseract", path, "stdout", "-l", "rus", "--psm", str(psm)] +
                       (["tsv"] if tsv else []), capture_output=True, text=True,
                       env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    if r.returncode != 0:
        raise RuntimeError(f"tesseract {path}: {r.stderr.strip()}")
    return r.stdout


def key(word):
    return "".join(c for c in word.lower() if c.isalnum())


def locate(words, printed):
    """The printed text's box in the picture, from tesseract's words (left, top, width, height,
    text) that are words of it found in one place only (four letters or more): their tops fitted
    as top = a + slope · x + pitch · line (so a page a few degrees askew, and lines where no word
    was recognised, are still covered; a word off the fit, such as one the handwriting shares, is
    dropped), their lefts as the line's left plus the characters before them; widened by a line
    and three characters. Also the median word height. (None, None) when fewer than four words
    on two lines were found."""
    where = {}
    for i, line in enumerate(printed):
        pos = 0
        for w in line.split():
            k = key(w)
            if len(k) >= 4:
                where.setdefault(k, []).append((i, pos))
            pos += len(w) + 1
    hits = [(w, where[key(w[4])][0]) for w in words if len(where.get(key(w[4]), ())) == 1]
    while True:  # fit; while a word is off by more than a third of a line, drop the worst
        if len(hits) < 4 or len({i for _, (i, _) in hits}) < 2:
            return None, None
        a = np.array([[1, w[0], i] for w, (i, _) in hits], dtype=float)
        y = np.array([w[1] for w, _ in hits], dtype=float)
        (top, slope, pitch), *_ = np.linalg.lstsq(a, y, rcond=None)
        off = np.abs(a @ (top, slope, pitch) - y)
        if pitch > 0 and off.max() < pitch / 3:
            break
        del hits[int(off.argmax())]
    h = statistics.median(w[3] for w, _ in hits)
    cw = statistics.median(w[2] / len(w[4]) for w, _ in hits)
    left = statistics.median(w[0] - pos * cw for w, (_, pos) in hits) - 3 * cw
    right = max(max(w[0] + w[2] for w, _ in hits),
                left + 3 * cw + max(len(line) for line in printed) * cw) + 3 * cw
    tops = [top + slope * x for x in (left, right)]
    return (left, min(tops) - pitch, right,
            max(tops) + (len(printed) - 1) * pitch + h + pitch), h


def read(path, truth, psm, tmp):
    """The accuracy of the page's printed text and of its handwriting in the picture at `path`,
    read as a person would read it on a screen: the picture upright; the printed text found
    (tesseract's sparse text mode, --psm 11, finds words wherever they are, on the picture at most
    2000 pixels long, as a screen shows a page whole); cut out of the full picture and scaled until
    its words are 36 pixels high (a reader zooms in or out; tesseract reads text far from that
    size worse, for reasons that are not the picture's), then read as one block of text (--psm 6).
    Reading the whole page instead made tesseract's layout analysis the measure: the same page
    read 0.28 or 0.98 from one JPEG quality to the next, when it dropped the printed block as a
    picture or wove it into the handwriting beside it. The handwriting's accuracy is from the
    sparse reading of the page."""
    t0 = time.time()
    src = upright(path, tmp)
    img = Image.open(src)
    seen, f = src, min(1.0, LOCATE_PX / max(img.size))
    if f < 1:
        seen = os.path.join(tmp, f"screen-{threading.get_ident()}.png")
        img.resize((round(img.width * f), round(img.height * f)), Image.LANCZOS).save(
            seen, compress_level=1)
    words = []
    for row in tesseract(seen, 11, tsv=True).splitlines()[1:]:
        c = row.split("\t")
        if len(c) == 12 and c[0] == "5" and c[11].strip():
            words.append((int(c[6]) / f, int(c[7]) / f, int(c[8]) / f, int(c[9]) / f, c[11]))
    if seen != src:
        os.remove(seen)
    sparse = " ".join(w[4] for w in words)
    box, h = locate(words, truth["printed"])
    if box:
        block = img.crop((max(0, int(box[0])), max(0, int(box[1])),
                          min(img.width, int(box[2])), min(img.height, int(box[3]))))
        zoom = WORD_PX / h
        if abs(zoom - 1) > 0.05:
            block = block.resize((round(block.width * zoom), round(block.height * zoom)),
                                 Image.BICUBIC if zoom > 1 else Image.LANCZOS)
        cut = os.path.join(tmp, f"block-{threading.get_ident()}.png")
        block.save(cut, compress_level=1)
        text = tesseract(cut, psm)
        os.remove(cut)
    else:  # not found: the whole page as one block
        text = tesseract(src, psm)
    if src != path:
        os.remove(src)
    return {"printed": accuracy(truth["printed"], text),
            "handwritten": accuracy(truth["handwritten"], sparse),
            "located": bool(box), "word_px": round(h, 1) if h else None,
            "ocr_seconds": round(time.time() - t0, 2)}


# --- the box's travel copy -----------------------------------------------------------------------

def travel_copy(helper, src, dst, side, quality, grey):
    """The copy as partad has it made: one `travel_copy` job of the parta-paper helper
    (printer/README.md), with check_codes (the codes read on the original at full size too)."""
    import tempfile
    job = {"v": 1, "kind": "travel_copy", "path": os.path.abspath(src), "max_pixels": 40000000,
           "long_side": side, "quality": quality,
           "grey": {"yes": "always", "no": "never"}.get(grey, "auto"), "check_codes": True}
    with tempfile.TemporaryDirectory(prefix="travel-") as out:
        job["out"] = out
        t0 = time.time()
        r = subprocess.run([helper], input=json.dumps(job), capture_output=True, text=True)
        took = time.time() - t0
        res = json.loads(r.stdout) if r.stdout.strip() else {}
        if r.returncode != 0 or not res.get("ok"):
            raise RuntimeError(f"parta-paper travel_copy {src}: exit {r.returncode}: "
                               f"{r.stdout.strip()} {r.stderr.strip()}")
        shutil.copyfile(os.path.join(out, res["jpeg"]), dst)
    return {"width": res["width"], "height": res["height"], "grey": res["grey"],
            "cropped": res["cropped"], "bytes": os.path.getsize(dst),
            "original_bytes": os.path.getsize(src), "codes_original": res["codes_original"],
            "codes_copy": res["codes"], "foreign_original": res["foreign_original"],
            "foreign_copy": res["foreign"], "quality_used": res.get("quality"),
            "codes_lost": res.get("codes_lost", False), "seconds": round(took, 2)}


# --- the run -------------------------------------------------------------------------------------

def settings_from(args):
    if args.quick:
        return [(1000, 50), (1600, 80)]
    sides = [int(v) for v in args.sides.split(",")]
    qualities = [int(v) for v in args.qualities.split(",")]
    return [(s, q) for s in sides for q in qualities]


def make_corpus(args, tmp):
    if args.corpus:
        return args.corpus, None
    out = args.keep or os.path.join(tmp, "corpus")
    count = 3 if args.quick else args.count
    t0 = time.time()
    subprocess.run([sys.executable, GENERATOR, out, "--count", str(count)], check=True,
                   stderr=subprocess.DEVNULL)
    return out, (time.time() - t0) / count


def pct(v):
    return f"{100 * v:.1f} %"


def print_originals(names, truth, originals):
    print("## Originals\n")
    print("| page | kind | capture | size | x-height px | words px | code | text page | "
          "printed | OCR s |")
    print("|---|---|---|---|---:|---:|---|---|---:|---:|")
    for n in names:
        t, o = truth[n], originals[n]
        cap = (f"{t['megapixels']} MP" + (", EXIF 6" if t["exif_orientation"] == 6 else "")
               if t["capture"] == "photo" else f"scan {t['dpi']} dpi, {t['bits']} bit")
        print(f"| {n} | {t['kind']} | {cap} | {t['width']}×{t['height']} | {t['x_height_px']} | "
              f"{round(o['word_px']) if o['word_px'] else 'not found'} | "
              f"{'yes' if t['qr'] else ''} | {'yes' if t['text_page'] else 'no'} | "
              f"{o['printed']:.3f} | {o['ocr_seconds']} |")
    print()


def grey_expected(t):
    """A text page, or a picture without colour (a scan), should travel grey."""
    return t["text_page"] or not t["colour"]


def summary(setting, copies, truth):
    agree = [c["agreement"] for c in copies if c["agreement"] is not None]
    hand = [c["hand_agreement"] for c in copies if c["hand_agreement"] is not None]
    with_code = [c for c in copies if c["codes_original"] > 0]
    return {
        "long_side": setting[0], "quality": setting[1],
        "mean_bytes": statistics.mean(c["bytes"] for c in copies),
        "share": sum(c["bytes"] for c in copies) / sum(c["original_bytes"] for c in copies),
        "agreement_mean": statistics.mean(agree), "agreement_min": min(agree),
        "pages_ok": sum(a >= TARGET for a in agree), "pages": len(copies),
        "codes_kept": sum(c["codes_copy"] > 0 for c in with_code), "codes_pages": len(with_code),
        "hand_mean": statistics.mean(hand) if hand else None,
        "grey_expected": sum(c["grey"] == grey_expected(truth[c["page"]]) for c in copies),
        "cropped": sum(bool(c["cropped"]) for c in copies),
        "too_long": [c["page"] for c in copies if max(c["width"], c["height"]) > setting[0]],
        "not_found": [c["page"] for c in copies if not c["located"]],
        "foreign": sum(bool(c["foreign_original"] or c["foreign_copy"]) for c in copies),
        "copies": copies}


def print_row(r):
    print(f"| {r['long_side']} | {r['quality']} | {r['mean_bytes'] / 1024:.0f} KiB | "
          f"{pct(r['share'])} | {r['agreement_mean']:.3f} | {r['agreement_min']:.3f} | "
          f"{r['pages_ok']}/{r['pages']} | {r['codes_kept']}/{r['codes_pages']} | "
          f"{r['grey_expected']}/{r['pages']} | {r['cropped']}/{r['pages']} |", flush=True)


def print_notes(names, truth, originals, rows):
    """What held a setting back, and anything odd, so that it can be looked at."""
    for r in rows:
        name = f"{r['long_side']} q{r['quality']}"
        bad = [c for c in r["copies"] if (c["agreement"] or 0) < TARGET or
               (c["codes_original"] > 0 and c["codes_copy"] == 0)]
        if bad and len(bad) <= 3:
            print(f"- {name}: " + ", ".join(
                f"{c['page']} {c['agreement']:.3f}"
                f"{', code lost' if c['codes_original'] > 0 and c['codes_copy'] == 0 else ''}"
                for c in bad))
        if r["too_long"]:
            print(f"- {name}: copies longer than {r['long_side']}: {', '.join(r['too_long'])}")
        if r["not_found"]:
            print(f"- {name}: printed text not found, read as a whole page: "
                  f"{', '.join(r['not_found'])}")
    weak = [n for n in names if originals[n]["printed"] < 0.9]
    if weak:
        print(f"- originals read below 0.9 (their agreement says less): {', '.join(weak)}")
    missed = [n for n in names if truth[n]["qr"] and all(
        c["codes_original"] == 0 for r in rows for c in r["copies"] if c["page"] == n)]
    if missed:
        print(f"- codes printed but not read on the original by the box: {', '.join(missed)}")
    if any(r["foreign"] for r in rows):
        print("- a foreign code was reported (the corpus has none)")


def suggest(rows):
    good = [r for r in rows if r["pages_ok"] == r["pages"] and r["codes_kept"] == r["codes_pages"]]
    if not good:
        print(f"\n**No setting keeps every page at ≥ {TARGET} with every code read.**")
        return None
    best = min(good, key=lambda r: r["mean_bytes"])
    print(f"\n**Suggestion: long side {best['long_side']}, quality {best['quality']}**: "
          f"{best['mean_bytes'] / 1024:.0f} KiB a page on average, {pct(best['share'])} of the "
          f"originals, every page's printed text at ≥ {TARGET} of the original's accuracy "
          f"(lowest {best['agreement_min']:.3f}), codes kept "
          f"{best['codes_kept']}/{best['codes_pages']}.")
    return {"long_side": best["long_side"], "quality": best["quality"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--helper", default=os.path.join(ROOT, "build", "server", "parta-paper"),
                    help="the parta-paper helper that makes partad's travel copies")
    ap.add_argument("--corpus", help="a folder from make_notebooks.py (default: make one)")
    ap.add_argument("--count", type=int, default=12, help="pages to generate")
    ap.add_argument("--keep", help="generate the corpus into this folder and keep it")
    ap.add_argument("--sides", default="800,1000,1200,1400,1600,2000")
    ap.add_argument("--qualities", default="35,50,65,80")
    ap.add_argument("--grey", default="auto", choices=["auto", "yes", "no"])
    ap.add_argument("--psm", type=int, default=6, help="tesseract's mode for the printed block")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--out", help="write every number to this JSON file")
    ap.add_argument("--quick", action="store_true", help="3 pages, 2 settings")
    args = ap.parse_args()
    if not os.access(args.helper, os.X_OK):
        sys.exit(f"travel_copies: no parta-paper at {args.helper} (--helper)")
    if not shutil.which("tesseract"):
        sys.exit("travel_copies: tesseract is missing (tesseract-ocr, tesseract-ocr-rus)")

    tmp = tempfile.mkdtemp(prefix="parta-travel-bench-")
    try:
        corpus, gen_s = make_corpus(args, tmp)
        with open(os.path.join(corpus, "truth.json"), encoding="utf-8") as f:
            truth = json.load(f)["pages"]
        names = sorted(truth)[:3] if args.quick else sorted(truth)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)

        def original(name):
            path = os.path.join(corpus, name)
            return dict(read(path, truth[name], args.psm, tmp), page=name,
                        bytes=os.path.getsize(path))

        def copy(job):
            (side, quality), name = job
            dst = os.path.join(tmp, f"{side}-{quality}-{os.path.splitext(name)[0]}.jpg")
            r = travel_copy(args.helper, os.path.join(corpus, name), dst, side, quality, args.grey)
            r.update(read(dst, truth[name], args.psm, tmp), page=name)
            os.remove(dst)
            o = originals[name]
            r["agreement"] = r["printed"] / o["printed"] if o["printed"] else None
            r["hand_agreement"] = r["handwritten"] / o["handwritten"] if o["handwritten"] else None
            return r

        originals = {o["page"]: o for o in pool.map(original, names)}
        print_originals(names, truth, originals)
        print("## Travel copies\n")
        print("| long side | quality | mean bytes | of original | agreement mean | min | "
              f"pages ≥ {TARGET} | codes kept | grey as expected | cropped |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        rows = []
        for setting in settings_from(args):
            rows.append(summary(setting, list(pool.map(copy, [(setting, n) for n in names])),
                                truth))
            print_row(rows[-1])
        print()
        print_notes(names, truth, originals, rows)
        suggestion = suggest(rows)
        ocr_orig = statistics.mean(o["ocr_seconds"] for o in originals.values())
        ocr_copy = statistics.mean(c["ocr_seconds"] for r in rows for c in r["copies"])
        parta_s = statistics.mean(c["seconds"] for r in rows for c in r["copies"])
        acc = [o["printed"] for o in originals.values()]
        made = f"generated, {gen_s:.1f} s a page" if gen_s else corpus
        print(f"\n{len(names)} pages ({made}); OCR {ocr_orig:.1f} s an original, {ocr_copy:.1f} s "
              f"a copy; parta-paper {parta_s:.2f} s a copy (codes checked); the originals' "
              f"printed text read at {statistics.mean(acc):.3f} on average, {min(acc):.3f} at "
              f"the lowest")
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump({"machine": f"{platform.machine()}, {os.cpu_count()} cores",
                           "psm": args.psm, "grey": args.grey, "corpus": args.corpus,
                           "generate_seconds_per_page": gen_s,
                           "truth": {n: truth[n] for n in names}, "originals": originals,
                           "settings": rows, "suggestion": suggestion},
                          f, ensure_ascii=False, indent=1)
    except RuntimeError as e:  # parta or tesseract failed: say which, with its message
        sys.exit(f"travel_copies: {e}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
