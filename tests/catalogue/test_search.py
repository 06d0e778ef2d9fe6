"""Guide and disclosure search on SQLite and PostgreSQL: everyday two-character words, phrases, pinyin initials."""

from __future__ import annotations

import pytest

from queue_server.catalogue import index
from queue_server.catalogue import quality
from queue_server.demo import guides
from queue_server.storage.store import Store


@pytest.fixture
def demo_catalogue(store: Store) -> Store:
    with store.transaction() as s:
        index.import_guides(s, guides.guides())
        index.import_disclosures(s, guides.disclosures())
    return store


def names(store: Store, query: str) -> list[str]:
    with store.read_session() as s:
        return [g.name for g in index.search_guides(s, query)]


def test_two_character_word_shebao_finds_social_insurance_services(demo_catalogue: Store) -> None:
    found = names(demo_catalogue, "社保")

    assert "社会保险登记" in found[:3]
    assert "社会保障卡办理" in found
    assert "企业设立登记" not in found


def test_everyday_word_hukou_finds_the_household_registration_service_first(demo_catalogue: Store) -> None:
    assert names(demo_catalogue, "户口")[0] == "户籍业务办理"


def test_phrase_finds_the_services_that_issue_a_business_licence(demo_catalogue: Store) -> None:
    found = names(demo_catalogue, "营业执照")

    assert "企业设立登记" in found
    assert "户籍业务办理" not in found


def test_pinyin_initials_find_real_estate_registration(demo_catalogue: Store) -> None:
    found = names(demo_catalogue, "bdcdj")

    assert {"不动产转移登记", "不动产抵押登记", "不动产首次登记", "不动产登记资料查询"} <= set(found)
    assert "户籍业务办理" not in found


def test_fullwidth_and_spaced_queries_match_like_plain_ones(demo_catalogue: Store) -> None:
    assert names(demo_catalogue, "  ＢＤＣＤＪ ") == names(demo_catalogue, "bdcdj")


def test_query_with_two_words_needs_both(demo_catalogue: Store) -> None:
    found = names(demo_catalogue, "不动产 抵押")

    assert found == ["不动产抵押登记"]


def test_disclosures_find_the_annual_report_by_word_and_by_initials(demo_catalogue: Store) -> None:
    with demo_catalogue.read_session() as s:
        by_word = [d.title for d in index.search_disclosures(s, "年度报告")]
        by_initials = [d.title for d in index.search_disclosures(s, "ndbg")]
        by_body = [d.title for d in index.search_disclosures(s, "智能导视")]

    report = "楚雄州人民政府政务服务管理局2018年政府信息与政务公开年度报告"
    assert report in by_word and report in by_initials and report in by_body


def test_demo_guides_link_every_demo_service_and_break_rules_only_on_purpose(demo_catalogue: Store) -> None:
    with demo_catalogue.read_session() as s:
        findings = {g.code: {f.code for f in quality.check(g)} for g in index.search_guides(s, limit=100)}

    assert len(findings) == 30
    assert findings["530000-qysl"] == set()
    assert "legal_basis_without_article" in findings["530000-jzz"]
    assert "consult_phone_without_area_code" in findings["530000-gjjdk"]
    assert "conditions_list_materials" in findings["530000-sszx"]
    assert "promised_exceeds_legal" in findings["530000-tzxmhz"]
    assert "form_without_sample" in findings["530000-spjy"]
    assert "location_not_exact" in findings["530000-bdccx"]


def disclosure_titles(store: Store, query: str) -> list[str]:
    with store.read_session() as s:
        return [d.title for d in index.search_disclosures(s, query)]


@pytest.mark.parametrize("query", ["年报", "nianbao", "niandubaogao"])
def test_disclosure_search_understands_the_abbreviation_nianbao_and_full_pinyin(
    demo_catalogue: Store, query: str
) -> None:
    found = disclosure_titles(demo_catalogue, query)

    assert found and "年度报告" in found[0]


def test_full_pinyin_finds_guides_as_initials_do(demo_catalogue: Store) -> None:
    assert set(names(demo_catalogue, "budongchan")) == set(names(demo_catalogue, "bdc"))
    assert names(demo_catalogue, "hujiyewu")[0] == "户籍业务办理"


def test_keyboard_candidates_come_from_the_catalogues_words_by_full_pinyin_and_initials(
    demo_catalogue: Store,
) -> None:
    from queue_server.catalogue import candidates

    with demo_catalogue.read_session() as s:
        words = candidates.build(s)

    assert words.candidates("shebao")[0] == "社保"
    assert words.candidates("sb")[0] == "社保"
    assert "不动产" in words.candidates("bdc")
    assert words.candidates("nianbao") == ["年报"]
    assert "公积金" in words.candidates("gongji")  # still typing: the start of a word's pinyin
    assert words.candidates("shebao1") == [] and words.candidates("") == []
