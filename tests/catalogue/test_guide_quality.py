"""The six guide-quality rules of domain.md §6, one finding each."""

from __future__ import annotations

from typing import Any

from queue_server.catalogue import quality
from queue_server.demo import guides
from queue_server.storage.catalogue import GuideItem


def guide(**changes: Any) -> GuideItem:
    data = next(g for g in guides.guides() if g["code"] == "530000-qysl")
    data.update(changes)
    return GuideItem(**{k: v for k, v in data.items()})


def codes(item: GuideItem) -> set[str]:
    return {f.code for f in quality.check(item)}


def test_a_complete_guide_has_no_findings() -> None:
    assert quality.check(guide()) == []


def test_legal_basis_must_cite_an_article() -> None:
    assert codes(guide(legal_basis="《中华人民共和国行政许可法》")) == {"legal_basis_without_article"}


def test_location_must_name_street_number_and_window() -> None:
    assert codes(guide(location="楚雄州政务服务中心")) == {"location_not_exact"}


def test_hours_must_give_clock_times_and_holidays() -> None:
    assert codes(guide(hours="工作日")) == {"hours_not_exact", "hours_without_holidays"}


def test_phones_need_an_area_code_and_must_differ() -> None:
    assert codes(guide(consult_phone="3124501")) == {"consult_phone_without_area_code"}
    assert codes(guide(complaint_phone="0878-3124501")) == {"phones_identical"}


def test_form_materials_need_a_blank_form_and_a_sample() -> None:
    assert codes(guide(materials=[{"name": "申请表", "form": True, "blank_form": "/f.pdf"}])) == {"form_without_sample"}


def test_conditions_must_not_list_materials_and_promise_must_not_exceed_the_law() -> None:
    assert codes(guide(conditions="提交身份证原件")) == {"conditions_list_materials"}
    assert codes(guide(legal_limit_days=5, promised_limit_days=10)) == {"promised_exceeds_legal"}
