#!/usr/bin/python3
"""Photos travel to the district as travel copies (issue 20), as the box runs them: a school box and
a district hub (real partad processes), a student's phone photo of a notebook page handed in over
HTTP, bundles carried on the stick folder.

Checks: the bundle carries the copy, not the photo (a fraction of its bytes); the school's sync page
shows the link budget and what the copies saved; the district's school page lists the submission
with its copy, which opens as a JPEG; the district asks for the original, which comes with the
school's next bundle, byte for byte; the same photo handed in again by another student travels no
more (the district holds the copy already); a file the district lost is asked for and sent again;
a content pack's new version that changes 3 of its 100 items sends those 3, and an item the school
lost is asked for and sent again, after which the pack is taken.
Usage: travel_test.py --partad build/server/partad --parta build/tools/parta"""
import argparse
import hashlib
import io
import os
import re
import sys

import synclib
from synclib import connect, Run, Staff, Teacher

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def notebook_photo(seed):
    """A phone photo (3000 × 4000, JPEG 92) of a page of Russian text lying on a table, lit from
    one side: what a student hands in."""
    import random
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
    rnd = random.Random(seed)
    page = Image.new("RGB", (2100, 2970), (236, 234, 226))
    d = ImageDraw.Draw(page)
    for x in range(0, 2100, 59):
        d.line([(x, 0), (x, 2970)], fill=(190, 205, 228), width=2)
    for y in range(0, 2970, 59):
        d.line([(0, y), (2100, y)], fill=(190, 205, 228), width=2)
    font = ImageFont.truetype(FONT, 52)
    words = ("Зимой в лесу тихо и светло . Ёжик спит под снегом , а белка грызёт орехи . "
             "Мы решили задачу : 36 км за 3 часа — это 12 км в час .").split()
    y = 160
    while y < 2700:
        line = " ".join(rnd.choice(words) for _ in range(7))
        d.text((140, y), line, font=font, fill=(40, 50, 150) if y > 900 else (25, 25, 25))
        y += 118
    table = Image.new("RGB", (3000, 4000), (92, 70, 52))
    noise = Image.effect_noise((3000, 4000), 18).convert("RGB")
    table = Image.blend(table, noise, 0.15)
    page = page.rotate(rnd.uniform(-3, 3), expand=True, fillcolor=(92, 70, 52))
    table.paste(page, (450, 500))
    light = Image.linear_gradient("L").rotate(90).resize((3000, 4000))
    shot = Image.composite(table, Image.eval(table, lambda v: int(v * 0.7)), light)
    shot = shot.filter(ImageFilter.GaussianBlur(1.2))
    buf = io.BytesIO()
    shot.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def write_pack(path, version, items, changed=()):
    """The test's pack: `items` items of 20 KB."""
    return synclib.write_pack(path, "rus-5-reading", "Литературное чтение, 5 класс", version,
                              [20000] * items, changed)


def fetch(client, path):
    """(status, bytes) of a GET."""
    import urllib.error
    try:
        return 200, client.get_bytes(path)
    except urllib.error.HTTPError as e:
        return e.code, b""


def bundles_in(folder):
    out = []
    for root, _, files in os.walk(folder):
        out += [os.path.join(root, f) for f in files if f.endswith(".ptb")]
    return sorted(out, key=os.path.getmtime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    run = Run(args.partad, args.parta, "parta-travel-")
    D, S = run.path("district"), run.path("school")
    check = run.check
    try:
        hub = run.start("district", D, "--role", "district", "--demo")
        _, key = run.cli(D, "district", "key", check=True)
        box = run.start("school", S, "--demo", "--district-key", key.strip())
        school_admin = Staff(box, "admin", "demo2026")
        district_admin = Staff(hub, "admin", "demo2026")
        # Enrollment through the stick, as in sync_test.py.
        page = school_admin.get("/admin/sync")
        fingerprint = re.search(r'class="big"[^>]*>([A-Z0-9-]+)<', page).group(1)
        school_admin.post("/admin/sync/usb/request", {})
        enroll = os.path.join(run.stick, "parta", "enroll")
        request = [f for f in os.listdir(enroll) if f.endswith(".request")][0]
        school_id = request.split(".")[0]
        district_admin.get("/district")
        district_admin.upload("/district/enroll", {"fingerprint": fingerprint},
                              [("request", request, "application/octet-stream",
                                open(os.path.join(enroll, request), "rb").read())])
        school_admin.post("/admin/sync/usb/accept", {})

        photo = notebook_photo(1)
        sha = hashlib.sha256(photo).hexdigest()
        work = Teacher(box)
        a = work.assignment("Изложение «Зимний лес»")
        work.submit(a, "ivanov.a", 19, "Фото тетради", photo)
        # The idle worker makes the photo's travel copy and counts what waits again.
        import time
        for _ in range(60):
            page = school_admin.get("/admin/sync")
            if "файлов: 1," in page:
                break
            time.sleep(0.5)
        check("Ожидает отправки" in page and "файлов: 1," in page and "кбит/с" in page
              and "сэкономили" in page,
              "the sync page shows the photo waiting to travel, how long it takes, and what its "
              "travel copy saved")

        def carry_to_district():
            school_admin.get("/admin/sync")
            _, body, _ = school_admin.post("/admin/sync/usb/export", {})
            size = os.path.getsize(bundles_in(os.path.join(run.stick, "parta"))[-1])
            district_admin.get("/district")
            _, imported, _ = district_admin.post("/district/usb/import", {})
            return size, "Пакет принят" in imported

        def carry_to_school():
            district_admin.get("/district")
            district_admin.post("/district/usb/export", {})
            school_admin.get("/admin/sync")
            _, body, _ = school_admin.post("/admin/sync/usb/import", {})
            return "Пакет принят" in body

        size, ok = carry_to_district()
        check(ok and size < len(photo) / 5,
              f"the bundle carries the travel copy: {size} bytes for a {len(photo)}-byte photo")
        page = school_admin.get("/admin/sync")
        check("сэкономили" in page, "the sync page says what the travel copies saved")

        school = district_admin.get(f"/district/schools/{school_id}")
        m = re.search(rf'href="(/district/schools/{school_id}/submissions/[0-9a-f]+/files/'
                      rf'([0-9a-f]{{64}}))"', school)
        check(m is not None and "Изложение «Зимний лес»" in school and "копия" in school,
              "the district's school page lists the submission with its travel copy")
        if m:
            status, body = fetch(district_admin, m.group(1))
            from PIL import Image
            img = Image.open(io.BytesIO(body))
            check(status == 200 and img.format == "JPEG" and max(img.size) <= 1600
                  and img.mode == "L" and len(body) < len(photo) / 5,
                  f"the copy opens: {img.format} {img.size} {img.mode}, {len(body)} bytes")
        rid = re.search(r'name="submission" value="([0-9a-f]+)"', school)
        check(rid is not None, "the district can ask for the original")
        _, body, _ = district_admin.post(f"/district/schools/{school_id}/original",
                                         {"submission": rid.group(1), "sha": sha})
        check("придёт со следующим пакетом" in body, "the district asks for the original")
        status, body, _ = district_admin.post(f"/district/schools/{school_id}/original",
                                              {"submission": rid.group(1), "sha": "0" * 64})
        check(status == 422, "a file the submission does not name cannot be asked for")
        status, _ = fetch(district_admin,
                          f"/district/schools/{school_id}/submissions/{rid.group(1)}/files/{sha}")
        check(status == 404, "the original does not open at the district before it came")
        check(carry_to_school(), "the school reads the district's bundle with the request")
        size, ok = carry_to_district()
        check(ok and size > len(photo), f"the next bundle carries the original ({size} bytes)")
        school = district_admin.get(f"/district/schools/{school_id}")
        status, body = fetch(district_admin,
                             f"/district/schools/{school_id}/submissions/{rid.group(1)}/files/{sha}")
        check(status == 200 and hashlib.sha256(body).hexdigest() == sha,
              "the original arrived at the district byte for byte")

        # The same photo handed in again: the district holds its copy.
        check(carry_to_school(), "the district acknowledges")
        work.submit(a, "sokolova.m", 20, "Та же фотография", photo)
        size, ok = carry_to_district()
        check(ok and size < 20000, f"a photo the district holds travels no more ({size} bytes)")
        school = district_admin.get(f"/district/schools/{school_id}")
        check(len(re.findall(rf"/district/schools/{school_id}/submissions/[0-9a-f]+/files/", school))
              >= 3,
              "both submissions link the copy at the district")

        # The district loses the copy: it asks for it and the school sends it again.
        copies = set(re.findall(rf"/district/schools/{school_id}/submissions/([0-9a-f]+)/files/"
                                rf"([0-9a-f]{{64}})", school))
        copy_rid, copy = next((r, c) for r, c in copies if c != sha)
        os.remove(os.path.join(D, "blobs", copy[:2], copy))
        work.submit(a, "lebedev.k", 21, "И ещё раз", photo)
        size, ok = carry_to_district()
        check(ok and size < 20000, "a bundle that leaves the copy out imports at the district")
        check(carry_to_school(), "the district's bundle asks for the file it lacks")
        size, ok = carry_to_district()
        status, body = fetch(district_admin,
                             f"/district/schools/{school_id}/submissions/{copy_rid}/files/{copy}")
        check(ok and status == 200 and hashlib.sha256(body).hexdigest() == copy,
              f"the school sends the file again ({size} bytes) and the district has it")

        # A content pack, then a new version that changes 3 of its 100 items.
        def carry_pack(version, changed=()):
            pack = run.path(f"pack-v{version}.tar")
            items = write_pack(pack, version, 100, changed)
            run.cli(D, "district", "send-pack", pack, check=True)
            district_admin.get("/district")
            district_admin.post("/district/usb/export", {})
            size = os.path.getsize(bundles_in(os.path.join(run.stick, "parta"))[-1])
            school_admin.get("/admin/sync")
            _, body, _ = school_admin.post("/admin/sync/usb/import", {})
            carry_to_district()  # the school's acknowledgement
            return size, "Пакет принят" in body, items

        # A pack a school would refuse is refused at the hub, in the admin's language, and
        # nothing is queued.
        import subprocess
        bad = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "packs",
                           "hash_mismatch.tar.gz")

        def queued_packs():
            db = connect(D)
            n = db.execute("SELECT COUNT(*) FROM sync_outbox WHERE kind = 'pack'").fetchone()[0]
            db.close()
            return n
        before = queued_packs()
        r = subprocess.run([args.parta, "--data", D, "--lang", "ru", "district", "send-pack", bad],
                           capture_output=True, text=True)
        check(r.returncode == 1 and "контрольной суммой: пакет повреждён" in r.stderr
              and queued_packs() == before,
              f"a damaged pack is refused at the hub in Russian, nothing queued: "
              f"{r.stderr.strip()[:90]}")

        size1, ok, _ = carry_pack(1)
        listed = "Литературное чтение, 5 класс" in school_admin.get("/admin/packs")
        check(ok and listed and size1 > 100 * 20000,
              f"the district's pack reaches the school's library ({size1} bytes)")
        db = connect(D)
        frames = db.execute("SELECT count, plain FROM sync_blob_frames").fetchall()
        db.close()
        check(len(frames) == 1 and frames[0][0] >= 100 and frames[0][1] >= 100 * 20000 and
              len(os.listdir(os.path.join(D, "sync", "frames"))) == 1,
              f"the hub compressed the pack's items once, as one frame for every school ({frames})")
        size2, ok, items = carry_pack(2, changed=(5, 50, 95))
        page = school_admin.get("/admin/packs")
        check(ok and size2 < 3 * 20000 * 1.01 + 20000 and "2" in page,
              f"version 2, 3 of 100 items changed, travels in {size2} bytes (the 3 items: 60000)")
        # The school lost an item (its file went): the next version leaves it out as held; the
        # school refuses the pack, asks for the file, and takes the pack on the next trip.
        lost = items[7]
        os.remove(os.path.join(S, "blobs", lost[:2], lost))
        pack = run.path("pack-v3.tar")
        write_pack(pack, 3, 100, changed=(5, 50, 95, 99))
        run.cli(D, "district", "send-pack", pack, check=True)
        district_admin.get("/district")
        district_admin.post("/district/usb/export", {})
        school_admin.get("/admin/sync")
        _, body, _ = school_admin.post("/admin/sync/usb/import", {})
        check("Пакет принят" not in body, "a pack whose item the school lost is refused")
        carry_to_district()  # the school's bundle names the file it lacks
        check(carry_to_school(), "the district sends the file again and the pack is taken")
        check(os.path.exists(os.path.join(S, "blobs", lost[:2], lost)),
              "the lost item is back in the school's store")
        # Version 4 travels as a patch from version 3's manifest; a school that lost that
        # manifest asks for the new one whole, and takes the pack on the next trip.
        db = connect(D)
        m3 = db.execute("SELECT manifest FROM district_packs WHERE version = 3").fetchone()[0]
        db.close()
        carry_to_district()  # the district learns the school holds version 3
        os.remove(os.path.join(S, "blobs", m3[:2], m3))
        pack = run.path("pack-v4.tar")
        write_pack(pack, 4, 100, changed=(5, 50, 95, 99, 1))
        run.cli(D, "district", "send-pack", pack, check=True)
        check(not carry_to_school(), "a manifest patch without its base is refused")
        carry_to_district()
        check(carry_to_school() and "4" in school_admin.get("/admin/packs"),
              "the school asks for the manifest whole and takes version 4")

        # A month on, the frames no bundle took since are removed (the hub's disk is not a
        # cache of every pack ever sent): an export under faketime +31 days, the hub stopped.
        def frames():
            db = connect(D)
            n = db.execute("SELECT COUNT(*) FROM sync_blob_frames").fetchone()[0]
            db.close()
            return n, len([f for f in os.listdir(os.path.join(D, "sync", "frames"))
                           if f.endswith(".zst")])
        carry_to_district()  # the school acknowledges version 4: nothing of it waits now
        kept = frames()
        run.stop("district")
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(
            o for o in [env.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"] if o)
        r = subprocess.run(["faketime", "-f", "+31d", args.parta, "--data", D, "--lang", "en",
                            "district", "export", "--to", run.path("month-later")],
                           capture_output=True, text=True, timeout=300, env=env)
        check(r.returncode == 0 and kept[0] >= 2 and kept[0] == kept[1] and frames() == (0, 0),
              f"frames unused for a month are removed, rows and files ({kept} -> {frames()}): "
              f"{r.stderr[-200:]}")
    finally:
        code = run.finish()
    return code


if __name__ == "__main__":
    sys.exit(main())
