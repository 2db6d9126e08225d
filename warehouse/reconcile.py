"""Reconciliation in the warehouse: load the current observations as linker `Node`s,
link them (`warehouse/linking.py`, which needs no database) and store metrics,
metric_observations and claims. `rebuild` starts from nothing; a run that only adds
documents extends the existing metrics instead (`warehouse/relink.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import duckdb

from extract import claims as claim_builder
from extract.citations import bare_name
from extract.records import is_sample_rule
from warehouse.labels import label_for, metric_id_for
from warehouse.link_claims import (
    Node,
    Place,
    Shared,
    attach_claims,
    cited_study_names,
    linker_unit,
    places,
    stored_unit,
    study_of,
)
from warehouse.link_curation import Constraints, curate
from warehouse.link_rules import LINKER_VERSION
from warehouse.linking import Clusters, link
from warehouse.store import insert_rows

# One English gloss per translated text (the linker reads labels from it, no numbers).
TRANSLATED = ("SELECT text_sha256, src, any_value(translated) AS translated FROM translations"
              " WHERE tgt = 'en' AND status = 'translated' GROUP BY ALL")

NODE_SELECT = (
    "SELECT o.obs_id, o.doc_id, coalesce(s.language, d.language), o.value, o.unit,"
    " o.qualifier, o.population, o.year, o.group_key, o.concepts, o.surface, o.claim,"
    " o.claim_start, o.start, o.\"end\", r.started_at, t.translated, src.edition,"
    " coalesce(src.source_id, d.source_id), s.kind = 'heading', src.publisher, src.survey_year,"
    " o.rule, o.lead_in, o.cited"
    " FROM current_observations o JOIN documents d USING (doc_id)"
    " LEFT JOIN sources src ON src.source_id = d.source_id"
    " LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no"
    " LEFT JOIN runs r ON r.run_id = o.run_id"
    f" LEFT JOIN ({TRANSLATED}) t ON t.text_sha256 = s.text_sha256 AND t.src = s.language")


STORED_CLAIM = (
    "SELECT obs_id, words, words_en, clause, negated, anaphor, gloss, antecedent FROM claims"
    " WHERE linker_version = ?")


def load_nodes(con: duckdb.DuckDBPyConnection, where: str = "", batch: int = 50_000,
               *, stored: bool = False) -> list[Node]:
    """Current observations (those `where` selects, a condition on `o`), read in batches;
    the sentence, topics and word shingles that many observations share are held once
    (a large corpus repeats them often). With `stored`, claims this linker stored are
    read rather than built again (an incremental run reads its existing figures so)."""
    sql = NODE_SELECT
    if stored:
        sql = sql.replace(" FROM current_observations o",
                          ", c.* EXCLUDE (obs_id) FROM current_observations o") + (
            f" LEFT JOIN ({STORED_CLAIM}) c ON c.obs_id = o.obs_id")
    result = con.execute(sql + (f" WHERE {where}" if where else ""),
                         [LINKER_VERSION] if stored else [])
    shared = Shared()
    nodes = []
    citing: list[tuple[Node, str]] = []  # figures of coverage that cite a survey
    while rows := result.fetchmany(batch):
        for row in rows:
            lang = shared(row[2])
            nodes.append(Node(
                obs_id=row[0], doc_id=shared(row[1]), lang=lang, value=row[3],
                unit=shared(linker_unit(row[4], row[22])), qualifier=shared(row[5]),
                population=shared(row[6]),
                year=row[7], group_key=row[8], concepts=shared(frozenset(row[9] or ())),
                surface=row[10], claim=shared(row[11]), claim_start=row[12], start=row[13],
                end=row[14], order=(shared(str(row[15])), row[0]), claim_en=row[16],
                shingles=shared.shingles(row[11], lang), edition=shared(row[17]),
                study=shared(study_of(row[17], row[18], row[20])), heading=bool(row[19]),
                survey_year=row[21], lead_in=shared(row[23] or ""),
                sample_rule=is_sample_rule(row[22])))
            if row[24] and not row[17]:
                citing.append((nodes[-1], row[24]))
            if stored and row[27] is not None:  # the stored claim's clause
                _stored_claim(nodes[-1], row[25:], shared)
    if citing:  # (once the batches are read: a query ends the one open)
        studies = cited_studies(con, {cited for _, cited in citing})
        for node, cited in citing:
            node.study = shared(study_of(None, None, None, cited, studies))
    nodes.sort(key=lambda n: (n.order[0], n.doc_id, n.start))
    if where:
        reader = PlaceReader(con)
        for node in nodes:
            node.place_reader = reader
    return attach_claims(nodes)


def cited_studies(con: duckdb.DuckDBPyConnection, cited: Iterable[str]) -> dict[str, str]:
    """The studies of the corpus by the names coverage cites them by (`cited_study_names`:
    a publisher, an edition's series, a title), for the `cited` names: read from the
    sources that have an edition and hold the first word of one of them (a corpus of
    10,000 sources is not read whole for a few citations; a name's first word after a
    kind word, "instituts larkfield research", is read too)."""
    names = {form for name in cited for form in (name, bare_name(name))}
    words = sorted({re.escape(name.split()[0]) for name in names if name.split()})
    if not words:
        return {}
    rows = con.execute(
        "SELECT DISTINCT edition, publisher, title FROM sources"
        " WHERE edition IS NOT NULL AND trim(edition) <> ''"
        " AND regexp_matches(lower(concat_ws(' ', publisher, title,"
        " replace(edition, '-', ' '))), ?)", ["|".join(words)]).fetchall()
    return cited_study_names(rows)


# The figures of documents without an edition that cite a survey, with their stored study.
_CITED_FIGURES = """
SELECT o.cited, c.study FROM claims c JOIN current_observations o USING (obs_id)
JOIN documents d USING (doc_id) LEFT JOIN sources s ON s.source_id = d.source_id
WHERE o.cited IS NOT NULL AND (s.edition IS NULL OR trim(s.edition) = '')
"""


def stale_cited_studies(con: duckdb.DuckDBPyConnection) -> int:
    """How many linked figures cite a study under another key than the sources now give
    (`study_of`): coverage stored before the release it cites was added ("cited:calder
    institute", now "calder-commuter-outlook"), or before a second study took the name.
    An incremental relink picks existing figures by their stored study, so it cannot
    bring these together; the metrics must be rebuilt (warehouse/relink.py `why_rebuild`
    should say so when this is not 0)."""
    figures = con.execute(_CITED_FIGURES).fetchall()
    studies = cited_studies(con, {cited for cited, _ in figures})
    return sum(stored != study_of(None, None, None, cited, studies)
               for cited, stored in figures)


class PlaceReader:
    """A node's place among all figures of its document, read from the warehouse on first
    use: a load of some figures (an incremental run's counterparts) does not hold the
    neighbours the linker compares, and only figures of one study in two languages are
    compared by their neighbours, so most documents are never read."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.documents: dict[str, dict[int, Place]] = {}

    def __call__(self, node: Node) -> Place:
        found = self.documents.get(node.doc_id)
        if found is None:
            rows = self.con.execute("SELECT start, unit, rule, year, value"
                                    " FROM current_observations WHERE doc_id = ?",
                                    [node.doc_id]).fetchall()
            # the unit a rebuild's nodes hold (a count's change is no count)
            found = self.documents[node.doc_id] = places(
                [(start, linker_unit(unit, rule), year, value, is_sample_rule(rule))
                 for start, unit, rule, year, value in rows])
        return found[node.start]


def _stored_claim(node: Node, row: tuple[Any, ...], shared: Shared) -> None:
    words, words_en, clause, negated, anaphor, gloss, antecedent = row
    node.words, node.words_en = shared(frozenset(words)), shared(frozenset(words_en or ()))
    node.clause, node.negated, node.anaphor, node.gloss = clause, negated, anaphor, gloss
    node.antecedent, node.stored = antecedent, True


def recall_lemmas(con: duckdb.DuckDBPyConnection) -> None:
    """Hand the claim builder the lemmas stored by earlier runs."""
    claim_builder.teach_lemmas(con.execute("SELECT lang, word, lemma FROM lemmas").fetchall())


def store_lemmas(con: duckdb.DuckDBPyConnection) -> None:
    """Store the lemmas the claim builder looked up in this run."""
    rows = [{"lang": lang, "word": word, "lemma": lemma}
            for lang, word, lemma in claim_builder.learned_lemmas()]
    if rows:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _new_lemmas"
                    " (lang VARCHAR, word VARCHAR, lemma VARCHAR)")
        con.execute("DELETE FROM _new_lemmas")
        insert_rows(con, "_new_lemmas", rows)
        con.execute("INSERT INTO lemmas SELECT * FROM _new_lemmas"
                    " ON CONFLICT (lang, word) DO NOTHING")
        con.execute("DROP TABLE _new_lemmas")


def rebuild(con: duckdb.DuckDBPyConnection, run_id: str,
            curated: Constraints | None = None) -> dict[str, int]:
    """Rebuild metrics and metric_observations from all current observations, honouring
    an analyst's merges and splits (`curated`, see warehouse/curation.py)."""
    recall_lemmas(con)
    nodes = load_nodes(con)
    clusters, best = link(nodes, curate(Clusters(nodes), curated) if curated else None)
    metrics, links = [], []
    for members in clusters.values():
        members.sort(key=lambda n: n.order)
        metric_id = metric_id_for(members)
        metrics.append(metric_row(metric_id, members, run_id))
        for node in members:
            method, score = best.get(node.obs_id, ("single", 1.0))
            links.append(link_row(metric_id, node.obs_id, method, score, run_id))
    con.execute("DELETE FROM metric_observations")
    con.execute("DELETE FROM metrics")
    con.execute("DELETE FROM claims")
    insert_rows(con, "metrics", metrics)
    insert_rows(con, "metric_observations", links)
    insert_rows(con, "claims", [claim_row(node, run_id) for node in nodes])
    store_lemmas(con)
    apply_analyst_labels(con)
    return {"metrics": len(metrics), "links": len(links), "linked_new": len(nodes),
            "incremental": 0}


def metric_row(metric_id: str, members: list[Node], run_id: str) -> dict[str, Any]:
    """The metrics row of members sorted oldest first."""
    label, label_source = label_for(members)
    return {"metric_id": metric_id, "label": label, "population": members[0].population,
            "unit": stored_unit(members[0].unit), "label_source": label_source,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def claim_row(node: Node, run_id: str) -> dict[str, Any]:
    """The claims row of an observation (what the linker read from it)."""
    return {"obs_id": node.obs_id, "study": node.study, "words": sorted(node.words),
            "words_en": sorted(node.words_en),
            "clause": node.clause, "negated": node.negated, "anaphor": node.anaphor,
            "gloss": node.gloss, "antecedent": node.antecedent,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def link_row(metric_id: str, obs_id: str, method: str, score: float, run_id: str
             ) -> dict[str, Any]:
    return {"metric_id": metric_id, "obs_id": obs_id, "method": method, "score": score,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def apply_analyst_labels(con: duckdb.DuckDBPyConnection) -> None:
    """Give each metric an analyst named (`polystat metrics rename`, the metric_curation
    view of migration 023) that label: linking recomputes labels from the figures."""
    renamed = con.execute("SELECT count(*) > 0 FROM curation_decisions WHERE kind = 'rename'")
    if renamed.fetchone() != (True,):
        return  # (the common case, answered without resolving figures)
    con.execute("UPDATE metrics SET label = c.label FROM metric_curation c"
                " WHERE metrics.metric_id = c.metric_id AND c.label IS NOT NULL"
                " AND metrics.label <> c.label")
