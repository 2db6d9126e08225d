"""Score the warehouse's statistics export against a gold folder.

Gold layout (see tests/gold/README.md): statistics.jsonl, non_statistics.jsonl,
series.jsonl, conflicts.jsonl, and the documents they quote. A gold figure is
located by its quote (the n-th occurrence, counted with successive str.find)
and its surface inside the quote. A prediction matches a gold figure when their
spans overlap in the same document (each prediction matches at most one).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

VALUE_TOLERANCE = 0.011


class GoldError(ValueError):
    """The gold folder does not fit its documents."""


class GoldMissing(GoldError):
    """The gold folder, or its statistics.jsonl, is missing or empty."""


@dataclass(frozen=True)
class GoldSpan:
    item: dict[str, Any]
    doc: str
    start: int
    end: int


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise GoldError(f"{path}, line {number}: not JSON ({exc.msg})") from None
    return items


def check_gold_folder(gold_dir: Path) -> None:
    """Refuse a folder that cannot be gold: scoring it would print zeros, not an error."""
    statistics = gold_dir / "statistics.jsonl"
    if not gold_dir.exists():
        raise GoldMissing(f"gold folder {gold_dir} does not exist")
    if not gold_dir.is_dir():
        raise GoldMissing(f"gold folder {gold_dir} is a file; pass the folder that holds "
                          "statistics.jsonl")
    if not statistics.is_file():
        state = "is empty" if not any(gold_dir.iterdir()) else "has no statistics.jsonl"
        raise GoldMissing(f"gold folder {gold_dir} {state}: it needs statistics.jsonl (one gold "
                          "figure per line; layout in tests/gold/README.md)")
    if not _read_jsonl(statistics):
        raise GoldMissing(f"{statistics} holds no gold figures; nothing to score against")


def locate(item: dict[str, Any], text: str) -> tuple[int, int]:
    """Character span of a gold item's surface in its document."""
    quote, surface = item["quote"], item["surface"]
    position = -1
    for _ in range(int(item.get("occurrence", 1))):
        position = text.find(quote, position + 1)
        if position < 0:
            raise GoldError(f"gold {item['id']}: quote not found in {item['doc']}: {quote[:60]!r}")
    inside = quote.find(surface)
    if inside < 0:
        raise GoldError(f"gold {item['id']}: surface {surface!r} not inside its quote")
    return position + inside, position + inside + len(surface)


def load_gold(gold_dir: Path, texts: dict[str, str]) -> tuple[list[GoldSpan], list[GoldSpan]]:
    """Located statistics and non-statistics; raises GoldError naming any item that is off."""
    check_gold_folder(gold_dir)
    located: dict[str, list[GoldSpan]] = {}
    for name in ("statistics", "non_statistics"):
        spans = []
        for item in _read_jsonl(gold_dir / f"{name}.jsonl"):
            if item["doc"] not in texts:
                raise GoldError(f"gold {item['id']}: document {item['doc']} is not in the "
                                "warehouse; run `polystat run` on the gold's corpus first")
            start, end = locate(item, texts[item["doc"]])
            spans.append(GoldSpan(item, item["doc"], start, end))
        located[name] = spans
    return located["statistics"], located["non_statistics"]


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def match(gold: list[GoldSpan], predictions: list[dict[str, Any]]
          ) -> list[tuple[GoldSpan, dict[str, Any]]]:
    """One-to-one matches by largest overlap, gold in document order."""
    by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for pred in predictions:
        by_doc[pred["doc"]].append(pred)
    used: set[int] = set()
    pairs = []
    for span in sorted(gold, key=lambda g: (g.doc, g.start)):
        best, best_overlap = None, 0
        for pred in by_doc[span.doc]:
            overlap = _overlap(span.start, span.end, pred["start"], pred["end"])
            if overlap > best_overlap and id(pred) not in used:
                best, best_overlap = pred, overlap
        if best is not None:
            used.add(id(best))
            pairs.append((span, best))
    return pairs


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _same_value(gold: dict[str, Any], pred: dict[str, Any]) -> bool:
    return (pred.get("value") is not None and abs(float(pred["value"]) - float(gold["value"]))
            <= VALUE_TOLERANCE and pred.get("unit") == gold["unit"])


def _field_ok(gold: dict[str, Any], pred: dict[str, Any]) -> dict[str, bool]:
    return {
        "qualifier": pred.get("qualifier") == gold["qualifier"],
        "population": pred.get("population") == gold["population"],
        "year": pred.get("year") == gold["year"] and pred.get("year_basis") == gold["year_basis"],
    }


def metric_pairs(pairs: list[tuple[GoldSpan, dict[str, Any]]]) -> dict[str, float]:
    """Pair-F1 of the linking over the matched figures: two figures are the same metric in
    gold when their gold metric strings are equal, predicted when their metric_ids are."""
    tp = fp = fn = 0
    for (g1, p1), (g2, p2) in combinations(pairs, 2):
        same_gold = g1.item["metric"] == g2.item["metric"]
        same_pred = p1.get("metric_id") is not None and p1.get("metric_id") == p2.get("metric_id")
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {"metric_pair_precision": precision, "metric_pair_recall": recall,
            "metric_pair_f1": _f1(precision, recall), "metric_pairs_true": tp + fn}


SERIES_PAIR_KEYS = ("series_pair_precision", "series_pair_recall", "series_pair_f1",
                    "series_pairs_true")


def series_pairs(pairs: list[tuple[GoldSpan, dict[str, Any]]]) -> dict[str, float]:
    """The metric pair scores under their first names, for JSON readers (eval_baseline.json
    pins series_pair_f1); the plain table shows them once, as metric_pair_*."""
    return {key.replace("metric_pair", "series_pair"): value
            for key, value in metric_pairs(pairs).items()}


def score(gold_dir: Path, predictions: list[dict[str, Any]], texts: dict[str, str]
          ) -> dict[str, Any]:
    """Every score of `polystat eval`, as a flat mapping."""
    gold, traps = load_gold(gold_dir, texts)
    pairs = match(gold, predictions)
    n_pred, n_gold, n_match = len(predictions), len(gold), len(pairs)
    precision, recall = _ratio(n_match, n_pred), _ratio(n_match, n_gold)
    strict = [(g, p) for g, p in pairs if _same_value(g.item, p)]
    s_precision, s_recall = _ratio(len(strict), n_pred), _ratio(len(strict), n_gold)
    fields = [_field_ok(g.item, p) for g, p in pairs]
    all_ok = sum(_same_value(g.item, p) and all(f.values()) for (g, p), f in zip(pairs, fields,
                                                                                  strict=True))
    trap_hits = [t for t in traps if any(
        p["doc"] == t.doc and _overlap(t.start, t.end, p["start"], p["end"]) for p in predictions)]
    result: dict[str, Any] = {
        "gold": n_gold, "predicted": n_pred, "matched": n_match,
        "span_precision": precision, "span_recall": recall, "span_f1": _f1(precision, recall),
        "strict_f1": _f1(s_precision, s_recall),
        "qualifier_accuracy": _ratio(sum(f["qualifier"] for f in fields), n_match),
        "population_accuracy": _ratio(sum(f["population"] for f in fields), n_match),
        "year_accuracy": _ratio(sum(f["year"] for f in fields), n_match),
        "all_fields_accuracy": _ratio(all_ok, n_match),
        "trap_hits": len(trap_hits),
        "trap_examples": [f"{t.item['id']} {t.item['surface']!r}" for t in trap_hits[:10]],
    }
    result.update(series_pairs(pairs))
    result.update(metric_pairs(pairs))
    by_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    matched_ids = {g.item["id"] for g, _ in pairs}
    for span in gold:
        counts = by_lang[span.item["lang"]]
        counts[0] += span.item["id"] in matched_ids
        counts[1] += 1
    for lang, (hit, total) in sorted(by_lang.items()):
        result[f"recall_{lang}"] = _ratio(hit, total)
    result["missed"] = [f"{s.item['id']} {s.item['surface']!r}" for s in gold
                        if s.item["id"] not in matched_ids]
    return result


def load_gold_conflicts(gold_dir: Path, texts: dict[str, str]) -> list[list[GoldSpan]]:
    """Each gold conflict as the located gold figures it names."""
    gold_stats = {g.item["id"]: g for g in load_gold(gold_dir, texts)[0]}
    located = []
    for number, conflict in enumerate(_read_jsonl(gold_dir / "conflicts.jsonl"), start=1):
        unknown = [i for i in conflict["ids"] if i not in gold_stats]
        if unknown or not conflict["ids"]:
            raise GoldError(f"{gold_dir / 'conflicts.jsonl'}, line {number}: ids "
                            f"{unknown or conflict['ids']} name no figure in statistics.jsonl")
        located.append([gold_stats[i] for i in conflict["ids"]])
    return located


def _covers(conflict: dict[str, Any], figures: list[GoldSpan]) -> bool:
    """An exported conflict holds a gold conflict when each of its figures overlaps one of the
    conflict's observations."""
    observed = conflict["observations"]
    return all(any(o["doc"] == s.doc and _overlap(s.start, s.end, o["start"], o["end"])
                   for o in observed) for s in figures)


def conflict_scores(gold_conflicts: list[list[GoldSpan]], predicted: list[dict[str, Any]]
                    ) -> dict[str, int]:
    """Gold conflicts found (all their figures inside one predicted conflict) and false
    conflicts (predicted conflicts that hold no gold conflict)."""
    found = sum(any(_covers(c, figures) for c in predicted) for figures in gold_conflicts)
    false = sum(not any(_covers(c, figures) for figures in gold_conflicts) for c in predicted)
    return {"conflicts_found": found, "conflicts_gold": len(gold_conflicts),
            "conflicts_predicted": len(predicted), "conflicts_false": false}
