"""Service guides (办事指南) and disclosures (政务公开): public search and reading; guide-quality findings for
managers, and their edits (create, change, delete). Guides and disclosures are shared by every hall, so each edit
is announced in every hall (Runtime.execute every_hall); each hall links guides to its own services
(Service.guide_code)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask import request

from queue_server import errors
from queue_server.catalogue import edits
from queue_server.catalogue import index
from queue_server.catalogue import quality
from queue_server.queries import snapshots
from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.catalogue import DisclosureDocument
from queue_server.storage.catalogue import GuideItem
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.kiosk import DisclosureCreate
from queue_server.web.api.schemas.kiosk import DisclosureOut
from queue_server.web.api.schemas.kiosk import DisclosurePatch
from queue_server.web.api.schemas.kiosk import DisclosureSummary
from queue_server.web.api.schemas.kiosk import FindingOut
from queue_server.web.api.schemas.kiosk import GuideCreate
from queue_server.web.api.schemas.kiosk import GuideEdited
from queue_server.web.api.schemas.kiosk import GuideFindingsOut
from queue_server.web.api.schemas.kiosk import GuideOut
from queue_server.web.api.schemas.kiosk import GuidePatch
from queue_server.web.api.schemas.kiosk import GuideSummary

SEARCH_QUERY = {"q": {"type": "string", "maxLength": 64}}
EDITORS = (Role.MANAGER, Role.ADMIN)


def guide_summary(item: GuideItem, linked: dict[str, Service]) -> dict[str, Any]:
    service = linked.get(item.code)
    return {
        "code": item.code, "name": item.name, "item_type": item.item_type,
        "item_type_name": ITEM_TYPES.get(item.item_type, ""), "agency": item.agency,
        "department_code": item.department_code, "theme": item.theme, "online": item.online,
        "appointment": item.appointment, "self_service": item.self_service, "visits": item.visits,
        "service": service.code if service else None,
    }


def guide_full(item: GuideItem, linked: dict[str, Service]) -> dict[str, Any]:
    service = linked.get(item.code)
    return {
        **guide_summary(item, linked), "basic_code": item.basic_code, "keywords": item.keywords,
        "target": item.target, "location": item.location, "hours": item.hours, "conditions": item.conditions,
        "materials": item.materials, "process": item.process, "legal_limit_days": item.legal_limit_days,
        "promised_limit_days": item.promised_limit_days, "fee": item.fee, "legal_basis": item.legal_basis,
        "consult_phone": item.consult_phone, "complaint_phone": item.complaint_phone, "faq": item.faq,
        "service_name": service.name if service else None,
    }


def disclosure_summary(doc: DisclosureDocument) -> dict[str, Any]:
    return {"id": doc.id, "index_no": doc.index_no, "doc_no": doc.doc_no, "title": doc.title,
            "publisher": doc.publisher, "written_on": doc.written_on.isoformat() if doc.written_on else None,
            "category": doc.category}


def disclosure_full(doc: DisclosureDocument) -> dict[str, Any]:
    return {**disclosure_summary(doc), "body": doc.body, "attachments": doc.attachments}


def _edited(hall: str) -> Any:
    """The answer to a guide write: the guide as the kiosk reads it and the findings the quality rules leave."""

    def respond(session: Any, item: GuideItem) -> dict[str, Any]:
        linked = index.services_by_guide(session, snapshots.hall_by_code(session, hall))
        return {"guide": guide_full(item, linked), "findings": [f.as_dict() for f in quality.check(item)]}

    return respond


@route("GET", "/halls/{hall}/guides", "Search service guides: words (社保), phrases, pinyin initials (bdcdj)",
       responses={200: [GuideSummary]}, public=True,
       query={**SEARCH_QUERY, "type": {"type": "string"}, "department": {"type": "string"},
              "theme": {"type": "string"}})
def list_guides(hall: str) -> Any:
    args = request.args
    with services().store.read_session() as session:
        linked = index.services_by_guide(session, snapshots.hall_by_code(session, hall))
        rows = index.search_guides(session, args.get("q", "")[:64], item_type=args.get("type") or None,
                                       department=args.get("department") or None, theme=args.get("theme") or None)
        return jsonify([guide_summary(g, linked) for g in rows])


@route("GET", "/halls/{hall}/guides/{code}", "One service guide, sections in the national order",
       responses={200: GuideOut}, public=True)
def get_guide(hall: str, code: str) -> Any:
    with services().store.read_session() as session:
        linked = index.services_by_guide(session, snapshots.hall_by_code(session, hall))
        item = index.guide_by_code(session, code)
        if item is None:
            raise errors.GuideNotFound(guide=code)
        return jsonify(guide_full(item, linked))


@route("GET", "/halls/{hall}/guides/{code}/findings", "Guide-quality findings of one guide (managers)",
       responses={200: [FindingOut]})
def guide_findings(hall: str, code: str) -> Any:
    principal().require(hall, Role.MANAGER, Role.ADMIN)
    with services().store.read_session() as session:
        item = index.guide_by_code(session, code)
        if item is None:
            raise errors.GuideNotFound(guide=code)
        return jsonify([f.as_dict() for f in quality.check(item)])


@route("POST", "/halls/{hall}/guides", "Create a guide with every national field; answers with its findings "
       "(managers; audited, guide.updated in every hall)", request_model=GuideCreate, responses={201: GuideEdited})
def create_guide(hall: str) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    req = body(GuideCreate)
    done = services().runtime.execute(edits.create_guide, hall=hall, code=req.code,
                                      fields=req.model_dump(exclude_unset=True, exclude={"code"}), actor=who.label,
                                      after=_edited(hall), every_hall=True)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/guides/{code}", "Edit any field of a guide but its code: texts, type, target, "
       "department, materials, process, fee, FAQ, limits, channels; answers with the findings left "
       "(managers; audited, guide.updated in every hall)", request_model=GuidePatch, responses={200: GuideEdited})
def patch_guide(hall: str, code: str) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    req = body(GuidePatch)
    done = services().runtime.execute(edits.update_guide, hall=hall, code=code,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label,
                                      after=_edited(hall), every_hall=True)
    return jsonify(done.value)


@route("DELETE", "/halls/{hall}/guides/{code}", "Delete a guide no service of any hall links to "
       "(managers; audited, guide.updated in every hall)", responses={204: None})
def delete_guide(hall: str, code: str) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    services().runtime.execute(edits.delete_guide, hall=hall, code=code, actor=who.label, every_hall=True)
    return "", 204


@route("GET", "/halls/{hall}/guide-findings", "Guide-quality findings of every guide with any (managers)",
       responses={200: [GuideFindingsOut]})
def all_guide_findings(hall: str) -> Any:
    principal().require(hall, Role.MANAGER, Role.ADMIN)
    with services().store.read_session() as session:
        snapshots.hall_by_code(session, hall)
        out = []
        for item in index.search_guides(session, limit=10_000):
            found = quality.check(item)
            if found:
                out.append({"code": item.code, "name": item.name, "findings": [f.as_dict() for f in found]})
        return jsonify(out)


@route("GET", "/halls/{hall}/disclosures", "Search disclosed documents (政务公开), newest first",
       responses={200: [DisclosureSummary]}, public=True, query={**SEARCH_QUERY, "category": {"type": "string"}})
def list_disclosures(hall: str) -> Any:
    with services().store.read_session() as session:
        snapshots.hall_by_code(session, hall)
        rows = index.search_disclosures(session, request.args.get("q", "")[:64],
                                            category=request.args.get("category") or None)
        return jsonify([disclosure_summary(d) for d in rows])


@route("GET", "/halls/{hall}/disclosures/{doc_id:int}", "One disclosed document with body and attachments",
       responses={200: DisclosureOut}, public=True)
def get_disclosure(hall: str, doc_id: int) -> Any:
    with services().store.read_session() as session:
        snapshots.hall_by_code(session, hall)
        doc = index.disclosure_by_id(session, doc_id)
        if doc is None:
            raise errors.DisclosureNotFound(document=doc_id)
        return jsonify(disclosure_full(doc))


@route("POST", "/halls/{hall}/disclosures", "Disclose a document (managers; audited, disclosure.updated in every "
       "hall)", request_model=DisclosureCreate, responses={201: DisclosureOut})
def create_disclosure(hall: str) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    req = body(DisclosureCreate)
    done = services().runtime.execute(edits.create_disclosure, hall=hall,
                                      fields=req.model_dump(exclude_unset=True), actor=who.label,
                                      after=lambda _s, doc: disclosure_full(doc), every_hall=True)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/disclosures/{doc_id:int}", "Change a disclosed document (managers; audited, "
       "disclosure.updated in every hall)", request_model=DisclosurePatch, responses={200: DisclosureOut})
def patch_disclosure(hall: str, doc_id: int) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    req = body(DisclosurePatch)
    done = services().runtime.execute(edits.update_disclosure, hall=hall, doc_id=doc_id,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label,
                                      after=lambda _s, doc: disclosure_full(doc), every_hall=True)
    return jsonify(done.value)


@route("DELETE", "/halls/{hall}/disclosures/{doc_id:int}", "Withdraw a disclosed document (managers; audited, "
       "disclosure.updated in every hall)", responses={204: None})
def delete_disclosure(hall: str, doc_id: int) -> Any:
    who = principal()
    who.require(hall, *EDITORS)
    services().runtime.execute(edits.delete_disclosure, hall=hall, doc_id=doc_id, actor=who.label,
                               every_hall=True)
    return "", 204
