"""singular and plural unit names of supply items (issue 17)

Revision ID: 0019_units
Revises: 0018_retention

Units were free text ("cx", "embalagem", "frasco"), shown as "3 frasco".  An item now has a
known kind (translated with its plural) or "other" with a singular and a plural typed by a
person.  Backfill: a known word becomes its kind; the rest keep their text as both forms.
Plain ADD COLUMN: no table rebuild.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0019_units"
down_revision = "0018_retention"
branch_labels = None
depends_on = None

# A frozen copy of portal.services.supplies.units' word list: a migration must not change
# with the application code.
_WORDS = {
    "unit": "un und unid unids unidade unidades unit units u pc pcs piece pieces each ea",
    "box": "cx cxs caixa caixas box boxes bx",
    "pack": "pct pcts pac pacote pacotes pack packs pk",
    "ream": "rm resma resmas ream reams",
    "bottle": "fr fco frasco frascos bottle bottles",
    "roll": "rl rolo rolos roll rolls",
    "package": "emb embalagem embalagens package packages pkg",
    "litre": "l lt lts litro litros litre litres liter liters",
    "kg": "kg kgs quilo quilos kilo kilos kilogram kilograms quilograma quilogramas",
}
_KNOWN = {w: kind for kind, words in _WORDS.items() for w in words.split()}


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower().rstrip("."))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def upgrade() -> None:
    op.add_column(
        "supply_item",
        sa.Column("unit_kind", sa.String(length=16), nullable=False, server_default="unit"),
    )
    op.add_column("supply_item", sa.Column("unit_plural", sa.String(length=20), nullable=True))
    bind = op.get_bind()
    item = sa.table(
        "supply_item",
        sa.column("unit", sa.String),
        sa.column("unit_kind", sa.String),
        sa.column("unit_plural", sa.String),
    )
    words = [row[0] for row in bind.execute(sa.select(item.c.unit).distinct())]
    for word in words:
        kind = _KNOWN.get(_fold(word or ""))
        if kind is None and (word or "").strip():
            values = {"unit_kind": "other", "unit_plural": word}
        else:
            values = {"unit_kind": kind or "unit", "unit": kind or "unit"}
        where = item.c.unit.is_(None) if word is None else item.c.unit == word
        bind.execute(sa.update(item).where(where).values(**values))


def downgrade() -> None:
    # Give the free-text column back the words people read (English singular of known kinds).
    bind = op.get_bind()
    item = sa.table("supply_item", sa.column("unit", sa.String), sa.column("unit_kind", sa.String))
    bind.execute(sa.update(item).where(item.c.unit_kind != "other").values(unit=item.c.unit_kind))
    op.drop_column("supply_item", "unit_plural")
    op.drop_column("supply_item", "unit_kind")
