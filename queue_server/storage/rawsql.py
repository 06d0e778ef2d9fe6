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
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.orm.attributes import manager_of_class
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


@lru_cache(maxsize=256)
def _pyformat(sql: str) -> str:
    if "%" in sql:
        raise ValueError("a literal % in raw SQL would be read as a psycopg placeholder")
    return _PARAM.sub(r"%(\1)s", sql)


@lru_cache(maxsize=64)
def packed(sql: str, columns: tuple[str, ...]) -> str:
    """SQLite: the rows of `sql` as one row holding a JSON array of arrays (RawSQL.rows)."""
    return f"SELECT json_group_array(json_array({', '.join(columns)})) FROM ({sql})"


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


@lru_cache(maxsize=64)
def _row_reader(model: type, dialect: Dialect) -> tuple[tuple[str, Any], ...]:
    """(attribute, the column type's result conversion for this dialect or None) per column: the values the ORM
    itself would load."""
    return tuple((c.key, c.type.dialect_impl(dialect).result_processor(dialect, None))
                 for c in model.__table__.columns)  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _id_index(model: type) -> int:
    return [c.name for c in model.__table__.columns].index("id")  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _columns(model: type, alias: str) -> str:
    return ", ".join(f"{alias}.{c.name}" for c in model.__table__.columns)  # type: ignore[attr-defined]


@lru_cache(maxsize=32)
def _identity(model: type) -> tuple[type, Any]:
    """The class an identity key names (the mapper's base) and the model's instance manager."""
    return identity_key(model, 0)[0], manager_of_class(model)


def _held_or_built(session: Session, model: type, values: Any) -> Any:
    """The object `session` holds for this row (as the ORM returns it, unchanged), else one built from it as the
    ORM's loader builds a row it has not seen (loading.py, `_instance`): a new instance with its values set as
    loaded (no change history), entered straight into the session's identity map. make_transient_to_detached and
    Session.add did the same at twice the cost (their cascade and history walks were a fifth of a call-next's
    held GIL with 8 windows calling, docs/benchmarks.md). These are SQLAlchemy's internals:
    tests/engine/test_rawsql.py checks what the ORM makes of such an object, and pyproject.toml bounds the version."""
    reader = _row_reader(model, session.get_bind().dialect)
    cls, manager = _identity(model)
    key = (cls, (values[_id_index(model)],), None)
    identity_map = session.identity_map
    held = identity_map.get(key)
    if held is not None:
        return held
    obj = manager.new_instance()
    obj.__dict__.update((name, convert(v) if convert is not None else v)
                        for (name, convert), v in zip(reader, values, strict=True))
    state = instance_state(obj)
    state.key = key
    state.identity_token = None
    state.session_id = session.hash_key
    identity_map._add_unpresent(state, key)  # noqa: SLF001 - see the docstring
    return obj


def load(session: Session, model: type, where: str, params: dict[str, Any]) -> Any | None:
    """The one `model` row matching `where` (SQL after "FROM <table> AS m": "WHERE m.id = :id", "... FOR
    UPDATE"), as a persistent object of `session`, as `session.scalars(select(model)...).first()` gives it: an
    object the session already holds for that row comes back as it is. About a quarter of the ORM's cost for
    one row; the ORM's loads were a fifth of a call (docs/benchmarks.md, issue 22)."""
    found = load_joined(session, ((model, "m", ""),), where, params)
    return None if found is None else found[0]


Joins = tuple[tuple[type, str, str], ...]


def load_joined(session: Session, joins: Joins, where: str, params: dict[str, Any], extra: str = "",
                ) -> tuple[Any, ...] | None:
    """One row of several models in one statement: `joins` is ((model, alias, join clause), ...), the first
    with an empty clause ("LEFT JOIN windows w ON w.id = t.window_id" for the others); `where` follows the
    joins. Returns an object per model (None where a LEFT JOIN found no row), then the values of the `extra`
    select-list expressions ("(SELECT ...) AS busy"), or None when no row matched. One statement, not one per
    model: each statement run under the hall's lock lets every other request thread take the GIL first."""
    sql = _joined_sql(joins, extra) + where
    row = RawSQL.of(session).execute(sql, params).fetchone()
    if row is None:
        return None
    out: list[Any] = []
    at = 0
    for model, _alias, _on in joins:
        width = len(model.__table__.columns)  # type: ignore[attr-defined]
        values = row[at:at + width]
        at += width
        out.append(None if values[_id_index(model)] is None else _held_or_built(session, model, values))
    out.extend(row[at:])
    return tuple(out)


@lru_cache(maxsize=32)
def _joined_sql(joins: Joins, extra: str) -> str:
    columns = ", ".join(_columns(model, alias) for model, alias, _on in joins)
    first, alias, _on = joins[0]
    clauses = " ".join(on for _model, _alias, on in joins[1:])
    return (f"SELECT {columns}{', ' + extra if extra else ''} FROM {first.__table__.name} {alias} "  # type: ignore[attr-defined]
            f"{clauses + ' ' if clauses else ''}")


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

    def rows(self, sql: str, params: dict[str, Any], columns: tuple[str, ...]) -> list[Sequence[Any]]:
        """Every row of a SELECT whose result columns are named `columns`. On SQLite they come back packed as one
        JSON row: one step of the statement, where the sqlite3 module stepped once per row and let go of the GIL
        at each step (under the hall's lock, with other request threads waiting for it). JSON keeps integers,
        text and NULL as they are; a stored timestamp is text either way on SQLite."""
        if not self.sqlite:
            return self.execute(sql, params).fetchall()  # type: ignore[no-any-return]
        return json.loads(self.execute(packed(sql, columns), params).fetchone()[0])  # type: ignore[no-any-return]

    def sync(self) -> None:
        """Write the session's pending ORM changes now (a no-op when there are none)."""
        session = self._session
        # What session.new, .dirty and .deleted ask, without building the three sets on every statement (a
        # twentieth of a call's held GIL). Internals, like _held_or_built's.
        if session.identity_map.check_modified() or session._new or session._deleted:  # noqa: SLF001
            session.flush()
            self.generation += 1

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
