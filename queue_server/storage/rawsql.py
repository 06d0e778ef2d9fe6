"""Hand-written SQL on the session's own DBAPI connection, for the handful of statements every ticket op runs.

Why not SQLAlchemy here: measured on this machine, SQLite answers a keyed SELECT in ~12 µs, SQLAlchemy Core
needs ~70 µs around it even for a prebuilt statement and the ORM ~160 µs. Issuing a ticket runs about eight
statements under the hall's lock, so the wrapper, not the database, set the hall's throughput (docs/benchmarks.md).
The statements run inside the session's transaction (BEGIN IMMEDIATE / the hall's row lock), so atomicity and
ordering are exactly those of the ORM path. Every statement names the models' own tables and columns; the
engine and API tests run through them on SQLite and PostgreSQL, and tests/engine/test_rawsql.py checks that
values written here read back through the ORM unchanged.

Parameters are written `:name`; SQLite takes that style natively, psycopg gets `%(name)s`. Values must be bound
in the form SQLAlchemy itself stores them (`stamp`, `day`, `as_json`), or comparisons with ORM-written rows
would go wrong on SQLite, which compares timestamps as text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    if "%" in sql:
        raise ValueError("a literal % in raw SQL would be read as a psycopg placeholder")
    return _PARAM.sub(r"%(\1)s", sql)


@lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
            "RETURNING id")


@lru_cache(maxsize=64)
def _update_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"UPDATE {table} SET {', '.join(f'{c} = :{c}' for c in columns)} WHERE id = :id"


def attach(session: Session, row: Any) -> Any:
    """Make an ORM object built with every column (id included) of a row inserted here persistent in `session`,
    as if the unit of work had flushed it: later ops in the session update it through the ORM as usual."""
    make_transient_to_detached(row)
    session.add(row)
    return row


_SESSION_KEY = "hallq_rawsql"


class RawSQL:
    """The DBAPI connection under `session`, with value conversion for its dialect."""

    __slots__ = ("_dbapi", "_session", "generation", "sqlite")

    @classmethod
    def of(cls, session: Session) -> RawSQL:
        """The session's RawSQL for its current transaction; asking the session for its connection again on
        every statement cost more than the statements."""
        tx = session.get_transaction()
        held = session.info.get(_SESSION_KEY)
        if tx is not None and held is not None and held[0] is tx:
            return held[1]  # type: ignore[no-any-return]
        raw = cls(session)
        session.info[_SESSION_KEY] = (session.get_transaction(), raw)
        return raw

    def __init__(self, session: Session) -> None:
        conn = session.connection()  # begins the session's transaction if it has not yet
        self.sqlite = conn.dialect.name == "sqlite"
        self._dbapi: Any = conn.connection.driver_connection
        self._session = session
        # Counts the writes this transaction has made (ours and the ORM's flushes): a value remembered from a
        # read is good while the generation it was read at is current.
        self.generation = 0

    def execute(self, sql: str, params: dict[str, Any]) -> Any:
        """Run one statement; returns the DBAPI cursor (fetchone/fetchall). Like the ORM's autoflush, pending
        ORM changes are written first, so a read here sees what the op has done so far."""
        self.sync()
        if not sql.startswith("SELECT"):
            self.generation += 1
        if self.sqlite:
            return self._dbapi.execute(sql, params)
        return self._dbapi.execute(_pyformat(sql), params)

    def sync(self) -> None:
        """Write the session's pending ORM changes now (a no-op when there are none)."""
        session = self._session
        if session.new or session.dirty or session.deleted:
            session.flush()
            self.generation += 1

    def executemany(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self.generation += 1
        if self.sqlite:
            self._dbapi.executemany(sql, rows)
        else:
            self._dbapi.cursor().executemany(_pyformat(sql), rows)

    def insert(self, table: str, params: dict[str, Any]) -> int:
        """INSERT one row (values already in stored form) and return its id."""
        return int(self.one(_insert_sql(table, tuple(params)), params)[0])

    def one(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...]:
        row = self.execute(sql, params).fetchone()
        if row is None:
            raise LookupError("statement returned no row")
        return tuple(row)

    def update(self, row: Any, table: str, values: dict[str, Any]) -> None:
        """UPDATE the ORM object `row` (by id) with `values` (column attributes; Python values as the ORM holds
        them) and record them as its committed state, so the unit of work does not write them again."""
        params = {k: self._stored(v) for k, v in values.items()}
        params["id"] = row.id
        self.execute(_update_sql(table, tuple(values)), params)
        for key, value in values.items():
            set_committed_value(row, key, value)

    def _stored(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.stamp(value)
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, date):
            return self.day(value)
        return value

    def stamp(self, value: datetime | None) -> Any:
        """A UTC instant as UTCDateTime stores it: SQLite text with microseconds, PostgreSQL timestamptz."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if not self.sqlite:
            return value
        v = value.astimezone(UTC)
        return (f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
                f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}")

    def instant(self, value: Any) -> datetime:
        """A UTCDateTime column as read here, as the ORM returns it: an aware UTC datetime."""
        if isinstance(value, str):  # SQLite's stored text (`stamp`)
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)  # type: ignore[no-any-return]

    def day(self, value: date) -> Any:
        return value.isoformat() if self.sqlite else value

    @staticmethod
    def as_json(value: Any) -> str:
        # SQLAlchemy's JSON type stores json.dumps with default settings; reading either back gives the same value.
        return json.dumps(value)

    def from_json(self, value: Any) -> Any:
        """A JSON column as read here: text on SQLite, already parsed by psycopg on PostgreSQL."""
        return json.loads(value) if self.sqlite and value is not None else value
