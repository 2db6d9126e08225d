"""The gold scorer on small hand-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flows import evaluate as ev

TEXT = "Intro 2021. Of 1,500 managers, 81% agree and 45% disagree. In 2020 it was 70%."


def _gold(tmp_path: Path, stats: list[dict], traps: list[dict] | None = None) -> Path:
    folder = tmp_path / "gold"
    folder.mkdir()
    (folder / "statistics.jsonl").write_text("\n".join(json.dumps(s) for s in stats))
    (folder / "non_statistics.jsonl").write_text("\n".join(json.dumps(t) for t in traps or []))
    return folder


def _stat(id_: str, quote: str, surface: str, value: float, metric: str, **extra) -> dict:
    item = {"id": id_, "doc": "a.txt", "lang": "en", "quote": quote, "surface": surface,
            "value": value, "unit": "percent", "qualifier": "exact", "population": "managers",
            "year": 2021, "year_basis": "edition", "metric": metric}
    item.update(extra)
    return item


def _pred(surface: str, value: float, metric_id: str, text: str = TEXT, **extra) -> dict:
    start = text.find(surface)
    pred = {"doc": "a.txt", "start": start, "end": start + len(surface), "surface": surface,
            "value": value, "unit": "percent", "qualifier": "exact", "population": "managers",
            "year": 2021, "year_basis": "edition", "metric_id": metric_id}
    pred.update(extra)
    return pred


def test_perfect_predictions_score_one(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree"),
                            _stat("2", "45% disagree", "45%", 45, "disagree")])
    scores = ev.score(gold, [_pred("81%", 81, "m1"), _pred("45%", 45, "m2")], {"a.txt": TEXT})
    assert scores["span_f1"] == 1.0
    assert scores["strict_f1"] == 1.0
    assert scores["all_fields_accuracy"] == 1.0
    assert scores["trap_hits"] == 0
    assert scores["recall_en"] == 1.0


def test_wrong_value_counts_for_span_but_not_strict(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree"),
                            _stat("2", "45% disagree", "45%", 45, "disagree")])
    scores = ev.score(gold, [_pred("81%", 18, "m1"), _pred("45%", 45, "m2", qualifier="approx")],
                      {"a.txt": TEXT})
    assert scores["span_f1"] == 1.0
    assert scores["strict_f1"] == pytest.approx(0.5)
    assert scores["qualifier_accuracy"] == pytest.approx(0.5)
    assert scores["all_fields_accuracy"] == 0.0


def test_missed_extra_and_trap_predictions(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree"),
                            _stat("2", "45% disagree", "45%", 45, "disagree")],
                 traps=[{"id": "N1", "doc": "a.txt", "lang": "en", "quote": "Intro 2021",
                         "surface": "2021", "category": "year_date"}])
    trap = {**_pred("2021", 2021, "m9"), "unit": "count"}
    scores = ev.score(gold, [_pred("81%", 81, "m1"), trap], {"a.txt": TEXT})
    assert scores["span_precision"] == pytest.approx(0.5)
    assert scores["span_recall"] == pytest.approx(0.5)
    assert scores["trap_hits"] == 1
    assert scores["missed"] == ["2 '45%'"]


def test_series_pairs_reward_shared_metric_ids_only_for_the_same_gold_metric(tmp_path: Path
                                                                             ) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree"),
                            _stat("2", "45% disagree", "45%", 45, "disagree"),
                            _stat("3", "it was 70%", "70%", 70, "agree", year=2020,
                                  year_basis="explicit")])
    good = [_pred("81%", 81, "a"), _pred("45%", 45, "b"),
            _pred("70%", 70, "a", year=2020, year_basis="explicit")]
    assert ev.score(gold, good, {"a.txt": TEXT})["series_pair_f1"] == 1.0
    merged = [{**p, "metric_id": "same"} for p in good]
    scores = ev.score(gold, merged, {"a.txt": TEXT})
    assert scores["series_pair_recall"] == 1.0
    assert scores["series_pair_precision"] == pytest.approx(1 / 3)


def test_occurrence_selects_the_nth_quote(tmp_path: Path) -> None:
    text = "81% agree. Later: 81% agree."
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree", occurrence=2)])
    start, end = ev.locate(json.loads((gold / "statistics.jsonl").read_text()), text)
    assert (start, end) == (18, 21)


def test_quote_missing_from_its_document_is_a_clear_error(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("7", "99% nowhere", "99%", 99, "x")])
    with pytest.raises(ev.GoldError, match="gold 7: quote not found in a.txt"):
        ev.score(gold, [], {"a.txt": TEXT})


# --------------------------------------------------------------------------- pure scores


def _span(id_: str, metric: str, start: int, doc: str = "a.txt") -> ev.GoldSpan:
    return ev.GoldSpan({"id": id_, "metric": metric}, doc, start, start + 3)


def test_metric_pairs_precision_and_recall_differ_when_linking_errs_both_ways() -> None:
    # gold: A A A B  -> true pairs (1,2) (1,3) (2,3)
    # predicted: m1 m1 m2 m2 -> predicted pairs (1,2) right, (3,4) wrong
    gold = [_span("1", "A", 0), _span("2", "A", 10), _span("3", "A", 20), _span("4", "B", 30)]
    predicted = [{"metric_id": m} for m in ("m1", "m1", "m2", "m2")]
    scores = ev.metric_pairs(list(zip(gold, predicted, strict=True)))
    assert scores["metric_pair_precision"] == pytest.approx(1 / 2)
    assert scores["metric_pair_recall"] == pytest.approx(1 / 3)
    assert scores["metric_pair_f1"] == pytest.approx(2 * (1 / 2) * (1 / 3) / (1 / 2 + 1 / 3))
    assert scores["metric_pairs_true"] == 3


def test_figures_without_a_metric_id_are_never_the_same_metric() -> None:
    gold = [_span("1", "A", 0), _span("2", "A", 10)]
    scores = ev.metric_pairs(list(zip(gold, [{"metric_id": None}, {}], strict=True)))
    assert (scores["metric_pair_precision"], scores["metric_pair_recall"]) == (0.0, 0.0)


def _conflict(*spans: tuple[str, int]) -> dict:
    return {"observations": [{"doc": doc, "start": start, "end": start + 3}
                             for doc, start in spans]}


def test_conflict_scores_count_found_and_false_conflicts() -> None:
    gold = [[_span("1", "A", 0), _span("2", "A", 0, doc="b.txt")],   # found by the first
            [_span("3", "B", 50), _span("4", "B", 70)]]              # only half predicted
    predicted = [_conflict(("a.txt", 1), ("b.txt", 0), ("c.txt", 9)),  # holds gold 1 (+ extra)
                 _conflict(("a.txt", 50), ("a.txt", 90)),               # misses figure 4
                 _conflict(("c.txt", 0), ("c.txt", 20))]                 # nothing in gold
    assert ev.conflict_scores(gold, predicted) == {
        "conflicts_found": 1, "conflicts_gold": 2, "conflicts_predicted": 3,
        "conflicts_false": 2}


def test_score_reports_population_accuracy_and_both_pair_key_families(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree"),
                            _stat("2", "45% disagree", "45%", 45, "disagree")])
    scores = ev.score(gold, [_pred("81%", 81, "m1"), _pred("45%", 45, "m1", population="all")],
                      {"a.txt": TEXT})
    assert scores["population_accuracy"] == pytest.approx(0.5)
    assert scores["metric_pair_precision"] == 0.0 and scores["series_pair_precision"] == 0.0
    assert {k: v for k, v in scores.items() if k.startswith("series_pair")} == {
        k.replace("metric_pair", "series_pair"): v for k, v in scores.items()
        if k.startswith("metric_pair")}


def test_a_gold_conflict_naming_an_unknown_figure_is_an_error(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree")])
    (gold / "conflicts.jsonl").write_text(json.dumps({"metric": "agree", "year": 2021,
                                                      "ids": ["1", "9"], "values": [81, 80]}))
    with pytest.raises(ev.GoldError, match=r"conflicts.jsonl, line 1: ids \['9'\]"):
        ev.load_gold_conflicts(gold, {"a.txt": TEXT})


def test_a_broken_gold_line_names_file_and_line(tmp_path: Path) -> None:
    gold = _gold(tmp_path, [_stat("1", "81% agree", "81%", 81, "agree")])
    (gold / "statistics.jsonl").write_text(
        (gold / "statistics.jsonl").read_text() + "\n{not json", encoding="utf-8")
    with pytest.raises(ev.GoldError, match="statistics.jsonl, line 2: not JSON"):
        ev.score(gold, [], {"a.txt": TEXT})
