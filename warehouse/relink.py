"""Incremental reconciliation: link a run's new observations into the existing metrics.

A rebuild (`reconcile.rebuild`) costs time in proportion to every figure in the
warehouse (~70 µs each: 17 s at 10,000 documents), however few are new. A run that
only adds documents needs far less. Each new figure is scored, by the same rules as in
a rebuild, against the other new figures and against *representatives* of the existing
metrics that share a block with it. SQL picks the representatives:

  topic        same unit, kind of people and topics: per metric the oldest figure of each
               population, year and language; in a new figure's year also one per value
               within a point of it, and one per claim (its words) in its language
  fingerprint  comparison groups sharing a (year, value) point and a topic with a new
               group: one group per metric and population for each shared point
  study        a new figure's study, unit, year and value (a restatement): every figure
  study        a new figure's study and unit, where a figure could link by the rules of
  wording      one study: in its language two claim words and the kind of people in
               common (a shorter wording), in another language the same predicate ids;
               one figure per metric, language, wording, year
  claim        same language, unit and kind of people, sharing one of the new claim's
               rarest words (every claim similar enough shares one): one figure per
               metric, wording and year; `translation` likewise by English words
  sample       counts describing a survey's sample: the oldest count of each metric, with
               the other counts of its document, and per sample metric and group one
               count of a new count's study and year (they decide its sample key: a
               survey's sub-samples stay apart)
A representative brings its whole sentence (a comparison group lives in one). Each pick
is bounded by what can link, not by the size of a study or of the warehouse: equal
values of two studies link by nothing but their words, so an equal value alone picks
nothing.

Links between two existing figures are not applied again: the existing metrics stand,
new figures join them strongest link first under the same refusals (two measures of one
sentence never merge), and a new figure that links two existing metrics merges them
into the one with the older anchor, whose id survives. Labels are recomputed for every
metric that changed, and for metrics whose figures gained a translation in this run.

A rebuild is made instead when the metrics cannot simply be extended: there are none
yet, another linker made them, figures were removed or superseded since, or a new
figure sits in a document that already has linked figures. `POLYSTAT_RELINK=full`
rebuilds on every run.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from extract.concepts import predicates_of
from warehouse import curation
from warehouse import reconcile as rc
from warehouse.labels import metric_id_for
from warehouse.link_claims import Node
from warehouse.link_curation import curate
from warehouse.link_rules import LINKER_VERSION, MIN_WORDS, SAME_CLAIM
from warehouse.linking import Figures, Growing, link, population_tail
from warehouse.store import insert_rows

_TEMP_TABLES = ("_relink_obs", "_relink_new", "_relink_pick", "_relink_touched",
                "_relink_label", "_relink_study", "_relink_new_words",
                "_relink_new_claims", "_relink_study_words", "_relink_new_claim_words",
                "_relink_word_predicates")


def reconcile(con: duckdb.DuckDBPyConnection, run_id: str, *, full: bool = False
              ) -> dict[str, Any]:
    """Extend the metrics with the observations not yet linked, or rebuild them when that
    is not possible (or `full`). The counts say which was done and why. Either way an
    analyst's decisions hold (warehouse/curation.py)."""
    reason = "asked for a full rebuild" if full else why_rebuild(con)
    decided = curation.decided(con)
    try:
        if reason is None:
            return _extend(con, run_id, decided)
    except CannotExtend as exc:  # raised before anything is written
        reason = str(exc)
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    counts: dict[str, Any] = rc.rebuild(con, run_id, decided.constraints)
    counts["rebuilt_because"] = reason
    return counts


class CannotExtend(Exception):
    """The stored metrics contradict what extending them assumes; rebuild instead."""


@dataclass(frozen=True)
class LinkState:
    """How the stored metrics stand against the current observations."""

    metrics: int
    unlinked: int  # current figures in no metric
    other_linker: int  # metrics another linker version made
    gone: int  # links to figures no longer current (removed or superseded)
    orphans: int  # links without their metric, metrics without links
    mixed: int  # unlinked figures in documents that have linked ones

    @property
    def pending(self) -> bool:
        """Whether reconciling would change the metrics."""
        return bool(self.unlinked or self.other_linker or self.gone or self.orphans)


def link_state(con: duckdb.DuckDBPyConnection) -> LinkState:
    row = con.execute(
        "SELECT (SELECT count(*) FROM metrics),"
        " (SELECT count(*) FROM current_observations"
        "  WHERE obs_id NOT IN (SELECT obs_id FROM metric_observations)),"
        " (SELECT count(*) FROM metrics WHERE linker_version <> ?),"
        " (SELECT count(*) FROM metric_observations"
        "  WHERE obs_id NOT IN (SELECT obs_id FROM current_observations)),"
        " (SELECT count(*) FROM metric_observations"
        "  WHERE metric_id NOT IN (SELECT metric_id FROM metrics))"
        " + (SELECT count(*) FROM metrics"
        "    WHERE metric_id NOT IN (SELECT metric_id FROM metric_observations)),"
        " (SELECT count(*) FROM current_observations"
        "  WHERE obs_id NOT IN (SELECT obs_id FROM metric_observations)"
        "    AND doc_id IN (SELECT doc_id FROM current_observations"
        "                   JOIN metric_observations USING (obs_id)))",
        [LINKER_VERSION]).fetchone()
    return LinkState(*(int(n) for n in (row or (0,) * 6)))


def why_rebuild(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why the metrics must be rebuilt rather than extended (None: they can be extended)."""
    state = link_state(con)
    if not state.metrics:
        return "no metrics yet"
    if state.other_linker:
        return f"{state.other_linker} metrics were made by another linker"
    if state.gone:
        return f"{state.gone} linked figures were removed or superseded"
    if state.orphans:
        return f"{state.orphans} links or metrics lost their counterpart"
    if state.mixed:
        return f"{state.mixed} new figures are in documents that already have linked figures"
    return None


# --------------------------------------------------------------------------- picking


_OBSERVATIONS = """
CREATE TEMP TABLE _relink_obs AS
SELECT o.obs_id, o.doc_id, o.claim_start, coalesce(s.language, d.language) AS lang, o.value, o.unit,
       o.population, string_split(coalesce(o.population, ''), '_')[-1] AS tail, o.year,
       o.group_key, list_sort(list_distinct(coalesce(o.concepts, []::VARCHAR[]))) AS concepts,
       r.started_at,
       mo.metric_id, NOT (o.unit = 'count' AND o.population IS NOT NULL) AS linkable,
       c.study, coalesce(c.words, []::VARCHAR[]) AS words,
       coalesce(c.words_en, []::VARCHAR[]) AS words_en
FROM current_observations o JOIN documents d USING (doc_id)
LEFT JOIN claims c USING (obs_id)
LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no
LEFT JOIN runs r ON r.run_id = o.run_id
LEFT JOIN metric_observations mo USING (obs_id)
"""


def _topic_pick(scope: str, match: str, partition: str) -> str:
    """Existing figures of a topic block (unit, kind of people, topics) a new figure is in,
    narrowed by `match` to its `scope`, one per metric, population and `partition`."""
    return f"""
SELECT e.obs_id FROM _relink_obs e
JOIN (SELECT DISTINCT unit, tail, concepts{scope} FROM _relink_new
      WHERE linkable AND population IS NOT NULL AND len(concepts) > 0) n
  ON e.unit = n.unit AND e.tail = n.tail AND e.concepts = n.concepts{match}
WHERE e.metric_id IS NOT NULL AND e.linkable AND e.population IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY e.metric_id, e.population, {partition}
                           ORDER BY e.started_at, e.obs_id) = 1"""


_SAME_YEAR = " AND e.year IS NOT DISTINCT FROM n.year"

# Each query names existing observations (metric_id IS NOT NULL) that stand in for their
# metric in a block a new observation belongs to; see the module docstring.
_PICKS = {
    "topic": _topic_pick("", "", "e.year, e.lang"),
    "topic value": _topic_pick(", year, value", _SAME_YEAR + " AND abs(e.value - n.value) <= 1",
                               "e.year, e.value"),
    "topic wording": _topic_pick(", year, lang",
                                 _SAME_YEAR + " AND e.lang IS NOT DISTINCT FROM n.lang",
                                 "e.year, e.lang, e.words"),
    "fingerprint": """
WITH points AS (
    SELECT DISTINCT group_key, year, round(value, 2) AS point FROM _relink_obs
    WHERE group_key IS NOT NULL AND year IS NOT NULL),
keyed AS (
    SELECT g.*, p.year AS point_year, p.point FROM
        (SELECT obs_id, metric_id, population, group_key, unit, tail, started_at,
                unnest(concepts) AS concept
         FROM _relink_obs WHERE group_key IS NOT NULL AND linkable) g
    JOIN points p USING (group_key)),
new_keys AS (
    SELECT DISTINCT unit, tail, concept, point_year, point FROM keyed WHERE metric_id IS NULL)
SELECT k.obs_id FROM keyed k JOIN new_keys n USING (unit, tail, concept, point_year, point)
WHERE k.metric_id IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY k.unit, k.tail, k.concept, k.point_year, k.point,
                                        k.metric_id, k.population
                           ORDER BY k.started_at, k.obs_id) = 1""",
    "study": """
SELECT e.obs_id FROM _relink_obs e
JOIN (SELECT DISTINCT d.doc_id, n.unit, n.year, n.value FROM _relink_new n
      JOIN documents d USING (doc_id) WHERE n.linkable) n
  ON e.unit = n.unit AND e.year IS NOT DISTINCT FROM n.year AND e.value = n.value
JOIN _relink_study s ON s.doc_id = n.doc_id AND s.study = e.study
WHERE e.metric_id IS NOT NULL AND e.linkable""",
    "study wording": """
WITH shorter AS (  -- its language, two claim words and the kind of people in common
    SELECT DISTINCT obs_id FROM (
        SELECT e.obs_id FROM _relink_study_words e JOIN _relink_new_claim_words n
          ON e.study = n.study AND e.lang IS NOT DISTINCT FROM n.lang AND e.unit = n.unit
         AND e.tail = n.tail AND e.word = n.word
        GROUP BY e.obs_id, n.obs_id HAVING count(*) >= 2)),
predicates AS (  -- each figure's predicate ids, from those of its words
    SELECT e.obs_id, any_value(e.study) AS study, any_value(e.lang) AS lang,
           any_value(e.unit) AS unit, list_sort(list_distinct(list(p.predicate))) AS ids
    FROM _relink_study_words e JOIN _relink_word_predicates p USING (lang, word)
    GROUP BY e.obs_id),
translated AS (  -- another language, the same predicate ids (at least two)
    SELECT DISTINCT e.obs_id FROM predicates e JOIN _relink_new_claims n
      ON e.study = n.study AND e.unit = n.unit AND e.ids = n.predicates
     AND e.lang IS DISTINCT FROM n.lang AND len(n.predicates) >= 2)
SELECT e.obs_id FROM _relink_obs e
WHERE e.obs_id IN (SELECT obs_id FROM shorter UNION SELECT obs_id FROM translated)
QUALIFY row_number() OVER (PARTITION BY e.metric_id, e.lang, e.words, e.concepts, e.year
                           ORDER BY e.started_at, e.obs_id) = 1""",
    "claim": """
WITH worded AS (  -- the figures first, then one per metric and wording among them
    SELECT DISTINCT e.obs_id FROM (SELECT obs_id, lang, unit, tail, unnest(words) AS word
                                   FROM _relink_obs WHERE metric_id IS NOT NULL AND linkable) e
    JOIN _relink_new_words n ON e.lang IS NOT DISTINCT FROM n.lang AND e.unit = n.unit
                            AND e.tail = n.tail AND e.word = n.word AND NOT n.english)
SELECT e.obs_id FROM _relink_obs e JOIN worded USING (obs_id)
QUALIFY row_number() OVER (PARTITION BY e.metric_id, e.words, e.concepts, e.year
                           ORDER BY e.started_at, e.obs_id) = 1""",
    "translation": """
WITH translated AS (
    SELECT DISTINCT e.obs_id FROM (SELECT obs_id, unit, tail, unnest(words_en) AS word
                                   FROM _relink_obs WHERE metric_id IS NOT NULL AND linkable) e
    JOIN _relink_new_words n ON e.unit = n.unit AND e.tail = n.tail AND e.word = n.word
                            AND n.english)
SELECT e.obs_id FROM _relink_obs e JOIN translated USING (obs_id)
QUALIFY row_number() OVER (PARTITION BY e.metric_id, e.words_en, e.concepts, e.year, e.lang
                           ORDER BY e.started_at, e.obs_id) = 1""",
    "sample": """
SELECT e.obs_id FROM _relink_obs e
WHERE e.metric_id IS NOT NULL AND NOT e.linkable
  AND e.metric_id IN (SELECT metric_id FROM metrics WHERE label_source = 'sample')
  AND EXISTS (SELECT 1 FROM _relink_new WHERE NOT linkable)
QUALIFY row_number() OVER (PARTITION BY e.metric_id ORDER BY e.started_at, e.obs_id) = 1""",
    "sample study": """
SELECT e.obs_id FROM _relink_obs e
JOIN (SELECT DISTINCT s.study, n.year FROM _relink_study s
      JOIN _relink_new n USING (doc_id) WHERE NOT n.linkable) n
  ON e.study = n.study AND e.year IS NOT DISTINCT FROM n.year
WHERE e.metric_id IS NOT NULL AND NOT e.linkable
  AND e.metric_id IN (SELECT metric_id FROM metrics WHERE label_source = 'sample')
QUALIFY row_number() OVER (PARTITION BY e.metric_id, e.population
                           ORDER BY e.started_at, e.obs_id) = 1""",
}

# The whole sentences of the picked figures (a sentence's measures are ranked among
# themselves, and a comparison group lives in one sentence), and the other sample counts
# of their documents (a document describing several sub-samples keys them by group).
_COMPLETE = """
INSERT INTO _relink_pick
SELECT e.obs_id FROM _relink_obs e
WHERE e.metric_id IS NOT NULL AND e.obs_id NOT IN (SELECT obs_id FROM _relink_pick) AND (
    (e.doc_id, e.claim_start) IN (SELECT (o.doc_id, o.claim_start) FROM _relink_obs o
                                  JOIN _relink_pick USING (obs_id))
    OR (NOT e.linkable AND e.doc_id IN (SELECT o.doc_id FROM _relink_obs o
                                        JOIN _relink_pick USING (obs_id) WHERE NOT o.linkable)))
"""


def _pick(con: duckdb.DuckDBPyConnection) -> list[Node]:
    """Fill _relink_new (the observations to link) and _relink_pick (their counterparts);
    returns the new observations, read with their claims."""
    con.execute(_OBSERVATIONS)
    con.execute("CREATE TEMP TABLE _relink_new AS SELECT * FROM _relink_obs"
                " WHERE metric_id IS NULL")
    new = _new_claims(con)
    _study_words(con)
    union = "\nUNION\n".join(f"({query})" for query in _PICKS.values())
    con.execute(f"CREATE TEMP TABLE _relink_pick AS {union}")
    con.execute(_COMPLETE)
    return new


def _new_claims(con: duckdb.DuckDBPyConnection) -> list[Node]:
    """The studies and claim words of the new figures (read by the picks), from the
    linker's own reading of them (their documents are new, so read whole)."""
    new = rc.load_nodes(con, "o.obs_id IN (SELECT obs_id FROM _relink_new)")
    con.execute("CREATE TEMP TABLE _relink_study (doc_id VARCHAR, study VARCHAR)")
    con.execute("CREATE TEMP TABLE _relink_new_words (lang VARCHAR, unit VARCHAR,"
                " tail VARCHAR, word VARCHAR, english BOOLEAN)")
    insert_rows(con, "_relink_study", [{"doc_id": doc, "study": study} for doc, study
                                       in sorted({(n.doc_id, n.study) for n in new})])
    linkable = [n for n in new if not (n.unit == "count" and n.population)]
    frequency = _word_frequency(con)
    insert_rows(con, "_relink_new_words", [
        {"lang": lang, "unit": unit, "tail": tail, "word": word, "english": english}
        for lang, unit, tail, word, english in sorted(
            {(n.lang, n.unit, population_tail(n.population), word, False)
             for n in linkable for word in _prefix(n.words, frequency)}
            | {(None, n.unit, population_tail(n.population), word, True)
               for n in linkable for word in _prefix(n.words_en, frequency)},
            key=repr)])
    con.execute("CREATE TEMP TABLE _relink_new_claims (obs_id VARCHAR, study VARCHAR,"
                " lang VARCHAR, unit VARCHAR, tail VARCHAR, words VARCHAR[],"
                " predicates VARCHAR[])")
    insert_rows(con, "_relink_new_claims", [
        {"obs_id": n.obs_id, "study": n.study, "lang": n.lang, "unit": n.unit,
         "tail": population_tail(n.population), "words": sorted(n.words),
         "predicates": sorted(n.predicates)} for n in linkable if n.study])
    for node in new:
        node.stored = True  # its claim is known now: the linking read does not build it again
    return new


_STUDY_WORDS = """
CREATE TEMP TABLE _relink_study_words AS
SELECT obs_id, study, lang, unit, tail, unnest(words) AS word FROM _relink_obs
WHERE metric_id IS NOT NULL AND linkable
  AND (study, unit) IN (SELECT (study, unit) FROM _relink_new_claims);
CREATE TEMP TABLE _relink_new_claim_words AS
SELECT obs_id, study, lang, unit, tail, unnest(words) AS word FROM _relink_new_claims;
"""


def _study_words(con: duckdb.DuckDBPyConnection) -> None:
    """The claim words of the stored figures of the new figures' studies and units, and
    the predicate ids of those words (`_relink_word_predicates`): the study picks join on
    them instead of taking a whole study."""
    con.execute(_STUDY_WORDS)
    con.execute("CREATE TEMP TABLE _relink_word_predicates (lang VARCHAR, word VARCHAR,"
                " predicate VARCHAR)")
    words = con.execute("SELECT DISTINCT lang, word FROM _relink_study_words"
                        " WHERE lang IS NOT NULL ORDER BY ALL").fetchall()
    insert_rows(con, "_relink_word_predicates", [
        {"lang": lang, "word": word, "predicate": predicate} for lang, word in words
        for predicate in sorted(predicates_of(frozenset({word}), lang))])


def _word_frequency(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many stored claims use each word (in any language, in English)."""
    return dict(con.execute(
        "SELECT word, count(*) FROM (SELECT unnest(list_concat(coalesce(words, []),"
        " coalesce(words_en, []))) AS word FROM claims) GROUP BY word").fetchall())


def _prefix(words: frozenset[str], frequency: dict[str, int]) -> list[str]:
    """The rarest words a claim shares with every claim similar to it: claims with a
    Jaccard similarity of at least t share at least ceil(t * n) of its n words, so they
    share one of any n - ceil(t * n) + 1 of them (prefix filtering)."""
    rarest = sorted(words, key=lambda word: (frequency.get(word, 0), word))
    return rarest[:len(rarest) - math.ceil(SAME_CLAIM * len(rarest)) + 1]


def _existing(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, float]]:
    """obs_id -> (metric_id, method, score) of every picked representative."""
    rows = con.execute("SELECT obs_id, metric_id, method, score FROM metric_observations"
                       " WHERE obs_id IN (SELECT obs_id FROM _relink_pick)").fetchall()
    return {obs_id: (metric_id, method, score) for obs_id, metric_id, method, score in rows}


# --------------------------------------------------------------------------- linking


_SHARED_SENTENCE = """
SELECT o.doc_id, o.claim_start FROM metric_observations mo JOIN observations o USING (obs_id)
WHERE mo.metric_id IN (?, ?) GROUP BY ALL HAVING count(DISTINCT mo.metric_id) = 2 LIMIT 1
"""
_SHARED_FIGURES = """
WITH figures AS MATERIALIZED (
    SELECT mo.metric_id, o.doc_id, o.claim_start, o.year, round(o.value, 2) AS value,
           c.gloss, len(c.words) >= ? AS worded
    FROM metric_observations mo JOIN observations o USING (obs_id)
    LEFT JOIN claims c USING (obs_id) WHERE mo.metric_id IN (?, ?))
SELECT * FROM figures WHERE doc_id IN (SELECT doc_id FROM figures GROUP BY doc_id
                                       HAVING count(DISTINCT metric_id) = 2)
"""


def stored_figures(con: duckdb.DuckDBPyConnection) -> Callable[[str, str], tuple[Figures, Figures]]:
    """Two stored metrics' figures in the documents both have figures in (sentences; the
    points of those that are not glosses, see `linking.point_of`): only there can they be
    two claims of one document, so a large metric is never read whole. (Stored links are
    to current figures only: `why_rebuild` sees to it.)"""
    @cache
    def shared_figures(one: str, two: str) -> tuple[Figures, Figures]:
        sentence = con.execute(_SHARED_SENTENCE, [one, two]).fetchone()
        if sentence is not None:  # two measures of one sentence: apart, whatever else
            doc, start = sentence
            return {doc: ({start}, set())}, {doc: ({start}, set())}
        found: dict[str, Figures] = {one: {}, two: {}}
        for metric, doc, sentence, year, value, gloss, worded in con.execute(
                _SHARED_FIGURES, [MIN_WORDS, one, two]).fetchall():
            sentences, points = found[metric].setdefault(doc, (set(), set()))
            sentences.add(sentence)
            if not gloss:
                points.add((year, value, bool(worded)))
        return found[one], found[two]
    return shared_figures


# --------------------------------------------------------------------------- writing


_LABEL_MEMBERS = f"""
CREATE TEMP TABLE _relink_label AS
WITH member AS (
    SELECT mo.metric_id, o.obs_id, o.unit, o.population,
           struct_pack(started := r.started_at, obs := o.obs_id) AS age,
           t.text_sha256 IS NOT NULL AS translated,
           coalesce(coalesce(s.language, d.language) = 'en' AND len(c.words) > 0, false)
               AS english,
           coalesce(len(c.words) > 1, false) AS worded
    FROM metric_observations mo
    JOIN _relink_touched USING (metric_id)
    JOIN current_observations o USING (obs_id)
    JOIN documents d USING (doc_id)
    JOIN claims c USING (obs_id)
    LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no
    LEFT JOIN runs r ON r.run_id = o.run_id
    LEFT JOIN ({rc.TRANSLATED}) t
           ON t.text_sha256 = s.text_sha256 AND t.src = s.language),
oldest AS (  -- (one pass per metric, not a sort per kind of member)
    SELECT unnest([arg_min(obs_id, age), arg_min(obs_id, age) FILTER (WHERE translated),
                   arg_min(obs_id, age) FILTER (WHERE english),
                   arg_min(obs_id, age) FILTER (WHERE worded)]) AS obs_id
    FROM member GROUP BY metric_id),
oldest_per_group AS (
    SELECT arg_min(obs_id, age) AS obs_id, arg_min(unit, age) AS unit
    FROM member GROUP BY metric_id, population)
SELECT obs_id FROM oldest WHERE obs_id IS NOT NULL
UNION
SELECT obs_id FROM oldest_per_group WHERE unit = 'count'
"""


def _label_members(con: duckdb.DuckDBPyConnection, metrics: set[str]
                   ) -> dict[str, list[Node]]:
    """Per metric, the members its label and id depend on (see `labels.label_for`): the
    oldest, the oldest translated, the oldest English and the oldest with words, and for
    counts one per group. Their whole sentences are read (a figure's claim depends on
    its neighbours)."""
    con.execute("CREATE TEMP TABLE _relink_touched (metric_id VARCHAR)")
    insert_rows(con, "_relink_touched", [{"metric_id": m} for m in sorted(metrics)])
    con.execute(_LABEL_MEMBERS)
    metric_of = dict(con.execute(
        "SELECT obs_id, metric_id FROM metric_observations"
        " WHERE obs_id IN (SELECT obs_id FROM _relink_label)").fetchall())
    members: dict[str, list[Node]] = defaultdict(list)
    for node in rc.load_nodes(con, "(o.doc_id, o.claim_start) IN (SELECT (doc_id, claim_start)"
                                   " FROM observations JOIN _relink_label USING (obs_id))",
                              stored=True):
        if node.obs_id in metric_of:
            members[metric_of[node.obs_id]].append(node)
    return members


def _translated_in_run(con: duckdb.DuckDBPyConnection, run_id: str) -> set[str]:
    """Metrics with a figure whose sentence was first translated by this run."""
    rows = con.execute(
        "SELECT DISTINCT mo.metric_id FROM current_observations o"
        " JOIN metric_observations mo USING (obs_id)"
        " JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no"
        " JOIN translations t ON t.text_sha256 = s.text_sha256 AND t.src = s.language"
        " WHERE t.run_id = ? AND t.tgt = 'en' AND t.status = 'translated'", [run_id]).fetchall()
    return {row[0] for row in rows}


def _extend(con: duckdb.DuckDBPyConnection, run_id: str, decided: curation.Decided
            ) -> dict[str, Any]:
    rc.recall_lemmas(con)
    new_nodes = _pick(con)
    existing = _existing(con)
    nodes = rc.load_nodes(con, "o.obs_id IN (SELECT obs_id FROM _relink_pick)", stored=True)
    nodes = sorted(nodes + new_nodes, key=lambda n: (n.order[0], n.doc_id, n.start))
    new = {n.obs_id for n in new_nodes}
    clusters = Growing(nodes, {obs: found[0] for obs, found in existing.items()},
                       stored_figures(con))
    if decided:
        curate(clusters, decided.constraints, decided.metric_blocks)
    grouped, best = link(nodes, clusters,
                            keep=lambda a, b: a.obs_id in new or b.obs_id in new,
                            prefer=lambda node: node.obs_id in new)

    changed: list[tuple[set[str], list[Node]]] = []  # (existing metrics, new members)
    for root, members in grouped.items():
        olds = clusters.metrics.get(root, set())
        news = [n for n in members if n.obs_id in new]
        if news or len(olds) > 1:
            changed.append((olds, news))
    touched = {m for olds, _ in changed for m in olds} | _translated_in_run(con, run_id)
    labels = _label_members(con, touched) if touched else {}
    for metric in touched - {m for olds, _ in changed for m in olds}:
        changed.append(({metric}, []))

    named = []  # (id, members oldest first, existing metrics, new members)
    for olds, news in changed:
        members = sorted([n for m in olds for n in labels.get(m, [])] + news,
                         key=lambda n: n.order)
        metric_id = metric_id_for(members)
        if olds and metric_id not in olds:
            raise CannotExtend(f"metric {metric_id} is not named after its oldest figure")
        named.append((metric_id, members, olds, news))
    merged = _members_of(con, {old for metric_id, _, olds, _ in named
                               for old in olds - {metric_id}})
    metrics, rows, gone = [], [], set()
    for metric_id, members, olds, news in named:
        metrics.append(rc.metric_row(metric_id, members, run_id))
        gone |= olds
        for node in news:
            method, score = best.get(node.obs_id, ("single", 1.0))
            rows.append(rc.link_row(metric_id, node.obs_id, method, score, run_id))
        for old in olds - {metric_id}:  # merged into the metric with the older anchor
            rows += [rc.link_row(metric_id, obs, method, score, run_id)
                     for obs, method, score in merged[old]]
    rows = _with_better_links(rows, existing, best, run_id)
    moved = [row["obs_id"] for row in rows if row["obs_id"] not in new]
    con.execute("DELETE FROM metric_observations WHERE obs_id IN (SELECT unnest(?))", [moved])
    con.execute("DELETE FROM metrics WHERE metric_id IN (SELECT unnest(?))", [sorted(gone)])
    insert_rows(con, "metrics", metrics)
    insert_rows(con, "metric_observations", rows)
    con.execute("DELETE FROM claims WHERE obs_id IN (SELECT unnest(?))", [sorted(new)])
    insert_rows(con, "claims", [rc.claim_row(n, run_id) for n in nodes if n.obs_id in new])
    rc.store_lemmas(con)
    rc.apply_analyst_labels(con)
    counts = con.execute("SELECT (SELECT count(*) FROM metrics),"
                         " (SELECT count(*) FROM metric_observations)").fetchone() or (0, 0)
    return {"metrics": int(counts[0]), "links": int(counts[1]), "linked_new": len(new),
            "incremental": 1}


def _members_of(con: duckdb.DuckDBPyConnection, metrics: set[str]
                ) -> dict[str, list[tuple[str, str, float]]]:
    """(obs_id, method, score) of every link of `metrics`, in one query."""
    found: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for metric_id, obs_id, method, score in con.execute(
            "SELECT metric_id, obs_id, method, score FROM metric_observations"
            " WHERE metric_id IN (SELECT unnest(?))", [sorted(metrics)]).fetchall():
        found[metric_id].append((obs_id, method, score))
    return found


def _with_better_links(rows: list[dict[str, Any]], existing: dict[str, tuple[str, str, float]],
                       best: dict[str, tuple[str, float]], run_id: str
                       ) -> list[dict[str, Any]]:
    """`rows` plus the existing figures whose best link is now stronger (a figure that stood
    alone, or that a new figure links more strongly than before)."""
    by_obs = {row["obs_id"]: row for row in rows}
    for obs, (metric_id, method, score) in existing.items():
        found = best.get(obs)
        if found is None or not (method == "single" or found[1] > score):
            continue
        row = by_obs.get(obs)
        if row is None:
            row = by_obs[obs] = rc.link_row(metric_id, obs, *found, run_id)
        else:
            row["method"], row["score"] = found
    return list(by_obs.values())

