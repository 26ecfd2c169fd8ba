#!/usr/bin/python3
"""The firmware layer, tested on this machine: the access point and DNS configuration rendered
from box.conf (bad settings refused, nothing half-written), dnsmasq answering every name with the
box, the systemd units verified, partad's readiness and watchdog notifications, the captive-portal
probes of each phone system, and the USB-stick script on a folder standing in for a stick:
packs imported, sync bundles, and the first admin's password written onto any stick until it is
changed (then deleted from it), with the admin's start page saying so.

Exit codes: 0 passed, 1 failed, 77 skipped (dnsmasq or systemd-analyze missing outside CI).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "browser"))
from common import Staff  # noqa: E402
FW = os.path.join(ROOT, "firmware")


def render(box_text, out):
    box = os.path.join(out, "box.conf")
    open(box, "w").write(box_text)
    return subprocess.run([os.path.join(FW, "bin", "parta-render-config"), "--box", box,
                           "--templates", os.path.join(FW, "config"),
                           "--hostapd", os.path.join(out, "hostapd.conf"),
                           "--dnsmasq", os.path.join(out, "dnsmasq.conf")],
                          capture_output=True, text=True)


def dns_query(port, name):
    hdr = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    body = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + \
        struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    # UDP: a query sent before dnsmasq has bound its port (a loaded machine) is lost, as a
    # phone's would be; ask again as a resolver does.
    for attempt in range(10):
        s.sendto(hdr + body, ("127.0.0.1", port))
        try:
            r, _ = s.recvfrom(512)
            return ".".join(str(b) for b in r[-4:])
        except TimeoutError:
            if attempt == 9:
                raise


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def free_port_both():
    """A port free for UDP and TCP at once: dnsmasq binds both, and a TCP port taken by a test
    running beside this one makes it exit."""
    for _ in range(50):
        p = free_port(socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            t.close()
    raise RuntimeError("no port free for both UDP and TCP")


def start_dnsmasq(conf, tmp):
    """dnsmasq on a fresh port; if it exits at once (the port was taken between the check and its
    bind), again on another. Returns (process, port)."""
    for attempt in range(5):
        port = free_port_both()
        err = open(os.path.join(tmp, "dnsmasq.err"), "w+")
        d = subprocess.Popen(["dnsmasq", "--no-daemon", f"--port={port}", "--conf-file=" + conf],
                             stdout=subprocess.DEVNULL, stderr=err)
        time.sleep(0.5)
        if d.poll() is None:
            return d, port
        err.seek(0)
        print(f"dnsmasq exited ({d.returncode}) on port {port}: {err.read().strip()}")
    raise RuntimeError("dnsmasq would not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partad", required=True)
    ap.add_argument("--parta", required=True)
    args = ap.parse_args()
    missing = [t for t in ("dnsmasq", "systemd-analyze") if not shutil.which(t)]
    if missing:
        print("firmware test: missing " + ", ".join(missing))
        return 1 if os.environ.get("CI") == "true" else 77
    failures = []

    def check(cond, what):
        print(("ok   " if cond else "FAIL ") + what)
        if not cond:
            failures.append(what)

    tmp = tempfile.mkdtemp(prefix="parta-firmware-")
    procs = []
    try:
        # 1. Rendering.
        example = open(os.path.join(FW, "config", "box.conf.example")).read()
        r = render(example, tmp)
        check(r.returncode == 0, "box.conf.example renders: " + r.stderr.strip())
        hostapd = open(os.path.join(tmp, "hostapd.conf")).read()
        check('ssid2=P"Школа-Parta"' in hostapd and "channel=6" in hostapd and
              "country_code=RU" in hostapd and "wpa=" not in hostapd,
              "hostapd: Cyrillic SSID, channel, country, open network")
        dns = os.path.join(tmp, "dnsmasq.conf")
        t = subprocess.run(["dnsmasq", "--test", "--conf-file=" + dns], capture_output=True, text=True)
        check(t.returncode == 0, "dnsmasq accepts the rendered configuration")
        check("address=/#/10.42.0.1" in open(dns).read(), "every name resolves to the box")
        before = open(dns).read()
        for bad, why in [("channel = 14\n", "channel"), ("ssid = " + "Я" * 17 + "\n", "ssid"),
                         ("passphrase = short\n", "passphrase"), ("address = 10.42.0.300\n", "address"),
                         ("dhcp_first = 10.43.0.10\n", "one /24"), ("colour = red\n", "unknown"),
                         ("timezone = Mars/Olympus\n", "timezone"),
                         ("timezone = ../../etc/passwd\n", "timezone"), ("timezone = Asia\n", "timezone")]:
            r = render(example + bad, tmp)
            check(r.returncode != 0 and why in r.stderr, f"refused: {bad.strip()} ({r.stderr.strip()})")
        check(open(dns).read() == before, "a refused box.conf leaves the files as they were")
        r = render(example + "timezone = Asia/Novosibirsk\n", tmp)
        check(r.returncode == 0, "a real time zone passes: " + r.stderr.strip())
        r = render(example.replace("passphrase =", "passphrase = школа-2026"), tmp)
        hostapd = open(os.path.join(tmp, "hostapd.conf")).read()
        check("wpa=2" in hostapd and "wpa_passphrase=школа-2026" in hostapd, "WPA2 with a passphrase")

        # 2. dnsmasq with that configuration, on loopback: any name → the box.
        lo = os.path.join(tmp, "dnsmasq-lo.conf")
        text = open(dns).read().replace("interface=wlan0", "interface=lo")
        text = re.sub(r"listen-address=.*", "listen-address=127.0.0.1", text)
        text = "\n".join(line for line in text.splitlines() if not line.startswith("dhcp"))
        open(lo, "w").write(text)
        d, port = start_dnsmasq(lo, tmp)
        procs.append(d)
        for name in ["connectivitycheck.gstatic.com", "captive.apple.com", "www.msftconnecttest.com",
                     "detectportal.firefox.com", "parta.school", "yandex.ru"]:
            got = dns_query(port, name)
            check(got == "10.42.0.1", f"dnsmasq: {name} → {got}")

        # 3. systemd units.
        for unit in ["partad.service", "parta-front.service", "parta-ap.service",
                     "parta-dns.service", "parta-usb@.service"]:
            v = subprocess.run(["systemd-analyze", "verify", os.path.join(FW, "systemd", unit)],
                               capture_output=True, text=True)
            problems = [l for l in v.stderr.splitlines()
                        if l.strip() and "is not executable" not in l and "not found" not in l.lower()
                        and "parta-" not in l.split(":")[0]]
            check(not problems, f"systemd-analyze verify {unit}" + (": " + "; ".join(problems) if problems else ""))
        unit = open(os.path.join(FW, "systemd", "partad.service")).read()
        for must in ["Type=notify", "WatchdogSec=", "ProtectSystem=strict",
                     "ReadWritePaths=/var/lib/parta", "NoNewPrivileges=yes", "Restart=on-failure",
                     "User=parta", "CapabilityBoundingSet=\n"]:
            check(must in unit, f"partad.service has {must!r}")
        check("CAP_NET_BIND_SERVICE" not in unit, "partad.service holds no privilege (the front has "
              "port 80)")
        front = open(os.path.join(FW, "systemd", "parta-front.service")).read()
        for must in ["After=local-fs.target partad.service", "Conflicts=nginx.service", "User=parta",
                     "ExecStartPre=/usr/lib/parta/parta-render-config --front /run/parta-front/",
                     "ExecStart=/usr/sbin/nginx -p /run/parta-front -c /run/parta-front/nginx.conf",
                     "ProtectSystem=strict", "TemporaryFileSystem=/var/lib/parta:ro",
                     "BindPaths=/var/lib/parta/front",
                     "BindReadOnlyPaths=/var/lib/parta/blobs /var/lib/parta/static",
                     "NoNewPrivileges=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                     "MemoryDenyWriteExecute=yes", "Restart=on-failure"]:
            check(must in front, f"parta-front.service has {must}")

        # 4. partad under "systemd": READY=1, WATCHDOG=1, STOPPING=1; probes redirect to the portal.
        sock_path = os.path.join(tmp, "notify.sock")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(sock_path)
        ns.settimeout(10)
        conf = os.path.join(tmp, "partad.conf")
        box = os.path.join(tmp, "box.conf")  # written in step 6; partad reads it when it needs it
        open(conf, "w").write(f"data = {tmp}/data\nlisten = 127.0.0.1:0\nportal_host = parta.school\n"
                              f"box_conf = {box}\n")
        log = open(os.path.join(tmp, "partad.log"), "w+")
        env = dict(os.environ, NOTIFY_SOCKET=sock_path, WATCHDOG_USEC="400000")
        p = subprocess.Popen([args.partad, "--config", conf, "--demo"], stdout=log, stderr=log, env=env)
        procs.append(p)
        seen = set()
        deadline = time.time() + 20
        while time.time() < deadline and not {"READY=1", "WATCHDOG=1"} <= seen:
            try:
                seen.update(ns.recv(4096).decode().split("\n"))
            except socket.timeout:
                break
        check("READY=1" in seen, "partad tells systemd it is ready")
        check("WATCHDOG=1" in seen, "partad pings the watchdog")
        log.seek(0)
        port = int(re.search(r"\(port (\d+)\)", log.read()).group(1))

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        opener = urllib.request.build_opener(NoRedirect)
        for path in ["/generate_204", "/gen_204", "/hotspot-detect.html", "/library/test/success.html",
                     "/connecttest.txt", "/ncsi.txt", "/redirect", "/canonical.html", "/success.txt"]:
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"Host": "connectivitycheck.gstatic.com"})
            try:
                opener.open(req)
                status, where = 200, ""
            except urllib.error.HTTPError as e:
                status, where = e.code, e.headers.get("Location", "")
            check(status == 302 and where == "http://parta.school/",
                  f"probe {path} → {status} {where}")
        p.send_signal(signal.SIGTERM)
        try:
            while "STOPPING=1" not in seen:
                seen.update(ns.recv(4096).decode().split("\n"))
        except socket.timeout:
            pass
        p.wait(timeout=10)
        check("STOPPING=1" in seen, "partad tells systemd it is stopping")

        # 5. The USB stick: the district's signed pack imported, a bad one refused, one nobody
        # signed left for the admin to decide on, one status line (partad's, in its data folder).
        stick = os.path.join(tmp, "stick")
        os.makedirs(os.path.join(stick, "parta", "packs"))
        packs = os.path.join(ROOT, "tests", "fixtures", "packs")
        district = os.path.join(tmp, "district")
        key = subprocess.run([args.parta, "--data", district, "district", "key"],
                             capture_output=True, text=True, check=True).stdout.strip()
        subprocess.run([args.parta, "--data", f"{tmp}/data", "sync", "district-key", key],
                       check=True, capture_output=True)
        subprocess.run([args.parta, "--data", district, "district", "sign-pack",
                        os.path.join(packs, "good.tar.gz"), "--out",
                        os.path.join(stick, "parta", "packs", "good.tar.gz")], check=True,
                       capture_output=True)
        shutil.copy(os.path.join(packs, "dotdot.tar.gz"), os.path.join(stick, "parta", "packs"))
        shutil.copy(os.path.join(ROOT, "content", "sample", "sample-pack.tar.gz"),
                    os.path.join(stick, "parta", "packs", "unsigned.tar.gz"))
        led = os.path.join(tmp, "led")  # stands in for /sys/class/leds/ACT
        os.makedirs(led)
        open(os.path.join(led, "trigger"), "w").write("mmc0")
        env = dict(os.environ, PARTA_DATA=f"{tmp}/data", PARTA_CLI=args.parta, PARTA_CONF=conf,
                   PARTA_USB_LED=led)
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", stick], env=env,
                           capture_output=True, text=True)
        status = open(f"{tmp}/data/usb-status").read()
        fields = status.rstrip("\n").split("\t")
        check(fields[1:4] == ["done", "1", "1"] and "dotdot.tar.gz" in fields[4] and
              "ждут решения администратора" in fields[4], "parta-usb: " + status.strip())
        trigger = open(os.path.join(led, "trigger")).read().strip()
        check(u.returncode != 0 and trigger == "heartbeat",
              f"a stick with a refused pack: exit {u.returncode}, the LED a heartbeat ({trigger})")
        items = sqlite3.connect(f"{tmp}/data/parta.db").execute(
            "SELECT COUNT(*) FROM library_items WHERE pack_id IS NOT NULL").fetchone()[0]
        check(items > 0, f"the stick's signed pack is in the library ({items} items)")
        check(os.listdir(f"{tmp}/data/packs-waiting") == ["unsigned.tar.gz"],
              "the pack nobody signed waits for the admin, not imported")
        # 5b. The same stick carries sync bundles once the box is enrolled with the district; on
        # the district's hub the script reads them and writes the return bundles.
        shutil.rmtree(os.path.join(stick, "parta", "packs"))
        os.makedirs(os.path.join(stick, "parta", "enroll"))
        subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", stick], env=env,
                       capture_output=True)
        enroll = os.path.join(stick, "parta", "enroll")
        requests = [f for f in os.listdir(enroll) if f.endswith(".request")]
        check(len(requests) == 1, "an unenrolled box leaves its enrollment request on the stick")
        req = subprocess.run([args.parta, "--data", f"{tmp}/data", "sync", "status"],
                             capture_output=True, text=True).stdout
        fp = re.search(r"fingerprint (\S+)", req).group(1)
        subprocess.run([args.parta, "--data", district, "district", "enroll",
                        os.path.join(enroll, requests[0]), "--fingerprint", fp], check=True,
                       capture_output=True)
        subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", stick], env=env,
                       capture_output=True)  # takes the certificate
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", stick], env=env,
                           capture_output=True, text=True)
        status = open(f"{tmp}/data/usb-status").read().rstrip("\n").split("\t")
        bundles = [f for r, _, fs in os.walk(os.path.join(stick, "parta")) for f in fs
                   if f.endswith(".ptb") and "to-district" in r]
        check(u.returncode == 0 and status[1:4] == ["done", "1", "0"] and len(bundles) == 1,
              f"an enrolled box writes its bundle to the stick: {status}")
        trigger = open(os.path.join(led, "trigger")).read().strip()
        check(trigger == "mmc0", f"after a stick that went well the LED shows the card ({trigger})")
        conf_d = os.path.join(tmp, "district.conf")
        open(conf_d, "w").write("role = district\n")
        env_d = dict(env, PARTA_DATA=district, PARTA_CONF=conf_d)
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", stick], env=env_d,
                           capture_output=True, text=True)
        status = open(os.path.join(district, "usb-status")).read().rstrip("\n").split("\t")
        back = [f for r, _, fs in os.walk(os.path.join(stick, "parta")) for f in fs
                if f.endswith(".ptb") and "to-school" in r]
        check(u.returncode == 0 and status[1:4] == ["done", "2", "0"] and len(back) == 1,
              f"the district's hub reads it and writes the return bundle: {status}")
        # The admin's start page shows the stick's result.
        log = open(os.path.join(tmp, "partad2.log"), "w+")
        p = subprocess.Popen([args.partad, "--config", conf], stdout=log, stderr=log)
        procs.append(p)
        for _ in range(100):
            log.seek(0)
            m = re.search(r"\(port (\d+)\)", log.read())
            if m:
                break
            time.sleep(0.05)
        admin = Staff(f"http://127.0.0.1:{m.group(1)}", "admin", "demo2026")
        home = admin.get("/")
        check("Флешка обработана" in home and "отклонено 0" in home,
              "the admin's start page shows the stick's result")
        check(re.search(r"Флешка обработана \(\d\d\.\d\d\.\d{4} \d\d:\d\d\)", home) is not None,
              "with the time as the school reads it (dd.mm.yyyy hh:mm, not UTC's ISO form)")

        # 6. The first admin's password: the first stick plugged in within 30 minutes of the first
        # boot (here one with nothing of Parta's on it) gets it once, in a note a Windows PC
        # reads, and the admin page says which stick; no other stick gets it; once the password
        # is changed the note is deleted from the stick.
        pw_file = f"{tmp}/data/first-admin-password"
        open(pw_file, "w").write("Kx7-fj29-qq4m\n")
        os.chmod(pw_file, 0o600)
        open(box, "w").write(example.replace("passphrase =", "passphrase = школа-2026")
                             .replace("ssid = Школа-Parta", "ssid = Школа №5 \r"))
        env_pw = env
        plain = os.path.join(tmp, "plain-stick")
        os.makedirs(plain)
        open(os.path.join(plain, "homework.docx"), "w").write("a pupil's file")
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", plain], env=env_pw,
                           capture_output=True, text=True)
        note_path = os.path.join(plain, "PARTA-ADMIN-PASSWORD.txt")
        raw = open(note_path, "rb").read() if os.path.exists(note_path) else b""
        note = raw.decode("utf-8-sig") if raw else ""
        check(u.returncode == 0 and "Kx7-fj29-qq4m" in note, "the stick gets the admin's password")
        check("«Школа №5»" in note and '"Школа №5"' in note and note.count("http://parta.school/") == 2
              and note.count("admin") >= 2 and "parta-box.conf" in note,
              "with the Wi-Fi name, the portal's address and the login, in Russian and English")
        check(note.index("Профиль") < note.index("Change the password") and
              "удалите его" in note and "delete it once the password is changed" in note,
              "Russian first; says to change the password under Профиль and delete the file")
        check(raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n") and
              raw.count(b"\n") == raw.count(b"\r\n") > 10,
              "UTF-8 with a BOM, every line ending CRLF (Notepad)")
        check(sorted(os.listdir(plain)) == ["PARTA-ADMIN-PASSWORD.txt", "homework.docx"],
              f"nothing else written, no temporary file left: {sorted(os.listdir(plain))}")
        status = open(f"{tmp}/data/usb-status").read().rstrip("\n").split("\t")
        check(status[1:4] == ["done", "0", "0"] and status[5] == "admin-password-written",
              f"the status line says the password was written: {status}")
        line = re.search(r"USB-флешка: (.*?)</p>", admin.get("/"), re.S)
        line = line.group(1) if line else ""
        check("Флешка обработана" in line and "записан на флешку в файл PARTA-ADMIN-PASSWORD.txt" in line
              and "Kx7-fj29-qq4m" not in line,
              "the admin's start page says so (without repeating the password): " + line)
        english = Staff(f"http://127.0.0.1:{m.group(1)}", "admin", "demo2026")
        english.get("/lang/en?next=/")
        check("was written to the stick as PARTA-ADMIN-PASSWORD.txt" in english.get("/"),
              "and in English")
        # A second stick gets nothing, however soon; the admin page names the one that did.
        second = os.path.join(tmp, "second-stick")
        os.makedirs(second)
        subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", second], env=env_pw,
                       capture_output=True, text=True)
        status = open(f"{tmp}/data/usb-status").read().rstrip("\n").split("\t")
        check(os.listdir(second) == [] and status[5] == "admin-password-not-given",
              f"a second stick does not get the password: {status}")
        home = admin.get("/")
        check("на флешку «plain-stick» и больше ни на одну" in home and
              "не записан" in home, "the admin page says which stick got it, and that no other did")
        # Too late: on a box whose first boot was hours ago no stick gets it.
        os.remove(f"{tmp}/data/first-admin-password.given")
        os.utime(pw_file, (time.time() - 7200, time.time() - 7200))
        late = os.path.join(tmp, "late-stick")
        os.makedirs(late)
        subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", late], env=env_pw,
                       capture_output=True, text=True)
        check(os.listdir(late) == [], "two hours after the first boot no stick gets the password")
        # The password changed (partad deletes the file): the old note goes, nothing new is written.
        os.remove(pw_file)
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", plain], env=env_pw,
                           capture_output=True, text=True)
        status = open(f"{tmp}/data/usb-status").read().rstrip("\n").split("\t")
        check(u.returncode == 0 and sorted(os.listdir(plain)) == ["homework.docx"] and
              status[5] == "admin-password-deleted",
              f"after the change the stale note is deleted from the stick: {status}")
        check("Старый файл PARTA-ADMIN-PASSWORD.txt удалён с флешки" in admin.get("/"),
              "the admin's start page says the old note was deleted")
        other = os.path.join(tmp, "other-stick")
        os.makedirs(other)
        u = subprocess.run([os.path.join(FW, "bin", "parta-usb"), "--mounted", other], env=env_pw,
                           capture_output=True, text=True)
        status = open(f"{tmp}/data/usb-status").read().rstrip("\n").split("\t")
        check(u.returncode == 0 and os.listdir(other) == [] and status[5] == "",
              f"and a new stick gets nothing: {status}")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"firmware test: {len(failures)} failed")
        return 1
    print("firmware test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
