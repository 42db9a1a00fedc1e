"""The indexes behind the header search (issue 14), one per database engine.

Every search is a substring match on folded text (lower case, accents removed: "joao" finds
"João"), which a B-tree cannot answer. So:

- **PostgreSQL**: a ``pg_trgm`` GIN index on the very expression each provider filters on,
  ``lower(translate(coalesce(col, ''), 'áà…', 'aa…'))`` (IMMUTABLE, so indexable), and on
  ``coalesce(col, '')`` for the phone columns (E.164) and ``inbox_message.search_text`` (stored
  folded). Expressions both: Alembic compares plain-column indexes on SQLite, where these
  PostgreSQL-only (``ddl_if``) indexes do not exist. ``LIKE '%joao%'`` then reads the index
  (a bitmap OR over the columns).
- **SQLite**: the trigrams of each searched row, folded, in ``search_gram`` (kind, gram, row_id),
  a WITHOUT ROWID table whose primary key is the index; triggers on every searched table keep it
  current in the same transaction as the change. A query of 3+ characters intersects the rows of
  a few of its trigrams, a shorter one reads the range of trigrams it starts; the providers then
  check the real condition on those candidate rows only. (FTS5's trigram tokenizer would do the
  same, but a virtual table and its five shadow tables are not something SQLAlchemy's metadata,
  ``create_all`` and the migration check can describe; this table is.)

The triggers fold with nested ``replace()`` — built into SQLite — so any connection can write
these tables, even one without the portal's ``translate`` function.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Column, Index, Integer, PrimaryKeyConstraint, String, Table, event, func

from portal.extensions import db
from portal.models.frontdesk import Call, Fax, StaffRequest, Visit
from portal.models.inbox import InboxMessage
from portal.models.recruiting import Candidate, Opening
from portal.models.supplies import Supplier, SupplyItem

# Accented letters of Portuguese, Spanish, French and German and what they fold to; both cases
# (PostgreSQL's lower() leaves non-ASCII letters alone under the C collation, SQLite's always).
ACCENTED = "áàâãäåÁÀÂÃÄÅéèêëÉÈÊËíìîïÍÌÎÏóòôõöÓÒÔÕÖúùûüÚÙÛÜçÇñÑýÿÝ"
PLAIN = "aaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuuccnnyyy"
assert len(ACCENTED) == len(PLAIN)


def fold_sql(column: Any) -> Any:
    """``fold`` in SQL (PostgreSQL; SQLite with the portal's ``translate`` function)."""
    return func.lower(func.translate(func.coalesce(column, ""), ACCENTED, PLAIN))


# table -> (text columns matched folded, columns matched as they are: E.164 phones, stored
# folded text). Keep in step with the providers and migrations/versions/0013_inbox.py.
SEARCHED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    Call.__tablename__: (("caller_name", "company", "message"), ("phone",)),
    Fax.__tablename__: (("correspondent",), ("number",)),
    Visit.__tablename__: (("visitor_name", "company"), ()),
    StaffRequest.__tablename__: (("title", "description"), ()),
    SupplyItem.__tablename__: (("name", "sku"), ()),
    Supplier.__tablename__: (("name", "order_email"), ("phone",)),
    Candidate.__tablename__: (("name", "email"), ("phone",)),
    Opening.__tablename__: (("title", "location"), ()),
    InboxMessage.__tablename__: ((), ("search_text",)),
}

search_gram = Table(
    "search_gram",
    db.metadata,
    Column("kind", String(40), nullable=False),  # the searched table's name
    Column("gram", String(3), nullable=False),
    Column("row_id", Integer, nullable=False),
    PrimaryKeyConstraint("kind", "gram", "row_id", name="pk_search_gram"),
    sqlite_with_rowid=False,
)


def index_name(table: str, column: str) -> str:
    return f"ix_search_{table}_{column}"


def _declare_postgresql_indexes() -> None:
    for name, (folded, plain) in SEARCHED.items():
        table = db.metadata.tables[name]
        for column in folded:
            label = f"{column}_folded"
            Index(
                index_name(name, column),
                fold_sql(table.c[column]).label(label),
                postgresql_using="gin",
                postgresql_ops={label: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
        for column in plain:
            label = f"{column}_text"
            Index(
                index_name(name, column),
                func.coalesce(table.c[column], "").label(label),
                postgresql_using="gin",
                postgresql_ops={label: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")


_declare_postgresql_indexes()


# --- SQLite: the trigram table's triggers (also created by the migration) ----------------------


def _folded_rows(table: str, alias: str, source: str = "") -> str:
    """SELECT id, f: each row's searched text folded with SQLite's built-in functions only (no
    custom function needed), in stages of a few nested replace() (the parser's stack is small)."""
    folded, plain = SEARCHED[table]
    text = " || ' ' || ".join(f"coalesce({alias}.{c}, '')" for c in (*folded, *plain))
    sql = f"SELECT {alias}.id AS id, lower({text}) AS f{source}"
    pairs = list(zip(ACCENTED, PLAIN, strict=True))
    for start in range(0, len(pairs), 9):
        expression = "f"
        for accented, bare in pairs[start : start + 9]:
            expression = f"replace({expression}, '{accented}', '{bare}')"
        sql = f"SELECT id, {expression} AS f FROM ({sql})"
    # two trailing spaces: every character starts a trigram (a 1-2 character query's range)
    # LIMIT -1 (none): keeps SQLite from flattening this into the join with json_each, which
    # would fold the text again for every trigram instead of once per row
    return f"SELECT id, f || '  ' AS f FROM ({sql}) LIMIT -1"


def _grams_of(table: str, alias: str, source: str = "") -> str:
    """SELECT kind, gram, row_id of the rows ``alias`` (``new``, ``old`` or the table)."""
    return (
        f"SELECT '{table}' AS kind, substr(s.f, j.key + 1, 3) AS gram, s.id AS row_id "
        f"FROM ({_folded_rows(table, alias, source)}) AS s, "
        "json_each('[' || replace(hex(zeroblob(length(s.f) - 2)), '00', '0,') || '0]') AS j "
        "WHERE j.key < length(s.f) - 2"
    )


def sqlite_trigger_names(table: str) -> tuple[str, str, str]:
    return (f"search_gram_{table}_ai", f"search_gram_{table}_au", f"search_gram_{table}_ad")


def sqlite_ddl(table: str) -> list[str]:
    """CREATE TRIGGER statements keeping ``search_gram`` current for ``table``."""
    folded, plain = SEARCHED[table]
    columns = (*folded, *plain)
    insert, update, delete = sqlite_trigger_names(table)
    add = f"INSERT OR IGNORE INTO search_gram (kind, gram, row_id) {_grams_of(table, 'new')};"
    remove = (
        f"DELETE FROM search_gram WHERE kind = '{table}' AND row_id = old.id AND gram IN "
        f"(SELECT g.gram FROM ({_grams_of(table, 'old')}) AS g);"
    )
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in columns)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {insert} AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {update} AFTER UPDATE OF {', '.join(columns)} "
        f"ON {table} WHEN {changed} BEGIN {remove} {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {delete} AFTER DELETE ON {table} BEGIN {remove} END",
    ]


def sqlite_fill(table: str) -> str:
    """INSERT the trigrams of every row of ``table`` (a rebuild after DELETE of its kind)."""
    grams = _grams_of(table, table, f" FROM {table}")
    # sorted: appended to the primary key's B-tree in order, not scattered through it
    return f"INSERT OR IGNORE INTO search_gram (kind, gram, row_id) {grams} ORDER BY 1, 2, 3"


@event.listens_for(db.metadata, "before_create")
def _extension(target: Any, connection: Any, **kw: Any) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm"))


@event.listens_for(db.metadata, "after_create")
def _triggers(target: Any, connection: Any, **kw: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    for table in SEARCHED:
        for statement in sqlite_ddl(table):
            connection.exec_driver_sql(statement)
