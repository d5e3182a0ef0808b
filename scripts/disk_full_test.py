#!/usr/bin/env python3
"""Fill the disk that holds the documents and check that Mektep says so and corrupts nothing.

The documents directory of the real binary (demo mode, SQLite) is a 2 MiB tmpfs. A parent
uploads documents, then the tmpfs is filled up, and the parent uploads again:
  * the answer is the translated "the server cannot store files right now" page (507), in the
    parent's language;
  * nothing is recorded for the failed upload, no partial file is left behind, the draft and
    the earlier documents are intact (`mektep fsck` checks every file against its hash);
  * once space is freed, the same upload succeeds, without restarting Mektep.

Where mounting is not allowed (no root, a container without CAP_SYS_ADMIN) the server runs
under a file size limit instead (RLIMIT_FSIZE, SIGXFSZ ignored): writes past it fail with EFBIG.

Usage: disk_full_test.py PATH_TO_MEKTEP_BINARY
"""

import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_test  # noqa: E402
from crash_test import PDF, PHOTO, confirm_contacts, free_port, iin, sign_in  # noqa: E402

FULL = {
    "kk": "Сервер қазір файлдарды сақтай алмайды",
    "ru": "Сервер сейчас не может сохранять файлы",
    "en": "The server cannot store files right now",
}
# Under RLIMIT_FSIZE no file may grow past this, so the document that must fail is larger (yet
# below the 5 MiB upload limit); the SQLite database and its WAL of a small demo stay below it.
FSIZE_LIMIT = 4_800_000


def try_mount(path):
    os.makedirs(path, exist_ok=True)
    cmd = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", path]
    if os.geteuid() != 0:
        cmd = ["sudo", "-n"] + cmd
    return subprocess.run(cmd, capture_output=True).returncode == 0


def start(binary, data_dir, port, limit_size):
    def limits():
        if limit_size:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE_LIMIT, FSIZE_LIMIT))

    return crash_test.start(binary, data_dir, port, preexec_fn=limits)


def fill(path):
    """Writes into `path` until the filesystem refuses; returns the filler's name."""
    filler = os.path.join(path, "filler")
    # Unbuffered: a buffered file would fail again when closed, flushing what did not fit.
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 65536)
        except OSError:
            pass
    # The last block may still fit a small file: take it too.
    for i in range(64):
        try:
            with open(f"{filler}-{i}", "wb") as f:
                f.write(b"\0" * 4096)
        except OSError:
            break
    return filler


def main():
    binary = os.path.abspath(sys.argv[1])
    data_dir = tempfile.mkdtemp(prefix="mektep-disk-full-")
    documents = os.path.join(data_dir, "documents")
    # MEKTEP_DISK_FULL_NO_MOUNT=1 tries the fallback where mounting would work.
    mounted = os.environ.get("MEKTEP_DISK_FULL_NO_MOUNT") != "1" and try_mount(documents)
    print("disk full test: documents on a 2 MiB tmpfs" if mounted
          else f"disk full test: cannot mount here; the server runs with RLIMIT_FSIZE={FSIZE_LIMIT}")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(binary, data_dir, port, limit_size=not mounted)
    failures = []
    try:
        confirm_contacts(base, 0, "parent@example.kz", "+7 701 234 56 78")
        b = sign_in(base, 0)
        token = b.csrf("/applications/new")
        status, headers, _ = b.post(
            "/applications/new",
            [("csrf", token), ("child_iin", iin("2003156", 4321)), ("child_birth_date", "2020-03-15"),
             ("child_surname", "Тестова"), ("child_given_name", "Айым"), ("citizenship", "citizen"),
             ("relation", "mother"), ("street_id", "1"), ("house", "10"), ("school_id", "1"), ("language", "kk"),
             ("grade", "1"), ("study_form", "full_time"), ("consent", "on")],
        )
        assert status == 303, f"creating the draft: {status}"
        path = headers["Location"]
        app_id = int(path.rsplit("/", 1)[1])
        for kind, name, content, mime in [("health_063u", "a.pdf", PDF, "application/pdf"),
                                          ("photo_3x4", "p1.png", PHOTO, "image/png")]:
            status, _, _ = b.upload(f"{path}/documents", [("csrf", token), ("kind", kind)], name, content, mime)
            assert status == 303, f"upload before the disk is full: {status}"

        db = sqlite3.connect(os.path.join(data_dir, "mektep.db"))
        count = lambda: db.execute("select count(*) from documents where application_id = ?", (app_id,)).fetchone()[0]
        before = count()

        # The disk is full (or the file is past the size limit).
        if mounted:
            filler = fill(documents)
            # Larger than the slack in a pack's last block, which a small file may still fit in.
            big = b"%PDF-1.4\n" + b"%" * 100_000 + b"\n%%EOF\n"
        else:
            filler = None
            big = b"%PDF-1.4\n" + b"%" * (FSIZE_LIMIT + 100_000) + b"\n%%EOF\n"
        # English is a choice made on the page, never taken from Accept-Language: kk and ru here.
        for lang in ["kk", "ru"]:
            status, _, body = upload_in(b, f"{path}/documents", token, "health_026u3", "b.pdf", big, lang)
            if status != 507 or FULL[lang] not in body:
                failures.append(f"upload on a full disk ({lang}): status {status}, page without the message: {body[:300]!r}")
        if count() != before:
            failures.append(f"a failed upload was recorded: {count()} documents instead of {before}")
        leftovers = [f for f in os.listdir(os.path.join(documents, "tmp"))] if os.path.isdir(os.path.join(documents, "tmp")) else []
        if leftovers:
            failures.append(f"partial files left in documents/tmp: {leftovers}")
        status, _, _ = b.get(path)
        if status != 200:
            failures.append(f"the draft is not shown while the disk is full: {status}")

        # Space is back: the same upload works, without a restart.
        if filler:
            for name in os.listdir(documents):
                if name.startswith("filler"):
                    os.remove(os.path.join(documents, name))
            retry = big
        else:
            retry = PDF
        status, _, _ = upload_in(b, f"{path}/documents", token, "health_026u3", "b.pdf", retry, "kk")
        if status != 303 or count() != before + 1:
            failures.append(f"upload after space came back: status {status}, {count()} documents")
        if server.poll() is not None:
            failures.append(f"mektep exited (code {server.returncode})")
    finally:
        server.terminate()
        server.wait()
    fsck = subprocess.run([binary, "fsck", "--data-dir", data_dir], capture_output=True, text=True)
    print(fsck.stdout.strip())
    if fsck.returncode != 0:
        failures.append("fsck: " + fsck.stdout + fsck.stderr)
    if mounted:
        subprocess.run(["umount", documents] if os.geteuid() == 0 else ["sudo", "-n", "umount", documents])
    if failures:
        for f in failures:
            print("FAIL:", f)
        sys.exit(1)
    print("disk full test: refused with the translated message, nothing corrupted, uploads work again after")


def upload_in(browser, path, token, kind, name, content, lang):
    """An upload with the browser's language set (the page must be in the parent's language)."""
    import uuid

    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n{kind}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return browser.request("POST", path, body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Accept-Language": lang,
    })


if __name__ == "__main__":
    main()
