"""Turkish and Chinese official reports on society and digital life (internet use, domestic
tourism, education bulletins, time use, a youth survey), with an English and a German
restatement, class by class:

  respective names   "台式电脑、笔记本电脑和平板电脑上网的比例分别为31.0%、28.4%和24.6%",
                     "bilgisayar ve internet kullanım oranları sırasıyla %57,8 ve %86,2": the
                     k-th figure claims the k-th name only (extract/respective.py), so each
                     entry links to itself in the next edition and to no other entry
  respective changes "A为x，B为y，C为z，分别比上年提高0.9、0.6和1.5个百分点": the k-th change is
                     the k-th level's (a nearest subject paired the first change with C)
  plural anaphors    "Bu oranlar 2023 yılında %55,9 ve %84,0 idi" after "sırasıyla %57,8 ve
                     %86,2": the values refer back in order, never crosswise (a wrong trend)
  persons            a household survey's men, women and 16-24 year olds are persons (never
                     "male_households"), and a sentence after men's and women's shares is
                     about neither of them
  own-clause groups  "城镇地区…为86.1%，农村地区…为64.3%", "城镇居民…增长11.0%，农村居民…增长
                     19.8%": a clause that opens with its group takes it, not the group of the
                     figure before; "非网民" is no internet user
  visits             "国内出游人次1.86亿": a count of visits, whose group is the one before it
  labels             in the source language, naming one entry, with no quote marks or "…"

The documents (tests/unseen_trzh2/) are written for these tests in the phrasing of real
releases; every office, sentence and figure is made up. The first part checks the claim
builder, the extractor and the linker on plain text; the second runs the real pipeline
(extraction and reconciliation into a DuckDB warehouse).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_files import linked_corpus, linked_figures  # tests/ is on sys.path
from link_nodes import make_node, metrics

from extract.claims import build_claim
from extract.statistics import find_statistics
from warehouse.labels import label_for
from warehouse.link_claims import attach_claims

CORPUS = Path(__file__).parent / "unseen_trzh2"

# --------------------------------------------------------------------------- claims


def _claims(sentence: str, surfaces: list[str], lang: str, change: bool = False
            ) -> dict[str, tuple[str, frozenset[str]]]:
    """surface -> (clause, words) of each figure of `sentence`, given in order."""
    spans, at = [], 0
    for surface in surfaces:
        start = sentence.index(surface, at)
        spans.append((start, start + len(surface)))
        at = start + len(surface)
    found = {}
    for span in spans:
        others = tuple(other for other in spans if other != span)
        claim = build_claim(sentence, span[0], span[1], lang, others, 2025, change=change)
        found[sentence[span[0]:span[1]]] = (claim.clause, frozenset(claim.words))
    return found


def test_each_figure_of_a_named_list_claims_its_own_entry() -> None:
    zh = _claims("家中接入方式方面，使用光纤宽带、移动热点和卫星天线的家庭分别为62.0%、"
                 "30.5%和4.1%。", ["62.0%", "30.5%", "4.1%"], "zh")
    assert zh["30.5%"][0] == "家中接入方式方面，使用移动热点的家庭为30.5%"
    assert "光纤" not in zh["30.5%"][0] and "卫星" not in zh["30.5%"][0]
    assert "移动热点" not in zh["62.0%"][0] and "卫星" in zh["4.1%"][0]
    tr = _claims("Kadınlarda tablet ve telefon sahipliği sırasıyla %31,2 ve %88,5 oldu.",
                 ["%31,2", "%88,5"], "tr")
    assert "tablet" in tr["%31,2"][1] and "telefon" not in " ".join(tr["%31,2"][1])
    assert "tablet" not in tr["%88,5"][1] and "telefon" in " ".join(tr["%88,5"][1])


def test_names_after_the_respectively_word_are_entries_too() -> None:
    found = _claims("持有职业资格证书的员工分别占制造业和服务业员工的41.0%和27.3%。",
                    ["41.0%", "27.3%"], "zh")
    assert "制造业" in found["41.0%"][0] and "服务业" not in found["41.0%"][0]
    assert "服务业" in found["27.3%"][0] and "制造业" not in found["27.3%"][0]


def test_no_respectively_word_or_too_few_names_changes_nothing() -> None:
    plain = _claims("光纤宽带、移动热点的家庭为62.0%、30.5%。", ["62.0%", "30.5%"], "zh")
    assert "移动热点" in plain["62.0%"][0] or "移动热点" in plain["30.5%"][0]
    one_name = _claims("家庭宽带的比例分别为62.0%、30.5%和4.1%。", ["62.0%", "30.5%", "4.1%"],
                       "zh")
    assert "家庭宽带" not in one_name["30.5%"][0]  # (no names to pair: nothing invented)


def test_listed_changes_pair_with_the_levels_in_order() -> None:
    found = _claims("小学净入学率为99.1%，初中毛入学率为98.0%，特殊教育入学率为90.2%，分别比上年"
                    "提高0.3、0.7和2.4个百分点。", ["99.1%", "98.0%", "90.2%", "0.3", "0.7",
                                           "2.4个百分点"], "zh", change=True)
    assert "初中" in found["0.7"][0] and "小学" not in found["0.7"][0]
    assert "小学" in found["0.3"][1] and "特殊教育" not in found["0.3"][1]
    assert "特殊教育" in found["2.4个百分点"][1] and "初中" not in found["2.4个百分点"][1]


# --------------------------------------------------------------------------- extraction


def _groups(text: str, lang: str) -> dict[str, str | None]:
    return {s.surface: s.population for s in find_statistics(text, lang, 2025)}


def test_a_household_surveys_men_and_age_groups_are_persons() -> None:
    found = _groups("Hanehalkı Bilişim Teknolojileri Kullanım Araştırması, 2025\n\n"
                    "E-devlet kullanım oranı erkeklerde %71,9 iken kadınlarda %64,0 oldu. "
                    "65-74 yaş grubunda e-devlet kullananların oranı %38,6 oldu.", "tr")
    assert found == {"%71,9": "men", "%64,0": "women", "%38,6": "people_aged_65_74"}


def test_a_clause_that_opens_with_its_group_takes_it() -> None:
    assert _groups("截至2025年6月，城镇地区移动支付普及率为92.5%，农村地区移动支付普及率为"
                   "80.3%。", "zh") == {"92.5%": "urban_residents", "80.3%": "rural_residents"}
    assert _groups("其中，城镇居民旅游消费同比增长7.2%，农村居民旅游消费同比增长12.9%。",
                   "zh") == {"7.2%": "urban_residents", "12.9%": "rural_residents"}


def test_a_share_of_those_outside_a_group_is_not_the_surveys() -> None:
    """A survey of internet users: a share among non-users is no share of its users."""
    found = _groups("网民上网行为调查（2025）\n\n本次调查共回收网民有效问卷3,200份。\n\n"
                    "在非网民中，因缺乏上网设备而不上网的占22.6%。", "zh")
    assert found["22.6%"] is None


def test_visits_are_counted_after_their_noun_and_money_is_not() -> None:
    found = {s.surface: (s.value, s.population)
             for s in find_statistics("上半年，农村居民出游人次0.38亿；人均每次出游花费为"
                                      "640元。", "zh", 2025)}
    assert found == {"0.38亿": (38_000_000, "rural_residents")}


# --------------------------------------------------------------------------- the linker


def _sentence(obs_id: str, doc: str, sentence: str, at: int, surface: str, value: float,
              year: int):
    return make_node(obs_id, doc, "tr", sentence, surface, value, year, at=at,
                     population="individuals", study="kio-bt", edition=doc, survey_year=2025)


def test_a_plural_anaphor_refers_back_in_order() -> None:
    """"Bu oranlar 2024 yılında %40,2 ve %75,5 idi" after "sırasıyla %42,0 ve %78,1": the
    first value is the first rate's, never the second's (a crosswise trend)."""
    first = "Tablet ve telefon kullanım oranları sırasıyla %42,0 ve %78,1 oldu."
    second = "Bu oranlar 2024 yılında %40,2 ve %75,5 idi."
    at = len(first) + 1
    nodes = [_sentence("tablet", "bt25", first, 0, "%42,0", 42.0, 2025),
             _sentence("phone", "bt25", first, 0, "%78,1", 78.1, 2025),
             _sentence("tablet_before", "bt25", second, at, "%40,2", 40.2, 2024),
             _sentence("phone_before", "bt25", second, at, "%75,5", 75.5, 2024)]
    attach_claims(nodes)
    assert {n.obs_id: n.antecedent for n in nodes[2:]} == {
        "tablet_before": "tablet", "phone_before": "phone"}
    found = metrics(nodes)
    assert not any({"tablet", "phone_before"} <= m or {"phone", "tablet_before"} <= m
                   for m in found)


def test_a_chinese_label_names_its_entry_not_the_whole_list() -> None:
    sentence = "同时使用智能手表、智能音箱和车载屏幕上网的比例分别为12.4%、18.9%和6.7%。"
    nodes = [make_node(name, "d", "zh", sentence, surface, value, 2025)
             for name, surface, value in (("watch", "12.4%", 12.4), ("speaker", "18.9%", 18.9),
                                          ("car", "6.7%", 6.7))]
    attach_claims(nodes)
    label, _ = label_for([nodes[1]])
    assert "智能音箱" in label and "智能手表" not in label and "车载" not in label


# --------------------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("trzh2"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict[tuple[str, str], tuple[str, str | None, int, str]]:
    """(file, surface) -> (metric id, group, year, label) of each linked figure."""
    return {(f, s): (m, pop, year, label) for f, s, m, pop, year, label
            in linked_figures(warehouse, "o.population", "o.year", "m.label")}


def _same(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({figures[key][0] for key in keys}) == 1


def _apart(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({figures[key][0] for key in keys}) == len(keys)


H24, H25, HEN = "hcnet24.txt", "hcnet25.txt", "hcnet25_en.txt"
T24, T25, TDE = "trakya_bt24.txt", "trakya_bt25.txt", "trakya_bt25_de.txt"
X24, X25, YL = "xinghe_jiaoyu24.txt", "xinghe_jiaoyu25.txt", "yunling_lvyou25.txt"


def test_no_conflict_and_readable_labels(warehouse: Path, figures: dict) -> None:
    import duckdb
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (0,)
    labels = {label for *_, label in figures.values()}
    assert not [label for label in labels if any(mark in label for mark in "…\"“”„«»「」")]
    assert figures[(H24, "28.4%")][3] == "internet users: 同时使用笔记本电脑上网 (zh)"
    # (a frame that opens the sentence says what the entries are)
    assert figures[(YL, "31.5%")][3] == "residents: 出游目的看，探亲访友 (zh)"


def test_each_entry_of_a_named_list_is_its_own_trend(figures: dict) -> None:
    """Desktops, laptops and tablets in two editions: three metrics of two points each."""
    assert _same(figures, (H24, "31.0%"), (H25, "29.7%"))
    assert _same(figures, (H24, "28.4%"), (H25, "27.9%"))
    assert _same(figures, (H24, "24.6%"), (H25, "25.3%"))
    assert _apart(figures, (H24, "31.0%"), (H24, "28.4%"), (H24, "24.6%"))
    assert _apart(figures, (YL, "46.2%"), (YL, "31.5%"), (YL, "9.8%"))


def test_respective_changes_and_plural_anaphors_make_no_crosswise_trend(figures: dict) -> None:
    # the preschool, upper secondary and tertiary rates' changes, each with its own
    assert _same(figures, (X24, "0.9"), (X25, "1.1个百分点"))
    assert _same(figures, (X24, "0.6"), (X25, "0.8个百分点"))
    assert _same(figures, (X24, "1.5个百分点"), (X25, "1.4个百分点"))
    assert _apart(figures, (X24, "0.9"), (X24, "0.6"), (X24, "1.5个百分点"))
    # computer use 2024 and 2023, internet use 2024 and 2023: never computer with internet
    assert _same(figures, (T24, "%57,8"), (T24, "%55,9"))
    assert _same(figures, (T24, "%86,2"), (T24, "%84,0"))
    assert _apart(figures, (T24, "%57,8"), (T24, "%86,2"))
    assert figures[(T24, "%55,9")][2] == 2023 and figures[(T24, "%84,0")][2] == 2023


def test_groups_of_a_household_survey_and_of_urban_and_rural_areas(figures: dict) -> None:
    assert figures[(T24, "%90,1")][1] == "men" and figures[(T24, "%82,4")][1] == "women"
    assert figures[(T24, "%97,3")][1] == "people_aged_16_24"
    assert figures[(H24, "86.1%")][1] == "urban_residents"
    assert figures[(H24, "64.3%")][1] == "rural_residents"
    assert figures[(YL, "19.8%")][1] == "rural_residents"
    # "男性网民占51.2%" and "网民中男性占50.9%": the men among internet users, either way
    assert figures[(H24, "51.2%")][1] == figures[(H25, "50.9%")][1] == "male_internet_users"
    assert figures[(H24, "48.8%")][1] == figures[(H25, "49.1%")][1] == "female_internet_users"
    assert figures[(H25, "41.8%")][1] is None  # 非网民 are neither internet users nor all
    assert _same(figures, (H24, "86.1%"), (H25, "87.9%"))
    assert _same(figures, (H24, "64.3%"), (H25, "67.5%"))
    assert _apart(figures, (H24, "86.1%"), (H24, "64.3%"))


def test_editions_and_restatements_link(figures: dict) -> None:
    assert _same(figures, (H24, "78.4%"), (H25, "80.6%"))
    assert _same(figures, (H25, "99.6%"), (HEN, "99.6%"), (H24, "99.5%"))
    assert _same(figures, (H25, "97.4%"), (HEN, "97.4%"), (H24, "97.1%"))
    assert _same(figures, (T25, "%88,3"), (T25, "%86,2"), (TDE, "88,3 %"), (TDE, "86,2 %"))
    assert _same(figures, (T24, "%90,1"), (T25, "%91,7"))
    assert _same(figures, (T24, "%80,7"), (T25, "%82,2"), (TDE, "82,2 %"))
    assert figures[(YL, "1.70亿")][2] == 2024 and figures[(YL, "1.86亿")][2] == 2025
