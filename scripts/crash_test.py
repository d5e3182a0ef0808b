#!/usr/bin/env python3
"""Kill -9 the server while parents submit, restart it, and check that nothing acknowledged was lost.

Many parents (threads, each with its own session) fill in applications, upload the documents and
submit them, all at once, against the real binary in demo mode. In the middle of it the server is
killed with SIGKILL. After a restart:
  * every application whose submission was acknowledged (the "registered" answer) is submitted,
    with all its documents;
  * no submitted application lacks documents;
  * `mektep fsck` finds every document's file, unchanged (files without a row may remain: they are
    what a kill between writing a file and committing its row leaves, and fsck lists them).

Usage: crash_test.py PATH_TO_MEKTEP_BINARY [--parents N] [--children M] [--kill-after K]
  --parents     concurrent parents (threads, each with its own session; default 24)
  --children    applications each parent submits (default 12)
  --kill-after  acknowledged submissions before the kill (default 40)
CI runs the defaults; `--parents 500 --children 2 --kill-after 300` is the large run.
"""

import argparse

import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

WORKERS = 24
CHILDREN_PER_WORKER = 12
KILL_AFTER_ACKS = 40


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, data_dir, port, **popen):
    """Starts `mektep serve --demo` and waits until it is ready; `popen` adds Popen options (the
    fault tests' environment or resource limits)."""
    proc = subprocess.Popen(
        [binary, "serve", "--demo", "--data-dir", data_dir, "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **popen,
    )
    seen = []
    for line in proc.stdout:
        seen.append(line.rstrip())
        if "Mektep is ready" in line:
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
            return proc
    proc.wait()
    raise SystemExit(f"the server did not start (exit {proc.returncode}):\n" + "\n".join(seen[-20:]))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def request(self, method, path, data=None, headers=None):
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.headers, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode("utf-8", "replace")

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, fields):
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def upload(self, path, fields, filename, content, mime):
        boundary = uuid.uuid4().hex
        parts = []
        for k, v in fields:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {mime}\r\n\r\n".encode() + content + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def csrf(self, path):
        _, _, html = self.get(path)
        m = re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
        return m.group(1) if m else ""


def iin(prefix7, serial):
    for s in range(serial, serial + 100):
        first = f"{prefix7}{s % 10000:04d}"
        d = [int(c) for c in first]
        c = sum(d[i] * (i + 1) for i in range(11)) % 11
        if c == 10:
            w = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
            c = sum(d[i] * w[i] for i in range(11)) % 11
            if c == 10:
                continue
        return first + str(c)
    raise ValueError(prefix7)


def png(width, height):
    raw = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHOTO = png(30, 40)


def sign_in(base, person):
    b = Browser(base)
    token = b.csrf("/login")
    b.post("/login/demo", [("csrf", token), ("person", str(person))])
    return b


def confirm_contacts(base, person, email, phone):
    b = sign_in(base, person)
    token = b.csrf("/cabinet")
    b.post("/cabinet/contacts", [("csrf", token), ("email", email), ("phone", phone)])
    _, _, outbox = b.get("/dev/outbox")
    link = re.search(r"confirm-email\?token=([0-9a-f]+)", outbox).group(1)
    code = re.search(r"\b(\d{6})\b", outbox).group(1)
    b.get(f"/cabinet/confirm-email?token={link}")
    b.post("/cabinet/confirm-phone", [("csrf", token), ("code", code)])


def worker(base, person, index, acks, errors, lock):
    try:
        b = sign_in(base, person)
    except Exception as e:  # the server may already be gone
        errors.append(str(e))
        return
    for n in range(CHILDREN_PER_WORKER):
        try:
            # Distinct children for up to 1800 applications (the IIN has four serial digits).
            serial = 1000 + (index * CHILDREN_PER_WORKER + n) * 5
            child = iin("2003156", serial)
            token = b.csrf("/applications/new")
            status, headers, _ = b.post(
                "/applications/new",
                [("csrf", token), ("child_iin", child), ("child_birth_date", "2020-03-15"), ("child_surname", "Тестова"),
                 ("child_given_name", "Айым"), ("citizenship", "citizen"), ("relation", "mother"), ("street_id", "1"),
                 ("house", "10"), ("school_id", "1"), ("language", "kk"), ("grade", "1"), ("study_form", "full_time"),
                 ("consent", "on")],
            )
            if status != 303:
                continue
            path = headers["Location"]
            for kind, name, content, mime in [("health_063u", "a.pdf", PDF, "application/pdf"), ("health_026u3", "b.pdf", PDF, "application/pdf"),
                                              ("photo_3x4", "p1.png", PHOTO, "image/png"), ("photo_3x4", "p2.png", PHOTO, "image/png")]:
                b.upload(f"{path}/documents", [("csrf", token), ("kind", kind)], name, content, mime)
            _, _, review = b.get(f"{path}/review")
            key = re.search(r'name="submit_key" value="([0-9a-f]+)"', review)
            if not key:
                continue
            status, headers, _ = b.post(f"{path}/submit", [("csrf", token), ("submit_key", key.group(1)), ("demo_sign", "1")])
            if status == 303 and "notice-submitted" in headers.get("Location", ""):
                with lock:
                    acks.append(int(path.rsplit("/", 1)[1]))
        except Exception as e:  # connection refused after the kill: expected
            errors.append(str(e))
            return


def main():
    global WORKERS, CHILDREN_PER_WORKER, KILL_AFTER_ACKS
    args = argparse.ArgumentParser(description="kill -9 the server during concurrent submissions")
    args.add_argument("binary")
    args.add_argument("--parents", type=int, default=WORKERS)
    args.add_argument("--children", type=int, default=CHILDREN_PER_WORKER)
    args.add_argument("--kill-after", type=int, default=KILL_AFTER_ACKS)
    a = args.parse_args()
    WORKERS, CHILDREN_PER_WORKER, KILL_AFTER_ACKS = a.parents, a.children, a.kill_after
    started = time.monotonic()
    binary = os.path.abspath(a.binary)
    data_dir = tempfile.mkdtemp(prefix="mektep-crash-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(binary, data_dir, port)
    confirm_contacts(base, 0, "parent@example.kz", "+7 701 234 56 78")
    confirm_contacts(base, 1, "parent2@example.kz", "+7 702 234 56 78")
    acks, errors, lock = [], [], threading.Lock()
    threads = [threading.Thread(target=worker, args=(base, i % 2, i, acks, errors, lock)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    waited = 0.0
    while len(acks) < KILL_AFTER_ACKS and waited < 240 and any(t.is_alive() for t in threads):
        time.sleep(0.05)
        waited += 0.05
    server.send_signal(signal.SIGKILL)
    server.wait()
    killed_at = len(acks)
    for t in threads:
        t.join()
    print(f"crash test: killed the server with {killed_at} submissions acknowledged and {WORKERS} parents still applying")

    server = start(binary, data_dir, port)
    server.terminate()
    server.wait()
    db = sqlite3.connect(os.path.join(data_dir, "mektep.db"))
    failures = []
    for app_id in acks:
        row = db.execute("SELECT status FROM applications WHERE id = ?", (app_id,)).fetchone()
        docs = db.execute("SELECT COUNT(*) FROM documents WHERE application_id = ?", (app_id,)).fetchone()[0]
        if not row or row[0] != "submitted" or docs != 4:
            failures.append(f"acknowledged application {app_id}: {row} with {docs} documents")
    for app_id, docs in db.execute(
        "SELECT a.id, (SELECT COUNT(*) FROM documents d WHERE d.application_id = a.id) FROM applications a WHERE status = 'submitted'"
    ):
        if docs < 4:
            failures.append(f"submitted application {app_id} has {docs} documents")
    submitted = db.execute("SELECT COUNT(*) FROM applications WHERE status = 'submitted'").fetchone()[0]
    fsck = subprocess.run([binary, "fsck", "--data-dir", data_dir], capture_output=True, text=True)
    print(fsck.stdout.strip())
    if fsck.returncode != 0:
        failures.append("fsck: " + fsck.stdout + fsck.stderr)
    # Documents at rest are encrypted: every stored document carries the sealed-file marker,
    # whether in a pack (key p + pack + offset + length, see crates/store/src/packs.rs) or, as
    # before packs, in a file of its own.
    docs_dir = os.path.join(data_dir, "documents")

    def head(key):
        if key.startswith("p") and len(key) == 37:
            pack, offset = int(key[1:9], 16), int(key[9:21], 16)
            with open(os.path.join(docs_dir, "packs", f"{pack:08x}.pack"), "rb") as f:
                f.seek(offset)
                return f.read(8)
        with open(os.path.join(docs_dir, key[:2], key), "rb") as f:
            return f.read(8)

    stored = [k for (k,) in db.execute("SELECT storage_key FROM documents")]
    clear = [k for k in stored if head(k) != b"MKTPENC1"]
    if not stored or clear:
        failures.append(f"{len(clear)} of {len(stored)} documents are not encrypted")
    if killed_at == 0:
        failures.append("no submission was acknowledged before the kill: the test proved nothing")
    print(f"crash test: {len(acks)} acknowledged, {submitted} submitted in the database after the restart")
    if failures:
        for f in failures:
            print("FAIL:", f)
        sys.exit(1)
    print(f"crash test: every acknowledged submission survived the kill, with all its files ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
