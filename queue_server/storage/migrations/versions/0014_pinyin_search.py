"""pinyin search: guides and disclosures are indexed by full pinyin as well as initials

Revision ID: 0014_pinyin_search
Revises: 0012_print_truth
Create Date: 2026-12-06 00:00:00

The kiosk's on-screen keyboard types pinyin, and a citizen types full pinyin (budongchan) as often as initials
(bdc). `search_initials` now holds both (queue_server/catalogue/index.py); this re-indexes the rows already
stored, with the same pypinyin rules, so existing catalogues answer full pinyin without a re-import. Data only.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = '0014_pinyin_search'
down_revision = '0012_print_truth'
branch_labels = None
depends_on = None


def _initials(text: str) -> str:
    # pypinyin imported where used: alembic loads every revision to run any, and its tables cost ~0.4 s to load.
    from pypinyin import Style
    from pypinyin import lazy_pinyin

    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower())


def _full(text: str) -> str:
    from pypinyin import lazy_pinyin

    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(text, errors="default")).lower())


def _index(names: list[str]) -> str:
    named = [n for n in names if n]
    return " ".join([_initials(n) for n in named] + [_full(n) for n in named])


def _reindex(full: bool) -> None:
    bind = op.get_bind()
    for row in bind.execute(sa.text("SELECT id, name, theme, keywords FROM guide_items")).fetchall():
        names = [row.name, row.theme or "", *(row.keywords or "").split()]
        value = _index(names) if full else " ".join(_initials(n) for n in names if n)
        bind.execute(sa.text("UPDATE guide_items SET search_initials = :v WHERE id = :id"), {"v": value, "id": row.id})
    for row in bind.execute(sa.text("SELECT id, title, category FROM disclosure_documents")).fetchall():
        names = [row.title, row.category or ""]
        value = _index(names) if full else " ".join(_initials(n) for n in names if n)
        bind.execute(sa.text("UPDATE disclosure_documents SET search_initials = :v WHERE id = :id"),
                     {"v": value, "id": row.id})


def upgrade() -> None:
    _reindex(full=True)


def downgrade() -> None:
    _reindex(full=False)
