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
