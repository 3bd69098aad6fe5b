"""Fill a migrated Consentry database with many clients and tokens, fast, to measure at scale.

    .venv/bin/python bench/scale/seed.py --database-url URL --secret-key KEY \\
        --clients 100000 --tokens 1000000 --expired 200000 [--json]

Adds service clients to a project named "Scale" (created if missing; each client has a distinct
client_id and the keyed hash of a random secret nobody knows), ``--tokens`` live token rows spread
over them (random access and refresh hashes, expiring in a day) and ``--expired`` rows that expired
a week ago, which ``consentry purge`` deletes. Run it again to add more: client ids carry a random
run prefix.

Speed: rows go in as plain tuples, bypassing the ORM: ``executemany`` on the raw sqlite3
connection (big transactions, ``synchronous=OFF``) or ``COPY ... FROM STDIN`` through psycopg.
Live rows go in with each column sorted per transaction, so the hash indexes are filled by
sweeps rather than by random inserts; expired rows stay random (see ``token_rows``).
Rows are built from the column lists of the Token and Client tables, so a schema change that this
script does not know about stops it with a clear message instead of seeding something subtly wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import psycopg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, Table, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from consentry.domain.secrets import Hasher, new_secret
from consentry.storage.db import make_engine
from consentry.storage.tables import Client, Project, Token

PROJECT = "Scale"
DAY = 86_400
CHUNK = 100_000  # rows per transaction
SQLITE_CACHE_KIB = 512 * 1024  # the unique hash indexes take random inserts: keep them in memory
ISSUER = os.environ.get("CONSENTRY_ISSUER", "http://127.0.0.1:8000").rstrip("/")


class SeedError(Exception):
    """Something the operator must fix (wrong database, schema drift); printed without a trace."""


@dataclass(frozen=True)
class Layout:
    """How to build rows of one table: columns that vary per row, then the same values for all."""

    table: Table
    varying: tuple[str, ...]
    constants: dict[str, Any]

    def __post_init__(self) -> None:
        wanted = {c.name for c in self.table.columns if not _is_serial(self.table, c.name)}
        given = set(self.varying) | set(self.constants)
        if wanted != given:
            raise SeedError(
                f"bench/scale/seed.py is out of date with table {self.table.name}: "
                f"no value for {sorted(wanted - given)}, unknown columns {sorted(given - wanted)}"
            )

    @property
    def columns(self) -> list[str]:
        return [*self.varying, *self.constants]


def _is_serial(table: Table, name: str) -> bool:
    """The integer primary key the database numbers itself."""
    column = table.columns[name]
    return column.primary_key and column.autoincrement in (True, "auto") and len(table.primary_key) == 1


def random_hex(count: int, nbytes: int) -> list[str]:
    """``count`` random lowercase hex strings of ``nbytes`` bytes (Hasher.hash renders 64 hex)."""
    blob = os.urandom(count * nbytes).hex()
    width = 2 * nbytes
    return [blob[i : i + width] for i in range(0, count * width, width)]


def client_layout(project_id: int, t: int) -> Layout:
    return Layout(
        Client.__table__,  # type: ignore[arg-type]
        ("client_id", "name", "secret_hash"),
        {
            "project_id": project_id,
            "client_type": "service",
            "redirect_uris": "[]",
            "access_token_format": "opaque",
            "id_token_alg": "RS256",
            "jwks": None,
            "can_introspect": False,
            "disabled": False,
            "deleted_at": None,
            "created_at": t,
            # No legacy consumer, no service account: plain client-credentials clients.
            "secret_sealed": None,
            "legacy_domain": "",
            "certificate": None,
            "service_email": None,
        },
    )


def token_layout(issued_at: int, expires_at: int) -> Layout:
    return Layout(
        Token.__table__,  # type: ignore[arg-type]
        ("access_hash", "refresh_hash", "client_pk", "family"),
        {
            "user_id": None,
            "scope": f"{ISSUER}/auth/calendar.readonly",
            "grant_type": "client_credentials",
            "token_format": "opaque",
            "jti": None,
            "issued_at": issued_at,
            "expires_at": expires_at,
            "refresh_expires_at": expires_at,
            "rotated_at": None,
            "revoked_at": None,
            "purge_after": expires_at,
        },
    )


def client_rows(run: str, start: int, count: int, hasher: Hasher) -> Iterator[tuple[Any, ...]]:
    for i in range(start, start + count):
        yield (f"scale-{run}-{i}.apps.consentry", f"Scale client {i}", hasher.hash(new_secret()))


def token_rows(
    count: int, client_pks: Sequence[int], offset: int, ordered: bool = False
) -> Iterator[list[tuple[Any, ...]]]:
    """``count`` random rows, ``CHUNK`` at a time (one transaction each).

    ``ordered`` sorts each column of a chunk on its own, so that the hash indexes take a sweep
    instead of random inserts (three times faster on PostgreSQL). Pairing a sorted list of random
    access hashes with a sorted list of random refresh hashes is still random data: lookups are by
    equality and nothing depends on which hash sits in which row.
    """
    n = len(client_pks)
    for start in range(0, count, CHUNK):
        size = min(CHUNK, count - start)
        access, refresh = random_hex(size, 32), random_hex(size, 32)
        families = random_hex(size, 16)
        clients = [client_pks[(offset + start + i) % n] for i in range(size)]
        if ordered:
            for column in (access, refresh, families, clients):
                column.sort()
        yield list(zip(access, refresh, clients, families, strict=True))


class Writer:
    """Bulk inserts of tuples in the column order of a Layout, one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        #: The sqlite3 or psycopg connection itself (its executemany takes an iterator; COPY).
        driver = self.raw.driver_connection
        assert driver is not None, "a pooled connection always has its driver connection"
        self.driver: Any = driver
        self.postgres = engine.dialect.name == "postgresql"
        if not self.postgres:
            self.driver.execute("PRAGMA synchronous=OFF")  # a crash mid-seed only loses bench data
            self.driver.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    def write(self, layout: Layout, rows: Iterable[tuple[Any, ...]]) -> None:
        if self.postgres:
            self._copy(layout, rows)
        else:
            # Only the varying columns are bound: binding costs more per value than SQLite's insert.
            values = ["?"] * len(layout.varying) + [_sql_literal(v) for v in layout.constants.values()]
            columns = ", ".join(layout.columns)
            self.driver.executemany(
                f"INSERT INTO {layout.table.name} ({columns}) VALUES ({', '.join(values)})", rows
            )
        self.driver.commit()

    def _copy(self, layout: Layout, rows: Iterable[tuple[Any, ...]]) -> None:
        """COPY in text format; every value here is hex, digits or a fixed string without escapes."""
        tail = "\t".join(_copy_text(v) for v in layout.constants.values())
        sql = f"COPY {layout.table.name} ({', '.join(layout.columns)}) FROM STDIN"
        with self.driver.cursor() as cur, cur.copy(sql) as copy:
            block: list[str] = []
            for row in rows:
                block.append("\t".join(map(str, row)) + "\t" + tail + "\n")
                if len(block) == 10_000:
                    copy.write("".join(block))
                    block.clear()
            copy.write("".join(block))

    def analyze(self) -> None:
        """Fresh planner statistics on PostgreSQL, so what runs next is planned for the new size."""
        if self.postgres:
            with self.driver.cursor() as cur:
                cur.execute("ANALYZE clients")
                cur.execute("ANALYZE tokens")
            self.driver.commit()

    def close(self) -> None:
        self.raw.close()


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(ch in text for ch in "\t\n\r\\"):
        raise SeedError(f"value needs COPY escaping: {text!r}")
    return text


def _scale_project(engine: Engine) -> int:
    with Session(engine) as session, session.begin():
        project = session.scalar(select(Project).where(Project.name == PROJECT))
        if project is None:
            project = Project(name=PROJECT, user_type="external", status="production")
            session.add(project)
            session.flush()
        return project.id


def _client_pks(engine: Engine, project_id: int, run: str) -> list[int]:
    query = (
        select(Client.id)
        .where(Client.project_id == project_id, Client.client_id.like(f"scale-{run}-%"))
        .order_by(Client.id)
    )
    with engine.connect() as conn:
        return list(conn.scalars(query))


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, CHUNK):
        yield start, min(CHUNK, total - start)


def seed(
    url: str,
    secret_key: str,
    clients: int,
    tokens: int,
    expired: int,
    advance: Callable[[str, int], None] = lambda _t, _n: None,
) -> dict[str, Any]:
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table("alembic_version"):
            raise SeedError("not a migrated Consentry database: run `consentry db upgrade` first")
        t = int(time.time())
        run = os.urandom(6).hex()
        project_id = _scale_project(engine)
        writer = Writer(engine)
        try:
            hasher = Hasher(secret_key)  # as clients.service hashes client secrets
            layout = client_layout(project_id, t)
            for start, count in _chunks(clients):
                writer.write(layout, client_rows(run, start, count, hasher))
                advance("clients", count)
            pks = _client_pks(engine, project_id, run)
            if len(pks) != clients:
                raise SeedError(f"inserted {clients} clients but found {len(pks)}")
            live = token_layout(t, t + DAY)
            for chunk in token_rows(tokens, pks, 0, ordered=True):
                writer.write(live, chunk)
                advance("tokens", len(chunk))
            # Issued 8 days ago, dead for a week: past any reasonable purge grace. Left in random
            # order, so that purging them touches index pages the way a real table makes it.
            dead = token_layout(t - 8 * DAY, t - 7 * DAY)
            for chunk in token_rows(expired, pks, tokens):
                writer.write(dead, chunk)
                advance("expired", len(chunk))
            writer.analyze()
        finally:
            writer.close()
    finally:
        engine.dispose()
    return {
        "clients": clients,
        "tokens": tokens,
        "expired": expired,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _count(value: str) -> int:
    n = int(value)
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True, help="sqlite:///file.db or postgresql+psycopg://...")
    ap.add_argument("--secret-key", required=True, help="the server's CONSENTRY_SECRET_KEY")
    ap.add_argument("--clients", type=_count, required=True, help="service clients to add")
    ap.add_argument("--tokens", type=_count, required=True, help="live token rows (expire in a day)")
    ap.add_argument("--expired", type=_count, default=0, help="token rows that expired a week ago")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.clients == 0 and args.tokens + args.expired > 0:
        ap.error("tokens need at least one client (--clients)")
    err = Console(stderr=True)
    bar = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    show = not args.json and err.is_terminal
    tasks = {
        name: bar.add_task(name, total=total)
        for name, total in (("clients", args.clients), ("tokens", args.tokens), ("expired", args.expired))
    }
    try:
        with bar if show else nullcontext():
            out = seed(
                args.database_url,
                args.secret_key,
                args.clients,
                args.tokens,
                args.expired,
                lambda name, n: bar.advance(tasks[name], n),
            )
    except (SeedError, SQLAlchemyError, sqlite3.Error, psycopg.Error, OSError) as exc:
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if args.json:
            print(json.dumps({"error": type(exc).__name__, "message": message}))
        else:
            err.print(f"[red]error:[/red] {message}")
        return 1
    if args.json:
        print(json.dumps(out))
    else:
        rate = (out["clients"] + out["tokens"] + out["expired"]) / max(out["seconds"], 1e-9)
        print(
            f"added {out['clients']:,} clients, {out['tokens']:,} live and {out['expired']:,} expired "
            f"tokens in {out['seconds']:.1f} s ({rate:,.0f} rows/s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
