"""A manager's edits of the catalogue every hall shares: 办事指南 items (create, change any field but the 实施编码,
delete one no service links to) and 政务公开 documents (create, change, delete).

Run through Runtime.execute(..., every_hall=True) like every write: validated with a refusal naming the field,
audited with before and after, re-indexed for search, and announced as guide.updated / disclosure.updated in
every hall (each hall's kiosks and consoles show the same catalogue).

Core: imports no Flask. It lives beside the catalogue, not in the engine, because guides are catalogue data.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.catalogue import index
from queue_server.clock import Clock
from queue_server.clock import local_time
from queue_server.engine.audit import audit
from queue_server.storage.catalogue import DISCLOSURE_CATEGORIES
from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.catalogue import DisclosureDocument
from queue_server.storage.catalogue import GuideItem
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Service

TEXT_FIELDS = ("name", "agency", "theme", "keywords", "location", "hours", "conditions", "legal_basis",
               "consult_phone", "complaint_phone", "basic_code")
# field -> (label, lowest, highest): a year of working days is beyond any 法定办结时限 seen; 到办事现场次数 above
# a few is what 最多跑一次 exists to prevent.
RANGES: dict[str, tuple[str, int, int]] = {
    "legal_limit_days": ("法定办结时限（工作日）", 0, 365),
    "promised_limit_days": ("承诺办结时限（工作日）", 0, 365),
    "visits": ("到办事现场次数", 0, 10),
}
FLAGS = ("appointment", "online", "self_service")
STRUCTURED = ("item_type", "target", "department_code", "materials", "process", "fee", "faq")
FIELDS = (*TEXT_FIELDS, *RANGES, *FLAGS, *STRUCTURED)
NULLABLE = ("legal_limit_days", "promised_limit_days")  # null = not stated; any other null means "leave it"
TARGETS = ("自然人", "法人")
GUIDE_CODE = re.compile(r"^\S{1,64}$")
COUNT_MAX = 99  # 原件/复印件份数: more than a handful is a typo
LINK = re.compile(r"^(/[^\s]*|https?://[^\s/]+[^\s]*)$")  # a path on this server or an http(s) address
DOC_FIELDS = ("index_no", "doc_no", "title", "publisher", "written_on", "category", "body", "attachments")
NO_FEE = {"charged": False, "standard": "不收费", "basis": ""}


def _snapshot(item: Any, fields: list[str]) -> dict[str, Any]:
    return {f: (v.isoformat() if isinstance(v, date) else v) for f in fields for v in [getattr(item, f)]}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= COUNT_MAX


def _link(value: Any) -> str | None:
    """A form or attachment link: empty (none), a path on this server or an http(s) address; else raises."""
    text = _text(value)
    if not text:
        return None  # "" and null alike: no link (_same compares stored rows in this form too)
    if not LINK.match(text):
        raise ValueError(text)
    return text


def check_materials(value: Any) -> list[dict[str, Any]]:
    """申请材料 rows as stored (domain.md §6): name, 原件/复印件 counts, 必要性, 来源渠道, form with its links."""
    if not isinstance(value, list):
        raise errors.BadMaterials(row=1)
    out = []
    for row, m in enumerate(value, start=1):
        if not isinstance(m, dict) or not _text(m.get("name")):
            raise errors.BadMaterials(row=row)
        original, copies = m.get("original", 1), m.get("copies", 0)
        if not _is_count(original) or not _is_count(copies):
            raise errors.BadMaterials(row=row)
        try:
            blank_form, sample = _link(m.get("blank_form")), _link(m.get("sample"))
        except ValueError:
            raise errors.BadMaterials(row=row) from None
        out.append({"name": _text(m["name"]), "original": original, "copies": copies,
                    "required": bool(m.get("required", True)), "source": _text(m.get("source")),
                    "form": bool(m.get("form", False)), "blank_form": blank_form, "sample": sample})
    return out


def check_process(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise errors.BadProcess(row=1)
    for row, step in enumerate(value, start=1):
        if not _text(step):
            raise errors.BadProcess(row=row)
    return [_text(s) for s in value]


def check_fee(value: Any) -> dict[str, Any]:
    """收费: whether it is charged, the standard and the basis; "不收费" when free, never blank (domain.md §6)."""
    if not isinstance(value, dict) or not isinstance(value.get("charged"), bool):
        raise errors.BadFee()
    standard, basis = _text(value.get("standard")), _text(value.get("basis"))
    if value["charged"] and not standard:
        raise errors.BadFee()
    return {"charged": value["charged"], "standard": standard or ("" if value["charged"] else "不收费"),
            "basis": basis}


def check_faq(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise errors.BadFaq(row=1)
    for row, f in enumerate(value, start=1):
        if not isinstance(f, dict) or not _text(f.get("q")) or not _text(f.get("a")):
            raise errors.BadFaq(row=row)
    return [{"q": _text(f["q"]), "a": _text(f["a"])} for f in value]


def check_target(value: Any) -> list[str]:
    if not isinstance(value, list) or any(t not in TARGETS for t in value):
        raise errors.BadTarget()
    return [t for t in TARGETS if t in value]


def _check_department(session: Session, hall: Hall, code: Any) -> str:
    code = _text(code)
    if code and session.scalar(select(Department.id).where(Department.hall_id == hall.id,
                                                            Department.code == code)) is None:
        raise errors.DepartmentNotFound(hall=hall.code, department=code)
    return code


def _checked_guide(session: Session, hall: Hall, changes: dict[str, Any], current: GuideItem | None = None
                   ) -> dict[str, Any]:
    """The changes normalised to column values, or the first refusal. A department the guide already names passes
    unchecked: guides are shared, and another hall's department is not this hall's to refuse."""
    changes = {k: v for k, v in changes.items() if k in FIELDS and (v is not None or k in NULLABLE)}
    out: dict[str, Any] = {}
    if "name" in changes and not _text(changes["name"]):
        raise errors.NameRequired()
    if "agency" in changes and not _text(changes["agency"]):
        raise errors.FieldRequired(label="实施主体")
    for field in TEXT_FIELDS:
        if field in changes:
            out[field] = _text(changes[field])
    for field, (label, low, high) in RANGES.items():
        value = changes.get(field)
        if value is not None and not low <= value <= high:
            raise errors.SettingOutOfRange(field=field, label=label, low=low, high=high)
        if field in changes:
            out[field] = value
    for field in FLAGS:
        if field in changes:
            out[field] = bool(changes[field])
    if "item_type" in changes:
        if changes["item_type"] not in ITEM_TYPES:
            raise errors.BadItemType(item_type=str(changes["item_type"]))
        out["item_type"] = changes["item_type"]
    if "target" in changes:
        out["target"] = check_target(changes["target"])
    if "department_code" in changes:
        unchanged = current is not None and _text(changes["department_code"]) == current.department_code
        out["department_code"] = (current.department_code if unchanged and current is not None
                                  else _check_department(session, hall, changes["department_code"]))
    if "materials" in changes:
        out["materials"] = check_materials(changes["materials"])
    if "process" in changes:
        out["process"] = check_process(changes["process"])
    if "fee" in changes:
        out["fee"] = check_fee(changes["fee"])
    if "faq" in changes:
        out["faq"] = check_faq(changes["faq"])
    return out


CHECKERS = {"materials": check_materials, "process": check_process, "fee": check_fee, "faq": check_faq,
            "target": check_target}


def _same(field: str, old: Any, new: Any) -> bool:
    """Whether a checked value equals the stored one, lists compared in their checked form (an imported material
    without a blank_form key equals the same row sent back by the settings page)."""
    if field in CHECKERS and old is not None:
        try:
            return bool(CHECKERS[field](old) == new)
        except errors.HallqError:
            return False
    return bool(old == new)


def guide_changes(session: Session, hall: Hall, item: GuideItem, changes: dict[str, Any]) -> dict[str, Any]:
    """The checked fields that differ from the stored guide (a workbook import writes only those). Raises every
    refusal of update_guide."""
    return {k: v for k, v in _checked_guide(session, hall, changes, item).items()
            if not _same(k, getattr(item, k), v)}


def _guide_event(item: GuideItem, change: str) -> events.Event:
    return events.Event(events.GUIDE_UPDATED, {"guide": {"code": item.code, "name": item.name}, "change": change})


def update_guide(session: Session, clock: Clock, *, hall: Hall, code: str, changes: dict[str, Any], actor: str
                 ) -> events.Outcome[GuideItem]:
    """Change the given fields of a guide item (any but its 实施编码, the key services link by). Findings are not
    refusals: a guide that breaks a quality rule is saved and its findings shown, as the customer's report lints,
    not blocks. Raises guide_not_found, name_required, field_required, setting_out_of_range, bad_item_type,
    bad_target, department_not_found, bad_materials, bad_process, bad_fee, bad_faq."""
    item = index.guide_by_code(session, code)
    if item is None:
        raise errors.GuideNotFound(guide=code)
    # Only what differs is written and audited: the settings page sends the whole form.
    checked = guide_changes(session, hall, item, changes)
    fields = sorted(checked)
    before = _snapshot(item, fields)
    for field, value in checked.items():
        setattr(item, field, value)
    index.index_guide(item)
    after = _snapshot(item, fields)
    audit(session, clock.now(), hall, actor, "guide.update", f"guide:{item.code}",
          before=before, after=after)
    return events.Outcome(item, (_guide_event(item, "updated"),))


def create_guide(session: Session, clock: Clock, *, hall: Hall, code: str, fields: dict[str, Any], actor: str
                 ) -> events.Outcome[GuideItem]:
    """A new guide item, searchable at once; a service links to it by its code. Raises bad_guide_code, code_taken,
    name_required, field_required, bad_item_type and every refusal of update_guide."""
    code = _text(code)
    if not GUIDE_CODE.match(code):
        raise errors.BadGuideCode()
    if index.guide_by_code(session, code) is not None:
        raise errors.CodeTaken(code=code)
    if not _text(fields.get("name")):
        raise errors.NameRequired()
    if not _text(fields.get("agency")):
        raise errors.FieldRequired(label="实施主体")
    if fields.get("item_type") not in ITEM_TYPES:
        raise errors.BadItemType(item_type=str(fields.get("item_type") or ""))
    checked = _checked_guide(session, hall, fields)
    item = GuideItem(code=code, basic_code="", department_code="", theme="", keywords="", target=[],
                               location="", hours="", conditions="", materials=[], process=[], fee=dict(NO_FEE),
                               legal_basis="", consult_phone="", complaint_phone="", visits=1, appointment=False,
                               online=False, self_service=False, faq=[])
    for field, value in checked.items():
        setattr(item, field, value)
    index.index_guide(item)
    session.add(item)
    session.flush()
    after = _snapshot(item, sorted(index.GUIDE_FIELDS))
    audit(session, clock.now(), hall, actor, "guide.create", f"guide:{code}",
          before=None, after=after)
    return events.Outcome(item, (_guide_event(item, "created"),))


def delete_guide(session: Session, clock: Clock, *, hall: Hall, code: str, actor: str
                 ) -> events.Outcome[None]:
    """Remove a guide no service of any hall links to. Raises guide_not_found, guide_in_use (naming the
    services, hall by hall)."""
    item = index.guide_by_code(session, code)
    if item is None:
        raise errors.GuideNotFound(guide=code)
    linked = session.execute(select(Hall.code, Service.code, Service.name).join(Hall, Hall.id == Service.hall_id)
                             .where(Service.guide_code == code).order_by(Hall.code, Service.code)).all()
    if linked:
        raise errors.GuideInUse(guide=code, services="、".join(f"{name}（{h}/{s}）" for h, s, name in linked))
    before = _snapshot(item, sorted(index.GUIDE_FIELDS))
    event = _guide_event(item, "deleted")
    session.delete(item)
    audit(session, clock.now(), hall, actor, "guide.delete", f"guide:{code}",
          before=before, after=None)
    return events.Outcome(None, (event,))


def _check_written_on(clock: Clock, hall: Hall, value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        written = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise errors.BadWrittenOn() from None
    if written > local_time(clock.now(), hall.timezone).date():
        raise errors.BadWrittenOn()
    return written


def check_attachments(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise errors.BadAttachments(row=1)
    out = []
    for row, a in enumerate(value, start=1):
        if not isinstance(a, dict) or not _text(a.get("name")):
            raise errors.BadAttachments(row=row)
        try:
            url = _link(a.get("url"))
        except ValueError:
            raise errors.BadAttachments(row=row) from None
        if not url:
            raise errors.BadAttachments(row=row)
        out.append({"name": _text(a["name"]), "url": url})
    return out


def _checked_document(session: Session, clock: Clock, hall: Hall, doc_id: int | None, changes: dict[str, Any]
                      ) -> dict[str, Any]:
    changes = {k: v for k, v in changes.items() if k in DOC_FIELDS and (v is not None or k == "written_on")}
    out: dict[str, Any] = {}
    for field, label in (("index_no", "索引号"), ("title", "标题"), ("publisher", "发布机构")):
        if field in changes:
            if not _text(changes[field]):
                raise errors.FieldRequired(label=label)
            out[field] = _text(changes[field])
    if "index_no" in out:
        other = session.scalar(select(DisclosureDocument).where(
            DisclosureDocument.index_no == out["index_no"],
            DisclosureDocument.id != (doc_id or 0)))
        if other is not None:
            raise errors.IndexNoTaken(index_no=out["index_no"], document_title=other.title)
    for field in ("doc_no", "body"):
        if field in changes:
            out[field] = _text(changes[field])
    if "category" in changes:
        if changes["category"] not in DISCLOSURE_CATEGORIES:
            raise errors.BadDisclosureCategory(category=str(changes["category"]),
                                               categories="、".join(DISCLOSURE_CATEGORIES))
        out["category"] = changes["category"]
    if "written_on" in changes:
        out["written_on"] = _check_written_on(clock, hall, changes["written_on"])
    if "attachments" in changes:
        out["attachments"] = check_attachments(changes["attachments"])
    return out


def _doc_event(doc: DisclosureDocument, change: str) -> events.Event:
    return events.Event(events.DISCLOSURE_UPDATED, {
        "disclosure": {"id": doc.id, "index_no": doc.index_no, "title": doc.title}, "change": change})


def create_disclosure(session: Session, clock: Clock, *, hall: Hall, fields: dict[str, Any], actor: str
                      ) -> events.Outcome[DisclosureDocument]:
    """A newly disclosed document, searchable at once. Raises field_required (索引号, 标题, 发布机构),
    index_no_taken, bad_disclosure_category, bad_written_on, bad_attachments."""
    for field, label in (("index_no", "索引号"), ("title", "标题"), ("publisher", "发布机构")):
        if not _text(fields.get(field)):
            raise errors.FieldRequired(label=label)
    if "category" not in fields or fields["category"] is None:
        raise errors.BadDisclosureCategory(category="", categories="、".join(DISCLOSURE_CATEGORIES))
    checked = _checked_document(session, clock, hall, None, fields)
    doc = DisclosureDocument(doc_no="", body="", attachments=[], written_on=None)
    for field, value in checked.items():
        setattr(doc, field, value)
    index.index_disclosure(doc)
    session.add(doc)
    session.flush()
    after = _snapshot(doc, list(DOC_FIELDS))
    audit(session, clock.now(), hall, actor, "disclosure.create", f"disclosure:{doc.id}",
          before=None, after=after)
    return events.Outcome(doc, (_doc_event(doc, "created"),))


def _load_document(session: Session, doc_id: int) -> DisclosureDocument:
    doc = index.disclosure_by_id(session, doc_id)
    if doc is None:
        raise errors.DisclosureNotFound(document=doc_id)
    return doc


def update_disclosure(session: Session, clock: Clock, *, hall: Hall, doc_id: int, changes: dict[str, Any],
                      actor: str) -> events.Outcome[DisclosureDocument]:
    """Change the given fields of a document. Raises disclosure_not_found and the refusals of create."""
    doc = _load_document(session, doc_id)
    checked = {k: v for k, v in _checked_document(session, clock, hall, doc.id, changes).items()
               if getattr(doc, k) != v}
    fields = sorted(checked)
    before = _snapshot(doc, fields)
    for field, value in checked.items():
        setattr(doc, field, value)
    index.index_disclosure(doc)
    after = _snapshot(doc, fields)
    audit(session, clock.now(), hall, actor, "disclosure.update", f"disclosure:{doc.id}",
          before=before, after=after)
    return events.Outcome(doc, (_doc_event(doc, "updated"),))


def delete_disclosure(session: Session, clock: Clock, *, hall: Hall, doc_id: int, actor: str
                      ) -> events.Outcome[None]:
    """Withdraw a document. Raises disclosure_not_found."""
    doc = _load_document(session, doc_id)
    before = _snapshot(doc, list(DOC_FIELDS))
    event = _doc_event(doc, "deleted")
    session.delete(doc)
    audit(session, clock.now(), hall, actor, "disclosure.delete", f"disclosure:{doc_id}",
          before=before, after=None)
    return events.Outcome(None, (event,))
