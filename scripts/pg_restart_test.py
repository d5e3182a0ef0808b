#!/usr/bin/env python3
"""Restart PostgreSQL under load and check that Mektep recovers by itself.

The real binary runs in demo mode on a fresh PostgreSQL database while parents submit
applications. In the middle of it PostgreSQL is restarted (`pg_ctlcluster VERSION CLUSTER restart`, the local
cluster that listens on the URL's port).
Then:
  * no request hangs: every answer during the restart comes within REQUEST_LIMIT seconds, and a
    refused request gets the translated "briefly unavailable" page (503), not a stack trace;
  * after the restart submissions succeed again, without restarting Mektep;
  * every submission acknowledged before, during or after the restart is in the database,
    submitted, with all its documents, and `mektep fsck` finds every file.

It restarts the cluster that the other database tests use, so scripts/test.sh runs it on its
own, never alongside them.

Usage: pg_restart_test.py PATH_TO_MEKTEP_BINARY [--parents N]
Environment: MEKTEP_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crash_test  # noqa: E402  (the same browser, parents and documents as the crash test)
from crash_test import PDF, PHOTO, Browser, confirm_contacts, iin, sign_in  # noqa: E402

REQUEST_LIMIT = 20.0
UNAVAILABLE = {
    "kk": "Қызмет бірнеше секундқа қолжетімсіз",
    "ru": "Сервис ненадолго недоступен",
    "en": "The service is briefly unavailable",
}


def psql(url, sql):
    return subprocess.run(["psql", url, "-qtAc", sql], capture_output=True, text=True, check=True).stdout.strip()


def as_root(cmd):
    return cmd if os.geteuid() == 0 else ["sudo"] + cmd


def cluster_of(url):
    """(version, name) of the local cluster listening on the URL's port (pg_lsclusters)."""
    port = urllib.parse.urlparse(url).port or 5432
    for line in subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(port):
            return fields[0], fields[1]
    raise SystemExit(f"no local PostgreSQL cluster listens on port {port} (pg_lsclusters)")


def start(binary, data_dir, port, db_url):
    return crash_test.start(binary, data_dir, port, env=dict(os.environ, MEKTEP_DATABASE_URL=db_url))


class Log:
    """Every answer the parents got: (start, seconds, status, path, body)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []
        self.acks = []  # (time, application id)

    def timed(self, browser, method, path, *args):
        t0 = time.monotonic()
        try:
            if method == "upload":
                status, headers, body = browser.upload(path, *args)
            elif method == "POST":
                status, headers, body = browser.post(path, *args)
            else:
                status, headers, body = browser.get(path)
        except Exception as e:  # a dropped connection counts as an answer without a page
            status, headers, body = 0, {}, f"{type(e).__name__}: {e}"
        with self.lock:
            self.answers.append((t0, time.monotonic() - t0, status, path, body))
        return status, headers, body


def worker(base, person, index, children, log, stop):
    b = None
    for n in range(children):
        if stop.is_set():
            return
        try:
            if b is None:
                b = sign_in(base, person)
            child = iin("2003156", 1000 + (index * children + n) * 5)
            _, _, html = log.timed(b, "GET", "/applications/new")
            token = crash_test.re.search(r'name="csrf-token" content="([0-9a-f]+)"', html)
            if not token:
                b = None  # the session may be gone with the failed request: sign in again
                continue
            token = token.group(1)
            status, headers, _ = log.timed(
                b, "POST", "/applications/new",
                [("csrf", token), ("child_iin", child), ("child_birth_date", "2020-03-15"),
                 ("child_surname", "Тестова"), ("child_given_name", "Айым"), ("citizenship", "citizen"),
                 ("relation", "mother"), ("street_id", "1"), ("house", "10"), ("school_id", "1"),
                 ("language", "kk"), ("grade", "1"), ("study_form", "full_time"), ("consent", "on")],
            )
            if status != 303:
                continue
            path = headers["Location"]
            for kind, name, content, mime in [("health_063u", "a.pdf", PDF, "application/pdf"),
                                              ("health_026u3", "b.pdf", PDF, "application/pdf"),
                                              ("photo_3x4", "p1.png", PHOTO, "image/png"),
                                              ("photo_3x4", "p2.png", PHOTO, "image/png")]:
                log.timed(b, "upload", f"{path}/documents", [("csrf", token), ("kind", kind)], name, content, mime)
            _, _, review = log.timed(b, "GET", f"{path}/review")
            key = crash_test.re.search(r'name="submit_key" value="([0-9a-f]+)"', review)
            if not key:
                continue
            status, headers, _ = log.timed(
                b, "POST", f"{path}/submit", [("csrf", token), ("submit_key", key.group(1)), ("demo_sign", "1")]
            )
            if status == 303 and "notice-submitted" in headers.get("Location", ""):
                with log.lock:
                    log.acks.append((time.monotonic(), int(path.rsplit("/", 1)[1])))
        except Exception as e:  # noqa: BLE001 — a worker never dies; it notes and goes on
            with log.lock:
                log.answers.append((time.monotonic(), 0.0, -1, "worker", repr(e)))
            b = None


def main():
    args = argparse.ArgumentParser(description="restart PostgreSQL under load")
    args.add_argument("binary")
    args.add_argument("--parents", type=int, default=12)
    a = args.parse_args()
    binary = os.path.abspath(a.binary)
    admin_url = os.environ.get("MEKTEP_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    db = f"mektep_test_restart_{os.getpid()}"
    psql(admin_url, f"create database {db}")
    db_url = admin_url.rsplit("/", 1)[0] + "/" + db
    version, cluster = cluster_of(admin_url)
    data_dir = tempfile.mkdtemp(prefix="mektep-pg-restart-")
    port = crash_test.free_port()
    base = f"http://127.0.0.1:{port}"
    server = start(binary, data_dir, port, db_url)
    failures = []
    try:
        confirm_contacts(base, 0, "parent@example.kz", "+7 701 234 56 78")
        confirm_contacts(base, 1, "parent2@example.kz", "+7 702 234 56 78")
        log, stop = Log(), threading.Event()
        children = 1000  # parents go on until told to stop
        threads = [threading.Thread(target=worker, args=(base, i % 2, i, children, log, stop), daemon=True)
                   for i in range(a.parents)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        while len(log.acks) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = len(log.acks)
        if before == 0:
            failures.append("no submission was acknowledged before the restart: the test proved nothing")

        t_restart = time.monotonic()
        subprocess.run(as_root(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"]),
                       check=True, capture_output=True)
        t_back = time.monotonic()
        print(f"pg restart test: PostgreSQL {version}/{cluster} restarted in {t_back - t_restart:.1f} s "
              f"with {before} submissions acknowledged and {a.parents} parents applying")

        # After the restart, without touching Mektep, new submissions must be acknowledged.
        deadline = time.monotonic() + 120
        while not any(t > t_back for t, _ in log.acks) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(timeout=REQUEST_LIMIT * 3)
        after = [app for t, app in log.acks if t > t_back]
        if not after:
            failures.append("no submission succeeded after PostgreSQL came back (Mektep did not recover by itself)")
        if server.poll() is not None:
            failures.append(f"mektep exited during the restart (code {server.returncode})")

        # Answers around the restart: quick, and polite when refused.
        window = [x for x in log.answers if t_restart - 1 <= x[0] <= t_back + 10]
        refused = [x for x in window if x[2] not in (200, 303)]
        slow = [x for x in log.answers if x[1] > REQUEST_LIMIT]
        for t0, took, status, path, _ in slow[:5]:
            failures.append(f"{path} took {took:.1f} s (status {status}): a hang")
        impolite = [x for x in refused if x[2] != 503 or not any(m in x[4] for m in UNAVAILABLE.values())]
        for _, took, status, path, body in impolite[:5]:
            failures.append(f"{path} during the restart: status {status}, not the translated 503 page: {body[:200]!r}")
        statuses = {}
        for x in refused:
            statuses[x[2]] = statuses.get(x[2], 0) + 1
        print(f"pg restart test: {len(window)} answers around the restart, refused: {statuses or 'none'}, "
              f"slowest {max((x[1] for x in log.answers), default=0):.2f} s")

        # Nothing acknowledged is lost.
        acked = [app for _, app in log.acks]
        for app in acked:
            row = psql(db_url, f"select status || ' ' || (select count(*) from documents d where d.application_id = a.id) "
                               f"from applications a where id = {app}")
            if row != "submitted 4":
                failures.append(f"acknowledged application {app}: {row or 'missing'}")
        fsck = subprocess.run([binary, "fsck", "--data-dir", data_dir], capture_output=True, text=True,
                              env=dict(os.environ, MEKTEP_DATABASE_URL=db_url))
        if fsck.returncode != 0:
            failures.append("fsck: " + fsck.stdout + fsck.stderr)
        print(f"pg restart test: {len(acked)} acknowledged ({before} before the restart, {len(after)} after it), "
              f"all submitted with their documents" if not failures else "")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["psql", admin_url, "-qc", f"drop database if exists {db}"], capture_output=True)
    if failures:
        for f in failures:
            print("FAIL:", f)
        sys.exit(1)
    print("pg restart test: Mektep recovered by itself; nothing acknowledged was lost")


if __name__ == "__main__":
    main()
