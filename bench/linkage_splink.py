"""The Splink side of bench/linkage_compare.py: figures as Splink records, the model
(comparisons, blocking, the fixed m of where two figures stand), training and
prediction, and clusters of the pairs above a threshold.

Imports Splink only inside the functions that need it, and nothing from polystat.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

SAME_YEAR = "year_l IS NOT DISTINCT FROM year_r"
SAME_VALUE = "value_l = value_r"
POSITION_LEVELS = (
    ("one document, year and value", f"doc_l = doc_r AND {SAME_YEAR} AND {SAME_VALUE}"),
    ("one document, one year, two values", f"doc_l = doc_r AND {SAME_YEAR}"),
    ("one document, two years", "doc_l = doc_r"),
    ("two documents, one year and value", f"{SAME_YEAR} AND {SAME_VALUE}"),
    ("two documents, one year", SAME_YEAR),
    ("two documents, two years", "ELSE"),
)
# Fixed m probabilities of the position comparison (see settings()), set by hand: of the
# pairs of figures that measure one thing, most lie in two documents (restatements across
# languages and editions, year histories); one document giving one year two values is
# nearly never one metric.
POSITION_M = {
    "one document, year and value": 0.05,
    "one document, one year, two values": 0.005,
    "one document, two years": 0.15,
    "two documents, one year and value": 0.25,
    "two documents, one year": 0.15,
    "two documents, two years": 0.395,
}

# Where a clause ends: sentence and clause punctuation (Latin and CJK), a full stop or comma
# only before white space (so 7.095 and 12,4 stay whole), a dash between spaces.
CLAUSE_BOUNDARY = re.compile(r"[;:!?。！？；：，、()（）\n]|[.,](?=\s)|\s[–—-]\s")
LATIN_WORD = re.compile(r"[^\W\d_]+")
HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
STEM_LENGTH = 5  # a crude stemmer for de/tr/en: the first five letters of a word
MIN_WORD_LENGTH = 4  # shorter words are mostly articles, particles and suffixes


# ---------------------------------------------------------------- records for Splink


def clause_around(text: str, start: int, end: int) -> str:
    """The clause that holds the figure, without the figure: what it quantifies."""
    left = 0
    for boundary in CLAUSE_BOUNDARY.finditer(text, max(0, start - 300), start):
        left = boundary.end()
    following = CLAUSE_BOUNDARY.search(text, end, end + 300)
    right = following.start() if following else min(len(text), end + 300)
    return (text[left:start] + " " + text[end:right]).strip()


def claim_words(clause: str) -> list[str]:
    """Shingles of a clause: stems of longer Latin words, bigrams of Chinese characters."""
    words = {word[:STEM_LENGTH] for word in LATIN_WORD.findall(clause.lower())
             if len(word) >= MIN_WORD_LENGTH and not HAN_RUN.fullmatch(word)}
    for run in HAN_RUN.findall(clause):
        words.update(run[i:i + 2] for i in range(max(1, len(run) - 1)))
    return sorted(words)


def records(figures: list[dict[str, Any]], texts: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for index, figure in enumerate(figures):
        text = texts.get(figure["doc"])
        if text is None:
            raise SystemExit(f"exported figure in {figure['doc']}: that document is not in "
                             "the corpus folder; export the warehouse of that folder's run")
        clause = clause_around(text, figure["start"], figure["end"])
        rows.append({
            "unique_id": index,
            "doc": figure["doc"],
            "lang": figure.get("lang"),
            "unit": figure.get("unit"),
            "population": figure.get("population"),
            "year": figure.get("year"),
            "value": None if figure.get("value") is None else round(float(figure["value"]), 2),
            "clause": " ".join(LATIN_WORD.findall(clause.lower())) or clause,
            "words": claim_words(clause),
            "concepts": sorted(figure.get("concepts") or []),
        })
    return rows


# ---------------------------------------------------------------- the Splink model


def jaccard_sql(column: str) -> str:
    union = f"len(list_distinct(list_concat({column}_l, {column}_r)))"
    return f"(len(list_intersect({column}_l, {column}_r)) / greatest({union}, 1))"


def settings(fix_position: bool = True) -> Any:
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    words = jaccard_sql("words")
    claim = cl.CustomComparison(
        output_column_name="claim",
        comparison_levels=[
            {"sql_condition": "len(words_l) = 0 OR len(words_r) = 0", "is_null_level": True,
             "label_for_charts": "no claim words"},
            {"sql_condition": f"{words} >= 0.8", "label_for_charts": "claim Jaccard >= 0.8"},
            {"sql_condition": f"{words} >= 0.5", "label_for_charts": "claim Jaccard >= 0.5"},
            {"sql_condition": f"{words} >= 0.25", "label_for_charts": "claim Jaccard >= 0.25"},
            {"sql_condition": "ELSE", "label_for_charts": "claims differ"},
        ],
    )
    clause_text = cl.JaroWinklerAtThresholds("clause", [0.95, 0.85])
    concepts = cl.ArrayIntersectAtSizes("concepts", [2, 1])
    # Where the two figures stand: one document or two, one year or two, one value or two.
    # A restatement (same year, same value) is evidence in one document and across
    # documents; one document giving one year two values gives two claims (the issue:
    # never one metric); one document's values of other years are a history. Left to EM,
    # such a comparison learns "same document" (its figures agree on year, population and
    # words, so EM finds documents, not metrics), so its m probabilities are fixed a priori
    # (POSITION_M) and only u is estimated.
    position = cl.CustomComparison(
        output_column_name="position",
        comparison_levels=[
            {"sql_condition": condition, "label_for_charts": label}
            | ({"m_probability": POSITION_M[label], "fix_m_probability": True}
               if fix_position else {})
            for label, condition in POSITION_LEVELS
        ],
    )
    population = cl.ExactMatch("population")
    blocking = [
        block_on("unit", "population"),
        f"l.unit = r.unit AND {words.replace('words_l', 'l.words').replace('words_r', 'r.words')}"
        " >= 0.25",
        "l.unit = r.unit AND len(list_intersect(l.concepts, r.concepts)) >= 1",
        block_on("unit", "year", "value"),
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[claim, clause_text, concepts, position, population],
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )


@dataclass
class SplinkRun:
    seconds: float
    candidate_pairs: int
    # (left, right, match probability) of every pair the blocking rules generated
    edges: list[tuple[int, int, float]] = field(default_factory=list)


def prior_rule() -> str:
    words = jaccard_sql("words").replace("words_l", "l.words").replace("words_r", "r.words")
    return (f"l.unit = r.unit AND l.population IS NOT DISTINCT FROM r.population AND "
            f"{words} >= 0.8")


def run_splink(rows: list[dict[str, Any]],
               labelled: list[dict[str, Any]] | None = None) -> SplinkRun:
    """Train and predict on rows. Unsupervised (EM) by default; with labelled rows (rows of
    another set carrying a gold_metric column), m comes from those labels instead."""
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    model: Any = settings()
    if labelled is not None:
        teacher = Linker(DuckDBAPI().register(labelled), settings(fix_position=False),
                         log_level=logging.ERROR)
        teacher.training.estimate_m_from_label_column("gold_metric")
        model = teacher.misc.save_model_to_json()
    linker = Linker(DuckDBAPI().register(rows), model, log_level=logging.ERROR)
    # The prior: pairs that agree on unit, population and nearly the whole claim are
    # taken as matches found with a recall of about one half.
    linker.training.estimate_probability_two_random_records_match([prior_rule()], recall=0.5)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    if labelled is None:
        # Two EM sessions, each blind to the columns it blocks on.
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("unit", "population"), fix_u_probabilities=True)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("unit", "doc"), fix_u_probabilities=True)
    predictions = linker.inference.predict(threshold_match_probability=0.0)
    edges = [(int(row["unique_id_l"]), int(row["unique_id_r"]),
              float(row["match_probability"]))
             for row in predictions.as_record_list()]
    return SplinkRun(time.perf_counter() - started, len(edges), edges)


# ---------------------------------------------------------------- clusters


def components(n: int, edges: list[tuple[int, int]]) -> dict[int, int]:
    """Connected components (what Splink's cluster_pairwise_predictions_at_threshold does)."""
    parent = list(range(n))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for left, right in edges:
        parent[root(left)] = root(right)
    return {node: root(node) for node in range(n)}


def splink_clusters(run: SplinkRun, rows: list[dict[str, Any]], threshold: float,
                    one_claim_per_document: bool,
                    hand_edges: list[tuple[int, int]] | None = None) -> dict[int, int]:
    """Clusters of the pairs at or above the threshold (plus hand_edges, when given). With
    one_claim_per_document, a pair inside one document is dropped when it gives one year
    two values (the issue's rule that two claims of one document never share a metric)."""
    kept = list(hand_edges or [])
    for left, right, probability in run.edges:
        if probability < threshold:
            continue
        a, b = rows[left], rows[right]
        if (one_claim_per_document and a["doc"] == b["doc"] and a["year"] == b["year"]
                and a["value"] != b["value"]):
            continue
        kept.append((left, right))
    return components(len(rows), kept)
