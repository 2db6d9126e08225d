"""The representatives an incremental run links new figures against (`warehouse/relink.py`):
existing figures that share a block with a new figure, picked in SQL. Fills
`_relink_new` (the figures to link) and `_relink_pick` (their counterparts):

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
               metric, wording and year; `translation` likewise by English words (a count
               of people that is a finding, not a sample, is picked so too)
  sample       counts describing a survey's sample: the oldest count of each metric, with
               the other counts of its document, and per sample metric and group one
               count of a new count's study and year (they decide its sample key: a
               survey's sub-samples stay apart)
A representative brings its whole sentence (a comparison group lives in one). Each pick
is bounded by what can link, not by the size of a study or of the warehouse: equal
values of two studies link by nothing but their words, so an equal value alone picks
nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from extract.concepts import predicates_of
from extract.records import COUNT_CHANGE
from warehouse import reconcile as rc
from warehouse.link_claims import COUNT_CHANGE_UNIT, Node
from warehouse.link_rules import SAME_CLAIM, count_kind, finding
from warehouse.linking import population_tail
from warehouse.store import insert_rows

TEMP_TABLES = ("_relink_obs", "_relink_new", "_relink_pick", "_relink_study",
               "_relink_new_words", "_relink_new_claims", "_relink_study_words",
               "_relink_new_claim_words", "_relink_word_predicates")


# The unit the linker compares, `link_claims.linker_unit` in SQL (a test holds them alike):
# the change of a count is no count.
LINKER_UNIT_SQL = (f"CASE WHEN o.unit = 'count' AND starts_with(regexp_replace("
                   f"split_part(o.rule, '+', 1), '^[^.]*[.]', ''), '{COUNT_CHANGE}')"
                   f" THEN '{COUNT_CHANGE_UNIT}' ELSE o.unit END")

_OBSERVATIONS = f"""
CREATE TEMP TABLE _relink_obs AS
SELECT o.obs_id, o.doc_id, o.seg_no, o.claim_start, coalesce(s.language, d.language) AS lang,
       o.value, {LINKER_UNIT_SQL} AS unit, o.population,
       string_split(coalesce(o.population, ''), '_')[-1] AS tail,
       o.year, o.group_key,
       coalesce(o.concepts, []::VARCHAR[]) AS concepts, r.started_at,  -- (sorted when found)
       mo.metric_id, NOT ({LINKER_UNIT_SQL} = 'count' AND o.population IS NOT NULL) AS linkable,
       -- (a count of people that is a finding links by its claim as any figure does)
       NOT ({LINKER_UNIT_SQL} = 'count' AND o.population IS NOT NULL) OR mo.metric_id NOT IN (
           SELECT metric_id FROM metrics WHERE label_source = 'sample') AS by_claim,
       c.study, c.gloss, coalesce(c.words, []::VARCHAR[]) AS words,
       coalesce(c.words_en, []::VARCHAR[]) AS words_en
FROM current_observations o JOIN documents d USING (doc_id)
LEFT JOIN claims c USING (obs_id)
LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no
LEFT JOIN runs r ON r.run_id = o.run_id
LEFT JOIN metric_observations mo USING (obs_id)
"""


# The oldest figure of each group a pick takes one of (an aggregate: a window per group would
# sort every group, and groups keyed by claim words are many).
_OLDEST = "arg_min(e.obs_id, (e.started_at IS NULL, e.started_at, e.obs_id)) AS obs_id"
_OLDEST_K = _OLDEST.replace("e.", "k.")


def _topic_pick(scope: str, match: str, partition: str) -> str:
    """Existing figures of a topic block (unit, kind of people, topics) a new figure is in,
    narrowed by `match` to its `scope`, one per metric, population and `partition`."""
    return f"""
SELECT {_OLDEST} FROM _relink_obs e
JOIN (SELECT DISTINCT unit, tail, concepts{scope} FROM _relink_new
      WHERE linkable AND population IS NOT NULL AND len(concepts) > 0) n
  ON e.unit = n.unit AND e.tail = n.tail AND e.concepts = n.concepts{match}
WHERE e.metric_id IS NOT NULL AND e.linkable AND e.population IS NOT NULL
GROUP BY e.metric_id, e.population, {partition}"""


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
    "fingerprint": f"""
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
SELECT {_OLDEST_K} FROM keyed k JOIN new_keys n USING (unit, tail, concept, point_year, point)
WHERE k.metric_id IS NOT NULL
GROUP BY k.unit, k.tail, k.concept, k.point_year, k.point, k.metric_id, k.population""",
    "study": """
SELECT e.obs_id FROM _relink_obs e
JOIN (SELECT DISTINCT d.doc_id, n.unit, n.year, n.value FROM _relink_new n
      JOIN documents d USING (doc_id) WHERE n.linkable OR n.unit = 'count') n
  ON e.unit = n.unit AND e.year IS NOT DISTINCT FROM n.year AND e.value = n.value
JOIN _relink_study s ON s.doc_id = n.doc_id AND s.study = e.study
WHERE e.metric_id IS NOT NULL AND e.by_claim""",
    "study wording": f"""
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
SELECT {_OLDEST} FROM _relink_obs e
WHERE e.obs_id IN (SELECT obs_id FROM shorter UNION SELECT obs_id FROM translated)
GROUP BY e.metric_id, e.lang, e.words, e.concepts, e.year""",
    "claim": f"""
WITH worded AS (  -- the figures first (by row: most share a word), then one per metric and
    SELECT DISTINCT e.row FROM (  -- wording among them
        SELECT rowid AS row, lang, unit, tail, unnest(words) AS word FROM _relink_obs
        WHERE metric_id IS NOT NULL AND by_claim) e
    JOIN _relink_new_words n ON e.lang IS NOT DISTINCT FROM n.lang AND e.unit = n.unit
                            AND e.tail = n.tail AND e.word = n.word AND NOT n.english)
SELECT {_OLDEST} FROM _relink_obs e WHERE e.rowid IN (SELECT row FROM worded)
GROUP BY e.metric_id, e.words, e.concepts, e.year""",
    "translation": f"""
WITH translated AS (
    SELECT DISTINCT e.row FROM (
        SELECT rowid AS row, unit, tail, unnest(words_en) AS word FROM _relink_obs
        WHERE metric_id IS NOT NULL AND by_claim) e
    JOIN _relink_new_words n ON e.unit = n.unit AND e.tail = n.tail AND e.word = n.word
                            AND n.english)
SELECT {_OLDEST} FROM _relink_obs e WHERE e.rowid IN (SELECT row FROM translated)
GROUP BY e.metric_id, e.words_en, e.concepts, e.year, e.lang""",
    "sample": f"""
SELECT {_OLDEST} FROM _relink_obs e
WHERE e.metric_id IS NOT NULL AND NOT e.linkable
  AND e.metric_id IN (SELECT metric_id FROM metrics WHERE label_source = 'sample')
  AND EXISTS (SELECT 1 FROM _relink_new WHERE NOT linkable)
GROUP BY e.metric_id""",
    "sample study": f"""
SELECT {_OLDEST} FROM _relink_obs e
JOIN (SELECT DISTINCT s.study, n.year FROM _relink_study s
      JOIN _relink_new n USING (doc_id) WHERE NOT n.linkable) n
  ON e.study = n.study AND e.year IS NOT DISTINCT FROM n.year
WHERE e.metric_id IS NOT NULL AND NOT e.linkable
  AND e.metric_id IN (SELECT metric_id FROM metrics WHERE label_source = 'sample')
GROUP BY e.metric_id, e.population""",
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


# The figures the picked ones refer back to in an earlier sentence ("Among parents the share
# was 21%" after "18% paid for online news"): an anaphor claims what its referent claims
# (`link_claims.kept_apart`), so the referent is read with it, as a rebuild reads it.
_ANTECEDENTS = """
INSERT INTO _relink_pick
SELECT DISTINCT c.antecedent FROM claims c JOIN _relink_pick p USING (obs_id)
WHERE c.antecedent IS NOT NULL AND c.antecedent NOT IN (SELECT obs_id FROM _relink_pick)
  AND c.antecedent IN (SELECT obs_id FROM _relink_obs WHERE metric_id IS NOT NULL)
"""


def pick(con: duckdb.DuckDBPyConnection) -> list[Node]:
    """Fill _relink_new (the observations to link) and _relink_pick (their counterparts)
    from `_relink_obs` (`read_observations`, read before); returns the new observations,
    read with their claims."""
    con.execute("CREATE TEMP TABLE _relink_new AS SELECT * FROM _relink_obs"
                " WHERE metric_id IS NULL")
    new = _new_claims(con)
    _study_words(con)
    union = "\nUNION\n".join(f"({query})" for query in _PICKS.values())
    con.execute(f"CREATE TEMP TABLE _relink_pick AS {union}")
    con.execute(_COMPLETE)
    con.execute(_ANTECEDENTS)
    return new


def read_observations(con: duckdb.DuckDBPyConnection) -> str:
    """Fill `_relink_obs`: every current figure with what the picks block on and its
    stored metric (read once per run: `relink.why_rebuild` and `relink.stored_figures`
    read it too); returns the table's name."""
    with _joins_as_written(con):
        con.execute(_OBSERVATIONS)
    return "_relink_obs"


@contextmanager
def _joins_as_written(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Each join's hash table built on the table joined in, as the query is written.
    DuckDB guesses a tenth of the current figures (the finished-run filter of
    `current_observations`), so it would build its tables on the wide figures and probe
    them with the narrow tables: at 10,000 documents that took twice as long."""
    row = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()
    before = row[0] if row else ""
    con.execute("SET disabled_optimizers = ?",
                [",".join(filter(None, (before, "build_side_probe_side")))])
    try:
        yield
    finally:
        con.execute("SET disabled_optimizers = ?", [before])


def _new_claims(con: duckdb.DuckDBPyConnection) -> list[Node]:
    """The studies and claim words of the new figures (read by the picks), from the
    linker's own reading of them (their documents are new, so read whole)."""
    new = rc.load_nodes(con, "o.obs_id IN (SELECT obs_id FROM _relink_new)")
    con.execute("CREATE TEMP TABLE _relink_study (doc_id VARCHAR, study VARCHAR)")
    con.execute("CREATE TEMP TABLE _relink_new_words (lang VARCHAR, unit VARCHAR,"
                " tail VARCHAR, word VARCHAR, english BOOLEAN)")
    insert_rows(con, "_relink_study", [{"doc_id": doc, "study": study} for doc, study
                                       in sorted({(n.doc_id, n.study) for n in new})])
    linkable = [n for n in new if not count_kind(n) or finding(n)]  # (as `linking` has it)
    frequency = _word_frequency(con, {word for n in linkable for word in n.words | n.words_en})
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
WHERE metric_id IS NOT NULL AND by_claim
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


def _word_frequency(con: duckdb.DuckDBPyConnection, words: set[str]) -> dict[str, int]:
    """How many stored claims use each of `words` (in any language, in English)."""
    return dict(con.execute(
        "SELECT word, count(*) FROM (SELECT unnest(list_concat(coalesce(words, []),"
        " coalesce(words_en, []))) AS word FROM claims)"
        " WHERE word IN (SELECT unnest(?)) GROUP BY word", [sorted(words)]).fetchall())


def _prefix(words: frozenset[str], frequency: dict[str, int]) -> list[str]:
    """The rarest words a claim shares with every claim similar to it: claims with a
    Jaccard similarity of at least t share at least ceil(t * n) of its n words, so they
    share one of any n - ceil(t * n) + 1 of them (prefix filtering)."""
    rarest = sorted(words, key=lambda word: (frequency.get(word, 0), word))
    return rarest[:len(rarest) - math.ceil(SAME_CLAIM * len(rarest)) + 1]
