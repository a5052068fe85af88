"""A throw-away PostgreSQL cluster for the tests and benchmarks.

``python tests/pgcluster.py start DIR`` runs initdb into DIR, starts postgres on a free
local port (socket in DIR too) and prints its URL; ``stop DIR`` stops it. The test
fixture uses the same functions when ``ROADMAP_TEST_POSTGRES`` names no server.
postgres refuses to run as root, so as root the cluster belongs to the ``postgres``
user (or ``nobody``) and is run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time


class NoCluster(Exception):
    """Why no cluster could be started (the PostgreSQL tests are skipped with it)."""


def bindir() -> str:
    """Where initdb and postgres are: ``pg_config --bindir``, else Debian's folders."""
    candidates = []
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(found.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]
    for folder in candidates:
        if folder and os.path.exists(os.path.join(folder, "initdb")):
            return folder
    raise NoCluster(
        "no PostgreSQL server binaries (initdb) found; "
        "apt-get install postgresql, or set ROADMAP_TEST_POSTGRES to a server URL"
    )


def _run_as() -> str | None:
    """The user to run the server as: None for ourselves, else a non-root account."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise NoCluster("running as root and no 'postgres' or 'nobody' user to run postgres as")


def _command(user: str | None, *args: str) -> list[str]:
    return list(args) if user is None else ["runuser", "-u", user, "--", *args]


FAST = " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(folder: str, durable: bool = False) -> str:
    """initdb into ``folder``, start the server, return a URL to its ``postgres`` database.

    Tests run it with fsync off (nothing to keep); ``durable`` keeps PostgreSQL's
    defaults, for benchmarks against SQLite (which syncs every commit).
    """
    binaries = bindir()
    user = _run_as()
    data = os.path.join(folder, "data")
    os.makedirs(folder, exist_ok=True)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        os.chmod(folder, 0o700)
    port = _free_port()
    steps = [
        _command(
            user,
            os.path.join(binaries, "initdb"),
            "-D",
            data,
            "-U",
            "roadmap",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale",
            "en_US.UTF-8",
            "--no-sync",
        ),
        _command(
            user,
            os.path.join(binaries, "pg_ctl"),
            "-D",
            data,
            "-l",
            os.path.join(folder, "server.log"),
            "-w",
            "-t",
            "30",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
            f"-c max_connections=100{'' if durable else FAST}",
            "start",
        ),
    ]
    for step in steps:
        if "start" in step:
            _require_password(os.path.join(data, "pg_hba.conf"))
        done = subprocess.run(step, capture_output=True, text=True, cwd=folder)
        if done.returncode != 0 and "--locale" in step:
            # No en_US.UTF-8 locale on this machine: C.UTF-8 keeps the encoding.
            step[step.index("en_US.UTF-8")] = "C.UTF-8"
            done = subprocess.run(step, capture_output=True, text=True, cwd=folder)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            raise NoCluster(
                f"{os.path.basename(step[-1] if user is None else step[4])} "
                f"failed: {' '.join(tail)}"
            )
    return f"postgresql://roadmap@127.0.0.1:{port}/postgres"


PASSWORD_USER = "roadmap_secret"


def _require_password(hba: str) -> None:
    """Every login is trusted except PASSWORD_USER's over TCP (for the password tests)."""
    with open(hba) as handle:
        rules = handle.read()
    with open(hba, "w") as handle:
        handle.write(f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n{rules}")


def stop(folder: str) -> None:
    """Stop the server started in ``folder`` (fast shutdown) and remove the folder."""
    data = os.path.join(folder, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(
            _command(
                _run_as(), os.path.join(bindir(), "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"
            ),
            capture_output=True,
        )
    for _ in range(50):
        try:
            shutil.rmtree(folder)
            return
        except OSError:
            time.sleep(0.1)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: pgcluster.py start|stop DIR")
    try:
        if sys.argv[1] == "start":
            print(start(sys.argv[2]))
        else:
            stop(sys.argv[2])
    except NoCluster as why:
        sys.exit(f"pgcluster: {why}")
