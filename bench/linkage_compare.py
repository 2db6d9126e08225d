"""Compare polystat's hand-written metric linker with Splink on the gold sets.

Splink (Fellegi-Sunter record linkage on DuckDB) links the figures of a
`polystat export statistics --format jsonl` file; the hand linker's answer is the
`metric_id` in the same file. Both are scored the way `polystat eval` scores
metric pairs: exported figures are matched to gold figures by document and
overlapping span (flows/evaluate.py), and over every two matched figures a pair is
true when their gold `metric` strings are equal, predicted when they share a
metric_id (hand) or a Splink cluster.

The Splink model is unsupervised: m and u come from random sampling and EM on
the figures of each set, never from gold. Only the match threshold is chosen
with gold: the threshold with the best F1 on the tuning case (by default the
first case) is then applied unchanged to every case, so the other gold set shows
what that choice is worth on documents it was not tuned on.

Splink needs pyarrow, which polystat itself does not; install the optional extra
into a virtualenv of its own (no polystat import happens here):

    python -m venv /tmp/linkenv && /tmp/linkenv/bin/pip install -e ".[linkage]"

(`pip install "splink>=4" pyarrow` is enough for this script alone.)

Make one export per corpus with polystat's own environment (on copies, so the
repository's folders stay clean), then run the comparison:

    polystat run --no-publish --sources COPY_OF_sources --warehouse g1.duckdb
    polystat export statistics --warehouse g1.duckdb -o g1.jsonl
    polystat run --no-publish --sources COPY_OF_tests/gold2/corpus --warehouse g2.duckdb
    polystat export statistics --warehouse g2.duckdb -o g2.jsonl
    /tmp/linkenv/bin/python bench/linkage_compare.py \\
        --case main/gold tests/gold sources g1.jsonl \\
        --case main/gold2 tests/gold2 tests/gold2/corpus g2.jsonl

Results and the recommendation: bench/RESULTS.md, "Metric linking: Splink".

The Splink model itself (records, comparisons, training, clusters) lives in
bench/linkage_splink.py; this script scores it and the hand linker against gold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # bench/ is no package: import its modules from the root
from bench.linkage_splink import (  # noqa: E402
    SplinkRun,
    records,
    run_splink,
    splink_clusters,
)

THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999)
# Probability above which a pair the hand linker kept apart is offered as "possibly the same
# as": low on purpose, an analyst reads these.
SUGGESTION_THRESHOLD = 0.5


# ---------------------------------------------------------------- gold, as flows/evaluate.py


@dataclass(frozen=True)
class GoldSpan:
    item: dict[str, Any]
    doc: str
    start: int
    end: int


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise SystemExit(f"{path}: no such file")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def locate(item: dict[str, Any], text: str) -> tuple[int, int]:
    """The gold figure's span: the n-th occurrence of its quote, its surface inside."""
    position = -1
    for _ in range(int(item.get("occurrence", 1))):
        position = text.find(item["quote"], position + 1)
        if position < 0:
            raise SystemExit(f"gold {item['id']}: quote not found in {item['doc']}")
    inside = item["quote"].find(item["surface"])
    return position + inside, position + inside + len(item["surface"])


def load_gold(gold_dir: Path, texts: dict[str, str]) -> list[GoldSpan]:
    spans = []
    for item in read_jsonl(gold_dir / "statistics.jsonl"):
        if item["doc"] not in texts:
            raise SystemExit(f"gold {item['id']}: {item['doc']} is not in the corpus folder")
        start, end = locate(item, texts[item["doc"]])
        spans.append(GoldSpan(item, item["doc"], start, end))
    return spans


def match(gold: list[GoldSpan], figures: list[dict[str, Any]]) -> list[tuple[GoldSpan, int]]:
    """One-to-one by largest overlap, gold in document order; (gold, figure index)."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    for index, figure in enumerate(figures):
        by_doc[figure["doc"]].append(index)
    used: set[int] = set()
    pairs = []
    for span in sorted(gold, key=lambda g: (g.doc, g.start)):
        best, best_overlap = None, 0
        for index in by_doc[span.doc]:
            figure = figures[index]
            overlap = max(0, min(span.end, figure["end"]) - max(span.start, figure["start"]))
            if overlap > best_overlap and index not in used:
                best, best_overlap = index, overlap
        if best is not None:
            used.add(best)
            pairs.append((span, best))
    return pairs


@dataclass
class Score:
    precision: float
    recall: float
    f1: float
    predicted_pairs: int
    true_pairs: int


def pair_score(matched: list[tuple[GoldSpan, int]], cluster_of: dict[int, Any]) -> Score:
    tp = fp = fn = 0
    for (g1, a), (g2, b) in combinations(matched, 2):
        same_gold = g1.item["metric"] == g2.item["metric"]
        same_pred = cluster_of.get(a) is not None and cluster_of.get(a) == cluster_of.get(b)
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, tp + fp, tp + fn)


# ---------------------------------------------------------------- one case


@dataclass
class Case:
    label: str
    figures: list[dict[str, Any]]
    rows: list[dict[str, Any]]
    matched: list[tuple[GoldSpan, int]]
    gold_count: int
    # Splink runs by variant: "em" (unsupervised), "labels" (m from another set's gold)
    runs: dict[str, SplinkRun] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """The code a case's export came from: the label before its first slash."""
        return self.label.split("/")[0]

    def labelled_rows(self) -> list[dict[str, Any]]:
        gold_of = {index: span.item["metric"] for span, index in self.matched}
        return [row | {"gold_metric": gold_of.get(row["unique_id"])} for row in self.rows]


def load_case(label: str, gold_dir: Path, corpus_dir: Path, stats: Path) -> Case:
    texts = {path.name: path.read_text(encoding="utf-8") for path in corpus_dir.iterdir()
             if path.is_file() and path.name != "manifest.toml"}
    figures = read_jsonl(stats)
    gold = load_gold(gold_dir, texts)
    matched = match(gold, figures)
    rows = records(figures, texts)
    case = Case(label, figures, rows, matched, len(gold))
    case.runs["em"] = run_splink(rows)
    return case


def hand_score(case: Case) -> Score:
    return pair_score(case.matched, {i: f.get("metric_id") for i, f in enumerate(case.figures)})


# The variants reported: (name, Splink run, drop one-document two-value pairs, add Splink's
# pairs to the hand linker's metrics instead of linking alone)
VARIANTS = (
    ("splink EM", "em", False, False),
    ("splink EM + one claim per doc", "em", True, False),
    ("splink m from other set's labels + one claim per doc", "labels", True, False),
    ("hand + splink EM pairs (one claim per doc)", "em", True, True),
)


def hand_edges(case: Case) -> list[tuple[int, int]]:
    """The hand linker's metrics as edges: each figure to the first of its metric."""
    first: dict[str, int] = {}
    edges = []
    for index, figure in enumerate(case.figures):
        metric = figure.get("metric_id")
        if metric is not None:
            edges.append((first.setdefault(metric, index), index))
    return edges


def sweep(case: Case, run: str, constrained: bool, with_hand: bool) -> dict[float, Score]:
    seeds = hand_edges(case) if with_hand else None
    return {t: pair_score(case.matched,
                          splink_clusters(case.runs[run], case.rows, t, constrained, seeds))
            for t in THRESHOLDS}


def hand_pairs_by_splink(case: Case) -> dict[str, list[int]]:
    """The hand linker's pairs of matched figures by what unsupervised Splink says of them:
    [pairs, of which gold calls one metric], to see whether Splink could veto."""
    probability = {(min(a, b), max(a, b)): p for a, b, p in case.runs["em"].edges}
    groups: dict[str, list[int]] = {"p >= 0.5": [0, 0], "p < 0.5": [0, 0],
                                    "not a candidate": [0, 0]}
    for (g1, f1), (g2, f2) in combinations(case.matched, 2):
        metric = case.figures[f1].get("metric_id")
        if metric is None or metric != case.figures[f2].get("metric_id"):
            continue
        p = probability.get((min(f1, f2), max(f1, f2)))
        group = "not a candidate" if p is None else "p >= 0.5" if p >= 0.5 else "p < 0.5"
        groups[group][0] += 1
        groups[group][1] += g1.item["metric"] == g2.item["metric"]
    return groups


def suggestions(case: Case) -> tuple[int, int]:
    """Pairs of matched figures the hand linker keeps apart and unsupervised Splink scores
    at least SUGGESTION_THRESHOLD: (how many, how many of them gold calls one metric)."""
    gold_of = {index: span.item["metric"] for span, index in case.matched}
    offered = right = 0
    for left, other, probability in case.runs["em"].edges:
        if probability < SUGGESTION_THRESHOLD or left not in gold_of or other not in gold_of:
            continue
        if case.figures[left].get("metric_id") == case.figures[other].get("metric_id"):
            continue
        offered += 1
        right += gold_of[left] == gold_of[other]
    return offered, right


def candidate_recall(case: Case) -> float:
    """Share of gold same-metric pairs that the blocking rules put before the model."""
    blocked = {(min(a, b), max(a, b)) for a, b, _ in case.runs["em"].edges}
    true_pairs = [(min(f1, f2), max(f1, f2)) for (g1, f1), (g2, f2)
                  in combinations(case.matched, 2) if g1.item["metric"] == g2.item["metric"]]
    return sum(pair in blocked for pair in true_pairs) / len(true_pairs) if true_pairs else 0.0


# ---------------------------------------------------------------- report


def fmt(score: Score) -> str:
    return f"{score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f}"


def best_threshold(scores: dict[float, Score]) -> float:
    return max(THRESHOLDS, key=lambda threshold: scores[threshold].f1)


def tuning_case(case: Case, cases: list[Case], tune_on: str | None) -> Case:
    """Where a case's threshold is chosen: --tune-on, else the first case of its family."""
    if tune_on is not None:
        found = next((c for c in cases if c.label == tune_on), None)
        if found is None:
            raise SystemExit(f"--tune-on {tune_on}: no case has that label "
                             f"({', '.join(c.label for c in cases)})")
        return found
    return next(c for c in cases if c.family == case.family)


def teacher_case(case: Case, cases: list[Case]) -> Case | None:
    """The set whose gold labels train the supervised variant: another case of the family."""
    return next((c for c in cases if c.family == case.family and c is not case), None)


def report(cases: list[Case], tune_on: str | None) -> dict[str, Any]:
    for case in cases:
        teacher = teacher_case(case, cases)
        if teacher is not None:
            case.runs["labels"] = run_splink(case.rows, teacher.labelled_rows())
    sweeps = {(c.label, name): sweep(c, run, constrained, with_hand)
              for c in cases for name, run, constrained, with_hand in VARIANTS if run in c.runs}
    print("| case | linker | threshold | pair P | pair R | pair F1 | Splink s |")
    print("|---|---|---|---|---|---|---|")
    out: dict[str, Any] = {"cases": {}}
    for case in cases:
        tuning = tuning_case(case, cases, tune_on)
        hand = hand_score(case)
        print(f"| {case.label} | hand (metric_id) | | {fmt(hand)} | |")
        entry: dict[str, Any] = {"gold": case.gold_count, "figures": len(case.figures),
                                 "matched": len(case.matched), "hand": vars(hand),
                                 "candidate_pairs": case.runs["em"].candidate_pairs,
                                 "candidate_recall": candidate_recall(case),
                                 "tuned_on": tuning.label}
        for name, run, _, _ in VARIANTS:
            if (case.label, name) not in sweeps or (tuning.label, name) not in sweeps:
                continue
            scores, tuned = sweeps[(case.label, name)], sweeps[(tuning.label, name)]
            best, fixed = best_threshold(scores), best_threshold(tuned)
            seconds = case.runs[run].seconds
            print(f"| {case.label} | {name}, best | {best} | {fmt(scores[best])} | "
                  f"{seconds:.1f} |")
            if case is not tuning:
                print(f"| {case.label} | {name}, threshold of {tuning.label} | {fixed} | "
                      f"{fmt(scores[fixed])} | |")
            entry[name] = {"seconds": seconds, "best_threshold": best,
                           "best": vars(scores[best]), "fixed_threshold": fixed,
                           "fixed": vars(scores[fixed]),
                           "sweep": {str(t): vars(s) for t, s in scores.items()}}
        offered, right = suggestions(case)
        entry["suggestions"] = {"offered": offered, "same_metric_in_gold": right}
        entry["hand_pairs_by_splink"] = hand_pairs_by_splink(case)
        out["cases"][case.label] = entry
    print()
    for case in cases:
        entry = out["cases"][case.label]
        print(f"{case.label}: {entry['figures']} figures, {entry['matched']} of "
              f"{entry['gold']} gold matched; Splink scored {entry['candidate_pairs']} "
              f"candidate pairs holding {entry['candidate_recall']:.1%} of the gold pairs; "
              f"{entry['suggestions']['offered']} 'possibly the same as' suggestions "
              f"(p >= {SUGGESTION_THRESHOLD}) beside the hand linker, "
              f"{entry['suggestions']['same_metric_in_gold']} of them right")
        veto = "; ".join(f"{group}: {n} pairs, {right} right"
                         for group, (n, right) in entry["hand_pairs_by_splink"].items())
        print(f"  hand linker's pairs by Splink EM probability: {veto}")
        for name, _, _, _ in VARIANTS:
            if name in entry:
                row = "  ".join(f"{t}: {s['f1']:.3f}" for t, s in entry[name]["sweep"].items())
                print(f"  F1 by threshold, {name}:  {row}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--case", nargs=4, action="append", required=True,
                        metavar=("LABEL", "GOLD_DIR", "CORPUS_DIR", "STATS_JSONL"),
                        help="a gold folder, the documents it quotes, and a statistics "
                             "export of those documents (repeatable). Labels FAMILY/SET: "
                             "cases of one family share a threshold and teach each other")
    parser.add_argument("--tune-on", help="label of the case every threshold is chosen on "
                                          "(default: the first case of each family)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args(argv)
    try:
        import splink  # noqa: F401
    except ImportError:
        print("Splink is not installed here: pip install -e \".[linkage]\" (in a virtualenv "
              "of its own; see this script's docstring)", file=sys.stderr)
        return 2
    cases = [load_case(label, Path(gold), Path(corpus), Path(stats))
             for label, gold, corpus, stats in args.case]
    out = report(cases, args.tune_on)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
