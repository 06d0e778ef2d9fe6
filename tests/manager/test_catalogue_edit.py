"""A manager builds the catalogue every hall shares from the settings page: creates a 办事指南 item with its lists,
edits any field but its code, deletes one no service uses, and creates, edits and withdraws 政务公开 documents.
Each write is checked with a refusal naming the field (a refused write leaves nothing), audited with before and
after, searchable at once, and announced in every hall with that hall's own seq."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.catalogue import index
from queue_server.clock import FrozenClock
from queue_server.demo import guides
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.store import Store
from tests.api.footprint import footprint
from tests.conftest import Recorder
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.factories import staff

JZZ = "530000-jzz"

NEW_GUIDE: dict[str, Any] = {
    "code": "530000-lyzm", "basic_code": "000201099000", "name": "林木采伐许可证核发", "item_type": "01",
    "agency": "楚雄州林业和草原局", "department_code": "ly", "theme": "林业", "keywords": "砍树 伐木",
    "target": ["法人", "自然人"], "location": "楚雄市鹿城南路1号政务服务中心2楼12号窗口",
    "hours": "工作日 9:00-12:00、13:30-17:30，法定节假日不办理", "conditions": "持有林木所有权",
    "materials": [{"name": "林木采伐申请表", "original": 1, "copies": 0, "required": True, "source": "申请人自备",
                   "form": True, "blank_form": "/static/forms/lmcf.docx", "sample": "https://example.gov.cn/s.pdf"},
                  {"name": "林权证", "original": 1, "copies": 1, "required": False}],
    "process": ["受理", "审查", "决定"], "fee": {"charged": False, "standard": "", "basis": ""},
    "faq": [{"q": "要多久？", "a": "承诺 5 个工作日。"}], "legal_limit_days": 20, "promised_limit_days": 5,
    "legal_basis": "《中华人民共和国森林法》第五十六条", "consult_phone": "0878-3111111",
    "complaint_phone": "0878-3122222", "visits": 1, "appointment": True, "online": True, "self_service": False,
}
NEW_DOC: dict[str, Any] = {
    "index_no": "11532300MB1T12345X/2026-00001", "doc_no": "楚政务发〔2026〕1号", "title": "关于调整周末延时服务的通知",
    "publisher": "楚雄州政务服务管理局", "written_on": "2026-03-01", "category": "规范性文件", "body": "自三月起……",
    "attachments": [{"name": "服务时间表", "url": "/static/docs/hours.pdf"},
                    {"name": "原文", "url": "https://www.cxz.gov.cn/a.html"}],
}


def _catalogue(store: Store, clock: FrozenClock) -> BasicHall:
    hall = basic_hall(store, clock)
    with store.transaction() as s:
        index.import_guides(s, guides.guides())
        index.import_disclosures(s, guides.disclosures())
        t1 = s.scalars(select(Hall).where(Hall.code == "t1")).one()
        s.add(Department(hall_id=t1.id, code="ly", name="林业", active=True))
    return hall


def _audit(store: Store) -> list[AuditEntry]:
    with store.read_session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _announced(store: Store, published: Recorder, kind: str) -> dict[str, list[int]]:
    """hall code -> seqs of `kind` published; checked against each hall's outbox."""
    out: dict[str, list[int]] = {}
    for env in published.envelopes:
        if env.type == kind:
            out.setdefault(env.hall, []).append(env.seq)
    with store.read_session() as s:
        stored = {code: [seq for (seq,) in s.execute(select(HallEvent.seq).join(Hall, Hall.id == HallEvent.hall_id)
                                                     .where(Hall.code == code, HallEvent.type == kind)
                                                     .order_by(HallEvent.seq))]
                  for code in ("t1", "t2")}
        seqs = {code: seq for code, seq in s.execute(select(Hall.code, Hall.event_seq))}
    assert stored == out
    assert all(seqs[code] == max(found) for code, found in out.items())
    return out


# --- 办事指南 ---------------------------------------------------------------------------------------------------


def test_a_created_guide_is_stored_whole_audited_searchable_and_announced_in_every_hall(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = _catalogue(store, clock)

    resp = client.post("/api/v1/halls/t1/guides", json=NEW_GUIDE, headers=bearer(hall.manager))

    assert resp.status_code == 201
    guide = resp.get_json()["guide"]
    assert guide["materials"][1] == {"name": "林权证", "original": 1, "copies": 1, "required": False, "source": "",
                                     "form": False, "blank_form": None, "sample": None}
    assert guide["fee"] == {"charged": False, "standard": "不收费", "basis": ""}  # never blank (domain.md §6)
    assert guide["target"] == ["自然人", "法人"] and guide["process"] == ["受理", "审查", "决定"]
    assert resp.get_json()["findings"] == []
    shown = client.get("/api/v1/halls/t2/guides/530000-lyzm").get_json()
    assert shown["item_type_name"] == "行政许可" and shown["faq"] == NEW_GUIDE["faq"]
    assert [g["code"] for g in client.get("/api/v1/halls/t1/guides?q=林木采伐").get_json()] == ["530000-lyzm"]
    assert [g["code"] for g in client.get("/api/v1/halls/t1/guides?q=lmcf").get_json()] == ["530000-lyzm"]
    assert _announced(store, published, "guide.updated") == {"t1": [1], "t2": [1]}
    assert published.envelopes[-1].data == {"guide": {"code": "530000-lyzm", "name": "林木采伐许可证核发"},
                                            "change": "created"}
    entry = _audit(store)[-1]
    assert (entry.actor, entry.action, entry.target) == ("m1", "guide.create", "guide:530000-lyzm")
    assert entry.data["before"] is None and entry.data["after"]["materials"] == guide["materials"]


def test_every_field_but_the_code_can_be_edited_and_the_audit_keeps_before_and_after(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = _catalogue(store, clock)
    with store.read_session() as s:
        old = index.guide_by_code(s, JZZ)
        assert old is not None
        old_materials, old_type = old.materials, old.item_type
    change = {"materials": [{"name": "居住登记回执单", "original": 1, "copies": 1}], "process": ["申请", "领证"],
              "fee": {"charged": True, "standard": "工本费 20 元", "basis": "云发改收费〔2016〕1号"},
              "faq": [{"q": "外地人可以办吗？", "a": "可以。"}], "item_type": "20", "target": ["自然人"],
              "department_code": "ly", "basic_code": "000201999000", "code": "stolen"}

    resp = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json=change, headers=bearer(hall.manager))

    assert resp.status_code == 200
    guide = resp.get_json()["guide"]
    assert guide["code"] == JZZ  # the code is the key services link by: not editable, silently ignored
    assert guide["item_type"] == "20" and guide["fee"]["standard"] == "工本费 20 元"
    assert guide["materials"] == [{"name": "居住登记回执单", "original": 1, "copies": 1, "required": True, "source": "",
                                   "form": False, "blank_form": None, "sample": None}]
    entry = _audit(store)[-1]
    assert entry.action == "guide.update"
    assert sorted(entry.data["after"]) == sorted(["materials", "process", "fee", "faq", "item_type", "target",
                                                  "department_code", "basic_code"])
    assert entry.data["before"]["materials"] == old_materials and entry.data["before"]["item_type"] == old_type
    assert [g["code"] for g in client.get("/api/v1/halls/t1/guides?q=居住登记回执").get_json()] == [JZZ]
    assert _announced(store, published, "guide.updated") == {"t1": [1], "t2": [1]}


def test_a_guide_no_service_links_to_is_deleted_audited_and_announced(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = _catalogue(store, clock)

    resp = client.delete(f"/api/v1/halls/t1/guides/{JZZ}", headers=bearer(hall.admin))

    assert resp.status_code == 204
    assert client.get(f"/api/v1/halls/t1/guides/{JZZ}").status_code == 404
    entry = _audit(store)[-1]
    assert (entry.action, entry.data["after"]) == ("guide.delete", None)
    assert entry.data["before"]["code"] == JZZ
    assert published.envelopes[-1].data["change"] == "deleted"
    assert _announced(store, published, "guide.updated") == {"t1": [1], "t2": [1]}


def test_a_guide_a_service_links_to_is_not_deleted_and_the_refusal_names_the_services(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = _catalogue(store, clock)
    with store.transaction() as s:
        for svc in s.scalars(select(Service).where(Service.code == "a")):  # service a of t1 and of t2
            svc.guide_code = JZZ
    before = footprint(store)

    resp = client.delete(f"/api/v1/halls/t1/guides/{JZZ}", headers=bearer(hall.manager))

    assert resp.status_code == 409 and resp.get_json()["code"] == "guide_in_use"
    assert resp.get_json()["detail"] == "该办事指南已关联业务 事项a（t1/a）、事项a（t2/a），请先解除关联再删除。"
    assert footprint(store) == before


BAD_GUIDES = [
    ({"code": "530000-jzz"}, 409, "code_taken"),
    ({"code": "has space"}, 422, "bad_guide_code"),
    ({"name": "  "}, 422, "name_required"),
    ({"agency": ""}, 422, "field_required"),
    ({"item_type": "99"}, 422, "bad_item_type"),
    ({"target": ["外国人"]}, 422, "bad_target"),
    ({"department_code": "nope"}, 404, "department_not_found"),
    ({"materials": [{"name": ""}]}, 422, "bad_materials"),
    ({"materials": [{"name": "身份证", "copies": -1}]}, 422, "bad_materials"),
    ({"materials": [{"name": "身份证", "copies": 1000}]}, 422, "bad_materials"),
    ({"materials": [{"name": "表", "blank_form": "javascript:alert(1)"}]}, 422, "bad_materials"),
    ({"process": ["受理", " "]}, 422, "bad_process"),
    ({"fee": {"charged": True, "standard": ""}}, 422, "bad_fee"),
    ({"fee": {"standard": "不收费"}}, 422, "bad_fee"),
    ({"faq": [{"q": "问", "a": ""}]}, 422, "bad_faq"),
    ({"visits": 11}, 422, "setting_out_of_range"),
    ({"legal_limit_days": -1}, 422, "setting_out_of_range"),
]


@pytest.mark.parametrize(("override", "status", "code"), BAD_GUIDES, ids=[c for _, _, c in BAD_GUIDES])
def test_a_bad_new_guide_is_refused_with_its_reason_and_writes_nothing(
    store: Store, clock: FrozenClock, client: Any, override: dict[str, Any], status: int, code: str
) -> None:
    hall = _catalogue(store, clock)
    before = footprint(store)

    resp = client.post("/api/v1/halls/t1/guides", json={**NEW_GUIDE, **override}, headers=bearer(hall.manager))

    assert (resp.status_code, resp.get_json()["code"]) == (status, code)
    assert resp.mimetype == "application/problem+json" and resp.get_json()["title"]
    assert footprint(store) == before


@pytest.mark.parametrize(("override", "status", "code"), BAD_GUIDES[2:], ids=[c for _, _, c in BAD_GUIDES[2:]])
def test_a_bad_guide_edit_is_refused_with_its_reason_and_writes_nothing(
    store: Store, clock: FrozenClock, client: Any, override: dict[str, Any], status: int, code: str
) -> None:
    hall = _catalogue(store, clock)
    before = footprint(store)

    resp = client.patch(f"/api/v1/halls/t1/guides/{JZZ}", json=override, headers=bearer(hall.manager))

    assert (resp.status_code, resp.get_json()["code"]) == (status, code)
    assert footprint(store) == before


def test_the_refusal_names_the_bad_row_in_chinese(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = _catalogue(store, clock)

    resp = client.post("/api/v1/halls/t1/guides", json={**NEW_GUIDE, "materials": [{"name": "表"}, {"name": ""}]},
                       headers=bearer(hall.manager))

    assert resp.get_json()["title"] == "申请材料不正确"
    assert resp.get_json()["detail"].startswith("第 2 项申请材料须填写名称")


def test_only_the_halls_manager_or_an_admin_may_create_or_delete_a_guide(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = _catalogue(store, clock)
    with store.transaction() as s:
        t1 = s.scalars(select(Hall).where(Hall.code == "t1")).one()
        viewer = mint_token(s, clock.now(), role=Role.VIEWER, hall=t1, staff=staff(s, t1, "v1", Role.VIEWER))
    before = footprint(store)

    for who, token in (("viewer", viewer), ("staff", hall.staff1), ("kiosk", hall.kiosk), ("display", hall.display)):
        created = client.post("/api/v1/halls/t1/guides", json=NEW_GUIDE, headers=bearer(token))
        deleted = client.delete(f"/api/v1/halls/t1/guides/{JZZ}", headers=bearer(token))
        assert (who, created.get_json()["code"], deleted.get_json()["code"]) == (who, "role_required",
                                                                                 "role_required")
    other = client.post("/api/v1/halls/t1/guides", json=NEW_GUIDE, headers=bearer(hall.other_manager))
    assert other.get_json()["code"] == "hall_not_allowed"
    anonymous = client.post("/api/v1/halls/t1/guides", json=NEW_GUIDE)
    assert anonymous.status_code == 401
    assert footprint(store) == before
    # An admin may edit from any hall; the department must then be one of that hall's (t2 has no 林业).
    in_t2 = {**NEW_GUIDE, "department_code": ""}
    assert client.post("/api/v1/halls/t2/guides", json=in_t2, headers=bearer(hall.admin)).status_code == 201


# --- 政务公开 ---------------------------------------------------------------------------------------------------


def test_a_disclosure_is_created_edited_and_withdrawn_each_audited_searchable_and_announced_everywhere(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = _catalogue(store, clock)

    created = client.post("/api/v1/halls/t1/disclosures", json=NEW_DOC, headers=bearer(hall.manager))
    doc_id = created.get_json()["id"]
    found = client.get("/api/v1/halls/t2/disclosures?q=延时服务").get_json()
    edited = client.patch(f"/api/v1/halls/t1/disclosures/{doc_id}", json={"title": "关于周末延时服务的通知",
                                                                          "category": "办事指南"},
                          headers=bearer(hall.manager))
    by_initials = client.get("/api/v1/halls/t1/disclosures?q=zmys").get_json()
    withdrawn = client.delete(f"/api/v1/halls/t1/disclosures/{doc_id}", headers=bearer(hall.manager))

    assert created.status_code == 201 and created.get_json()["attachments"] == NEW_DOC["attachments"]
    assert [d["id"] for d in found] == [doc_id]
    assert edited.status_code == 200 and edited.get_json()["category"] == "办事指南"
    assert [d["id"] for d in by_initials] == [doc_id]
    assert withdrawn.status_code == 204
    assert client.get(f"/api/v1/halls/t1/disclosures/{doc_id}").status_code == 404
    assert [(e.action, e.target) for e in _audit(store)] == [("disclosure.create", f"disclosure:{doc_id}"),
                                                             ("disclosure.update", f"disclosure:{doc_id}"),
                                                             ("disclosure.delete", f"disclosure:{doc_id}")]
    update = _audit(store)[1].data
    assert update == {"before": {"category": "规范性文件", "title": "关于调整周末延时服务的通知"},
                      "after": {"category": "办事指南", "title": "关于周末延时服务的通知"}}
    assert _announced(store, published, "disclosure.updated") == {"t1": [1, 2, 3], "t2": [1, 2, 3]}
    assert [e.data["change"] for e in published.envelopes if e.hall == "t2"] == ["created", "updated", "deleted"]


BAD_DOCS = [
    ({"index_no": "11532300MB1T12345X/2024-00031"}, 409, "index_no_taken"),
    ({"index_no": " "}, 422, "field_required"),
    ({"title": ""}, 422, "field_required"),
    ({"publisher": ""}, 422, "field_required"),
    ({"category": "杂项"}, 422, "bad_disclosure_category"),
    ({"written_on": "2026-03-03"}, 422, "bad_written_on"),  # the clock says 2026-03-02
    ({"written_on": "2026-02-30"}, 422, "bad_written_on"),
    ({"attachments": [{"name": "原文", "url": "ftp://x/a.pdf"}]}, 422, "bad_attachments"),
    ({"attachments": [{"name": "", "url": "/a.pdf"}]}, 422, "bad_attachments"),
    ({"attachments": [{"name": "原文", "url": ""}]}, 422, "bad_attachments"),
]


@pytest.mark.parametrize(("override", "status", "code"), BAD_DOCS, ids=[c for _, _, c in BAD_DOCS])
def test_a_bad_disclosure_is_refused_on_create_and_on_edit_and_writes_nothing(
    store: Store, clock: FrozenClock, client: Any, override: dict[str, Any], status: int, code: str
) -> None:
    hall = _catalogue(store, clock)
    with store.read_session() as s:
        other = index.search_disclosures(s, "年度报告")[0].id
    before = footprint(store)

    created = client.post("/api/v1/halls/t1/disclosures", json={**NEW_DOC, **override},
                          headers=bearer(hall.manager))
    edited = client.patch(f"/api/v1/halls/t1/disclosures/{other}", json=override, headers=bearer(hall.manager))

    assert (created.status_code, created.get_json()["code"]) == (status, code)
    assert (edited.status_code, edited.get_json()["code"]) == (status, code)
    assert footprint(store) == before


def test_disclosures_are_edited_only_by_the_halls_manager_or_an_admin(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = _catalogue(store, clock)
    with store.read_session() as s:
        doc = index.search_disclosures(s)[0].id
    before = footprint(store)

    answers = [client.post("/api/v1/halls/t1/disclosures", json=NEW_DOC, headers=bearer(hall.staff1)),
               client.patch(f"/api/v1/halls/t1/disclosures/{doc}", json={"title": "x"}, headers=bearer(hall.kiosk)),
               client.delete(f"/api/v1/halls/t1/disclosures/{doc}", headers=bearer(hall.other_manager)),
               client.delete("/api/v1/halls/t1/disclosures/999999", headers=bearer(hall.manager))]

    assert [a.get_json()["code"] for a in answers] == ["role_required", "role_required", "hall_not_allowed",
                                                       "disclosure_not_found"]
    assert footprint(store) == before


@pytest.mark.parametrize("code", [JZZ, "530000-spjy"])  # spjy: a form material with an empty sample link
def test_the_settings_page_sending_the_whole_form_back_audits_only_what_changed(
    store: Store, clock: FrozenClock, client: Any, code: str
) -> None:
    hall = _catalogue(store, clock)
    shown = client.get(f"/api/v1/halls/t1/guides/{code}").get_json()
    assert shown["department_code"] and shown["department_code"] != "ly"  # another hall's department, not t1's
    form = {k: shown[k] for k in ("basic_code", "name", "item_type", "agency", "department_code", "theme",
                                  "keywords", "target", "location", "hours", "conditions", "materials", "process",
                                  "fee", "legal_basis", "consult_phone", "complaint_phone", "faq",
                                  "legal_limit_days", "promised_limit_days", "visits", "appointment", "online",
                                  "self_service")}

    form["materials"] = [{**m, "blank_form": m.get("blank_form") or None, "sample": m.get("sample") or None}
                         for m in form["materials"]]  # as settings.js sends an empty link
    resp = client.patch(f"/api/v1/halls/t1/guides/{code}", json={**form, "hours": shown["hours"] + "（节假日除外）"},
                        headers=bearer(hall.manager))

    assert resp.status_code == 200, resp.get_json()
    assert _audit(store)[-1].data == {"before": {"hours": shown["hours"]},
                                      "after": {"hours": shown["hours"] + "（节假日除外）"}}
