"""Service guides (办事指南) and public disclosures (政务公开): their search index, import and search.

Search works the same on SQLite and PostgreSQL with no extension: each row keeps a normalised search text and the
pinyin of its names (initials and full pinyin), both computed at import; a query matches by substring (LIKE),
which is exact for two-character words (社保, 户口) and phrases (营业执照), and plenty fast for a catalogue of a few
thousand items. Everyday words and abbreviations (户口, 年报) also match their official terms (户籍, 年度报告).
Part of the core: imports no Flask, no escpos, no kiosk or display.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.catalogue import DisclosureDocument
from queue_server.storage.catalogue import GuideItem
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Service

# Everyday words citizens type for the official terms (a query matches either form).
SYNONYMS = {
    "社保": ("社会保险", "社保"), "医保": ("医疗保险", "医保"), "户口": ("户籍", "户口"),
    "身份证": ("居民身份证", "身份证"), "驾照": ("驾驶证", "驾照"), "护照": ("出入境", "护照"),
    "房产证": ("不动产权证书", "房产证"), "公积金": ("住房公积金", "公积金"), "执照": ("营业执照", "执照"),
    "开公司": ("企业设立", "开公司"),
    # Abbreviations of disclosure titles (政务公开): what people say for the documents' official names.
    "年报": ("年度报告", "年报"), "预决算": ("预算", "决算", "预决算"),
}


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, no whitespace: what both the index and queries go through."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())


def syllables(text: str, *, first_letters: bool = False) -> list[str]:
    """Toneless pinyin of each Chinese character in `text` (or its first letter); other runs kept as they are.

    pypinyin is imported here, on first use: its tables cost ~0.4 s to load, which every `hallq` command paid at
    import though few of them spell anything; a server loads them while it starts (create_app says why)."""
    from pypinyin import Style
    from pypinyin import lazy_pinyin

    return lazy_pinyin(text, style=Style.FIRST_LETTER if first_letters else Style.NORMAL, errors="default")


def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters in `text` (不动产登记 -> bdcdj); other letters and digits kept."""
    return re.sub(r"[^a-z0-9]", "", "".join(syllables(text, first_letters=True)).lower())


def full_pinyin(text: str) -> str:
    """Full pinyin, toneless, of `text` (不动产登记 -> budongchandengji); other letters and digits kept."""
    return re.sub(r"[^a-z0-9]", "", "".join(syllables(text)).lower())


def _initials_index(names: Iterable[str]) -> str:
    """Initials then full pinyin of each name, space-separated, so a query can match inside one name but never
    across two: a citizen on the kiosk's keyboard types either (bdcdj, budongchan)."""
    named = [n for n in names if n]
    return " ".join([initials(n) for n in named] + [full_pinyin(n) for n in named])


def index_guide(item: GuideItem) -> None:
    material_names = " ".join(m.get("name", "") for m in item.materials or [])
    item.search_text = normalise(" ".join([
        item.name, item.keywords, item.theme, item.agency, item.conditions, material_names,
        ITEM_TYPES.get(item.item_type, ""), " ".join(f.get("q", "") for f in item.faq or []),
    ]))
    item.search_initials = _initials_index([item.name, item.theme, *item.keywords.split()])


def index_disclosure(doc: DisclosureDocument) -> None:
    doc.search_text = normalise(" ".join([doc.title, doc.doc_no, doc.publisher, doc.category, doc.body]))
    doc.search_initials = _initials_index([doc.title, doc.category])


GUIDE_FIELDS = {c.key for c in GuideItem.__table__.columns} - {"id", "search_text", "search_initials"}
DISCLOSURE_FIELDS = {c.key for c in DisclosureDocument.__table__.columns} - {"id", "search_text", "search_initials"}


def import_guides(session: Session, items: Iterable[dict[str, Any]]) -> int:
    """Insert or update guide items by code, indexing them for search. Returns how many were written."""
    count = 0
    for data in items:
        item = session.scalar(select(GuideItem).where(GuideItem.code == data["code"])) or GuideItem()
        for key, value in data.items():
            if key in GUIDE_FIELDS:
                setattr(item, key, value)
        index_guide(item)
        session.add(item)
        count += 1
    session.flush()
    return count


def import_disclosures(session: Session, docs: Iterable[dict[str, Any]]) -> int:
    count = 0
    for data in docs:
        doc = session.scalar(
            select(DisclosureDocument).where(DisclosureDocument.index_no == data["index_no"])
        ) or DisclosureDocument()
        for key, value in data.items():
            if key in DISCLOSURE_FIELDS:
                setattr(doc, key, date.fromisoformat(value) if key == "written_on" and isinstance(value, str)
                        else value)
        index_disclosure(doc)
        session.add(doc)
        count += 1
    session.flush()
    return count


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _term_clause(model: type[GuideItem] | type[DisclosureDocument], term: str) -> Any:
    """One query word: pinyin initials when it is all letters (bdcdj), else text (with everyday synonyms)."""
    if re.fullmatch(r"[a-z]{2,}", term):
        # An everyday word typed in full pinyin (nianbao = 年报) also finds what it stands for (年度报告).
        spoken = [v for word, variants in SYNONYMS.items() if full_pinyin(word) == term for v in variants]
        return or_(model.search_initials.like(_like(term), escape="\\"),
                   model.search_text.like(_like(term), escape="\\"),
                   *[model.search_text.like(_like(normalise(v)), escape="\\") for v in spoken])
    variants = SYNONYMS.get(term, (term,))
    return or_(*[model.search_text.like(_like(normalise(v)), escape="\\") for v in variants])


def query_terms(query: str) -> list[str]:
    return [normalise(t) for t in re.split(r"[\s,，、]+", query.strip()) if normalise(t)]


def _rank(name: str, name_initials: str, terms: Sequence[str]) -> tuple[int, int, str]:
    """Name hits first (whole name equal, then contained), then shorter names: 户籍业务办理 before a FAQ mention."""
    key = normalise(name)
    hits = sum(1 for t in terms if any(normalise(v) in key for v in SYNONYMS.get(t, (t,))) or t in name_initials
               or (t.isascii() and t in full_pinyin(name))
               or any(full_pinyin(w) == t and any(normalise(v) in key for v in vs) for w, vs in SYNONYMS.items()))
    return (-hits, len(name), name)


def search_guides(session: Session, query: str = "", *, item_type: str | None = None,
                  department: str | None = None, theme: str | None = None, limit: int = 50) -> list[GuideItem]:
    stmt = select(GuideItem)
    terms = query_terms(query)
    if terms:
        stmt = stmt.where(and_(*[_term_clause(GuideItem, t) for t in terms]))
    if item_type:
        stmt = stmt.where(GuideItem.item_type == item_type)
    if department:
        stmt = stmt.where(GuideItem.department_code == department)
    if theme:
        stmt = stmt.where(GuideItem.theme == theme)
    rows = list(session.scalars(stmt.order_by(GuideItem.id)))
    if terms:
        rows.sort(key=lambda g: _rank(g.name, initials(g.name), terms))
    return rows[:limit]


def search_disclosures(session: Session, query: str = "", *, category: str | None = None,
                       limit: int = 50) -> list[DisclosureDocument]:
    stmt = select(DisclosureDocument)
    terms = query_terms(query)
    if terms:
        stmt = stmt.where(and_(*[_term_clause(DisclosureDocument, t) for t in terms]))
    if category:
        stmt = stmt.where(DisclosureDocument.category == category)
    rows = list(session.scalars(stmt.order_by(DisclosureDocument.written_on.desc(), DisclosureDocument.id)))
    if terms:
        rows.sort(key=lambda d: _rank(d.title, initials(d.title), terms))
    return rows[:limit]


def guide_by_code(session: Session, code: str) -> GuideItem | None:
    return session.scalar(select(GuideItem).where(GuideItem.code == code))


def disclosure_by_id(session: Session, doc_id: int) -> DisclosureDocument | None:
    return session.get(DisclosureDocument, doc_id)


def services_by_guide(session: Session, hall: Hall) -> dict[str, Service]:
    """The hall's active services keyed by the guide they link to (Service.guide_code)."""
    rows = session.scalars(select(Service).where(Service.hall_id == hall.id, Service.guide_code.is_not(None)))
    return {s.guide_code: s for s in rows if s.guide_code}


def departments(session: Session, hall: Hall) -> list[tuple[str, str]]:
    """(code, name) of the hall's departments, for browsing guides by department."""
    rows = session.execute(select(Department.code, Department.name).where(Department.hall_id == hall.id)
                           .order_by(Department.id))
    return [(code, name) for code, name in rows]


def materials_to_bring(session: Session, service: Service) -> list[str]:
    """Names of the required materials of the service's guide (what a ticket and the kiosk say to bring)."""
    if not service.guide_code:
        return []
    guide = guide_by_code(session, service.guide_code)
    if guide is None:
        return []
    return [m["name"] for m in guide.materials or [] if m.get("required", True)]
