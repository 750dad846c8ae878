"""Shared set-up of the database benchmarks: cached, pre-filled, throw-away databases.

A benchmark never touches the project's own database (``var/spotcheck.sqlite3``). It asks for a
*template* — migrated only (:func:`empty_template`) or migrated and filled by
``spotcheck demo-data --seed S --institutions N --no-accounts`` (:func:`filled_template`) —, works on
a throw-away copy of it (:func:`working_copy`) and points Django at that copy (:func:`start_django`)
before anything imports Django models. Templates are built in a subprocess (``manage.py``), so the
process that measures has never run the generator.

Cache: a template is built once and reused while its key is unchanged: seed, size, and
:func:`state_hash` (the migrations, the built-in regions they load and the demo generator). When a
template is built, templates of another state hash are deleted.

- SQLite (default): files ``var/bench/<template>.sqlite3`` (``var/`` is git-ignored;
  ``BENCH_CACHE_DIR`` moves them); working copies are temporary files next to them.
- PostgreSQL: ``BENCH_DATABASE_URL=postgres://USER@HOST:5432/NAME`` keeps the templates as databases
  ``NAME_<template>`` on that server and copies them with ``CREATE DATABASE … TEMPLATE`` (the user
  needs CREATEDB; the database NAME itself is never used).

Clear the cache: ``.venv/bin/python benchmarks/_setup.py clear`` (or ``rm -rf var/bench`` for SQLite).
``.venv/bin/python benchmarks/_setup.py list`` shows what is cached.

Django runs with ``spotcheck.settings.dev`` but ``DEBUG = False`` (no query log, production-like
templates), so the figures are those of a deployed server minus the network and the WSGI server.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR") or ROOT / "var" / "bench")
SETTINGS = "spotcheck.settings.dev"
#: Files whose content decides what a template holds (glob patterns relative to the repository).
STATE_FILES = (
    "spotcheck/*/migrations/*.py",
    "spotcheck/core/regions.py",
    "spotcheck/directory/regions.py",
    "spotcheck/demo/generator.py",
    "spotcheck/demo/management/commands/demo_data.py",
    # demo-data records one audit event with the row's state per row: what it records is theirs
    "spotcheck/audit/actions.py",
    "spotcheck/audit/state.py",
)
_TEMPLATE_PREFIXES = ("empty_", "demo_")
_copies = itertools.count(1)


def state_hash() -> str:
    """12 hex digits of the SHA-256 of :data:`STATE_FILES` (paths and contents)."""
    digest = hashlib.sha256()
    for pattern in STATE_FILES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# --------------------------------------------------------------------------------------------
# where databases live


class SQLiteStore:
    """Databases as files ``<dir>/<name>.sqlite3``; a copy is a file copy."""

    engine = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.dir = directory

    def path(self, name: str) -> Path:
        return self.dir / f"{name}.sqlite3"

    def url(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}"

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def names(self) -> list[str]:
        return sorted(p.name.removesuffix(".sqlite3") for p in self.dir.glob("*.sqlite3"))

    def create(self, name: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)

    def copy(self, source: str, name: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.path(source), self.path(name))

    def seal(self, name: str) -> None:
        """Fold the WAL into the file and leave WAL mode, so that the single file is the database."""
        con = sqlite3.connect(self.path(name))
        try:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("PRAGMA journal_mode=DELETE")
        finally:
            con.close()

    def rename(self, source: str, name: str) -> None:
        self.path(source).replace(self.path(name))

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path(name)}{suffix}").unlink(missing_ok=True)


class PostgresStore:
    """Databases ``<prefix>_<name>`` on the server of ``url``; a copy is ``CREATE DATABASE … TEMPLATE``."""

    engine = "PostgreSQL"

    def __init__(self, url: str) -> None:
        self.parts = urlsplit(url)
        self.prefix = self.parts.path.lstrip("/") or "spotcheck_bench"

    def db(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def url(self, name: str) -> str:
        return urlunsplit(self.parts._replace(path=f"/{self.db(name)}"))

    def _run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(urlunsplit(self.parts._replace(path="/postgres")), autocommit=True) as con:
            cur = con.execute(sql, params or None)
            return cur.fetchall() if cur.description else []

    def _ident(self, name: str) -> str:
        return '"' + self.db(name).replace('"', '""') + '"'

    def exists(self, name: str) -> bool:
        return bool(self._run("SELECT 1 FROM pg_database WHERE datname = %s", self.db(name)))

    def names(self) -> list[str]:
        rows = self._run("SELECT datname FROM pg_database WHERE datname LIKE %s", self.prefix + "\\_%")
        return sorted(r[0].removeprefix(self.prefix + "_") for r in rows)

    def create(self, name: str) -> None:
        self._run(f"CREATE DATABASE {self._ident(name)}")

    def copy(self, source: str, name: str) -> None:
        self._run(f"CREATE DATABASE {self._ident(name)} TEMPLATE {self._ident(source)}")

    def seal(self, name: str) -> None:
        """Gather the planner statistics a live server's autovacuum would have gathered by now."""
        import psycopg

        with psycopg.connect(self.url(name), autocommit=True) as con:
            con.execute("VACUUM ANALYZE")

    def rename(self, source: str, name: str) -> None:
        self._run(f"ALTER DATABASE {self._ident(source)} RENAME TO {self._ident(name)}")

    def drop(self, name: str) -> None:
        self._run(f"DROP DATABASE IF EXISTS {self._ident(name)} WITH (FORCE)")


def store() -> SQLiteStore | PostgresStore:
    """The PostgreSQL store when ``BENCH_DATABASE_URL`` is set, else the SQLite files."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    return PostgresStore(url) if url else SQLiteStore(CACHE_DIR)


# --------------------------------------------------------------------------------------------
# templates


def manage(url: str, *args: str, quiet: bool = False) -> None:
    """Run ``manage.py args`` against the database ``url`` in a subprocess (raises on failure)."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": SETTINGS}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL if quiet else None)


def _ensure(name: str, build: Callable[[str], None], base: str | None = None) -> str:
    """Template ``name``, built by ``build(url)`` on a copy of ``base`` (or a new database) if missing."""
    st = store()
    if st.exists(name):
        return name
    tmp = f"build_{os.getpid()}_{name}"
    st.drop(tmp)
    started = time.perf_counter()
    print(f"[setup] building cached database {name} ({st.engine}) …", flush=True)
    try:
        if base:
            st.copy(base, tmp)
        else:
            st.create(tmp)
        build(st.url(tmp))
        st.seal(tmp)
        st.rename(tmp, name)
    except BaseException:
        st.drop(tmp)
        raise
    print(f"[setup] built {name} in {time.perf_counter() - started:.1f} s", flush=True)
    current = state_hash()
    for old in st.names():
        if old.startswith(_TEMPLATE_PREFIXES) and not old.endswith(current):
            st.drop(old)
    return name


def empty_template() -> str:
    """A migrated database (built-in regions, no directory rows, no users)."""
    return _ensure(f"empty_{state_hash()}", lambda url: manage(url, "migrate", "--noinput", "-v0"))


def filled_template(size: int = 100_000, seed: int = 1) -> str:
    """:func:`empty_template` plus ``demo-data --seed seed --institutions size --no-accounts``."""
    return _ensure(
        f"demo_s{seed}_n{size}_{state_hash()}",
        lambda url: manage(url, "demo_data", "--seed", str(seed), "--institutions", str(size), "--no-accounts",
                           quiet=True),
        base=empty_template(),
    )


@contextlib.contextmanager
def working_copy(template: str) -> Iterator[str]:
    """A throw-away copy of ``template``; yields its ``DATABASE_URL``, deletes it afterwards."""
    st = store()
    if isinstance(st, PostgresStore):
        name = f"work_{os.getpid()}_{next(_copies)}"
        st.copy(template, name)
        try:
            yield st.url(name)
        finally:
            st.drop(name)
        return
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    work = SQLiteStore(Path(tempfile.mkdtemp(prefix="work-", dir=CACHE_DIR)))
    try:
        shutil.copyfile(st.path(template), work.path("work"))
        yield work.url("work")
    finally:
        shutil.rmtree(work.dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# the measuring process


def start_django(url: str) -> None:
    """Point Django at ``url`` (``DATABASE_URL``, dev settings with ``DEBUG = False``) and set it up.

    Must run before anything imports Django models."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic
    settings.DEBUG = False
    django.setup()


def machine() -> str:
    """One line naming the machine, the database engine and the load when the run started."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    st = store()
    engine = f"SQLite {sqlite3.sqlite_version}" if isinstance(st, SQLiteStore) else st.engine
    return (f"{platform.node()} · {os.cpu_count()} cores · {platform.machine()} · Python {platform.python_version()}"
            f" · {engine} · load average {load}")


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str]) -> int:
    st = store()
    if argv == ["list"]:
        print(f"state hash {state_hash()}; {st.engine} cache {getattr(st, 'dir', getattr(st, 'prefix', ''))}")
        for name in st.names():
            print("  " + name)
        return 0
    if argv == ["clear"]:
        for name in st.names():
            st.drop(name)
            print(f"dropped {name}")
        if isinstance(st, SQLiteStore):
            shutil.rmtree(st.dir, ignore_errors=True)
        return 0
    print("usage: benchmarks/_setup.py list | clear", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def run_step(script: str, *args: str) -> dict[str, Any]:
    """Run ``script --step …`` in a subprocess (fresh memory figures); its last stdout line is the JSON result."""
    import json

    proc = subprocess.run([sys.executable, script, "--step", *args], capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"step {args[0]} failed (exit {proc.returncode})")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result
