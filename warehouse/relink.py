"""Incremental reconciliation: link a run's new observations into the existing metrics.

A rebuild (`reconcile.rebuild`) costs time in proportion to every figure in the
warehouse (~70 µs each: 17 s at 10,000 documents), however few are new. A run that
only adds documents needs far less. Each new figure is scored, by the same rules as in
a rebuild, against the other new figures and against *representatives* of the existing
metrics that share a block with it, picked in SQL (`warehouse/relink_picks.py`).

Links between two existing figures are not applied again: the existing metrics stand,
new figures join them strongest link first under the same refusals (two measures of one
sentence never merge), and a new figure that links two existing metrics merges them
into the one with the older anchor, whose id survives. Labels are recomputed for every
metric that changed, and for metrics whose figures gained a translation in this run.

A rebuild is made instead when the metrics cannot simply be extended: there are none
yet, another linker made them, figures were removed or superseded since, a new figure
sits in a document that already has linked figures, or coverage was linked before the
release it cites was added (its stored study is the cited name's, not the release's).
`POLYSTAT_RELINK=full` rebuilds on every run.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import duckdb

from extract import claims as claim_builder
from warehouse import curation, relink_picks
from warehouse import reconcile as rc
from warehouse.labels import metric_id_for
from warehouse.link_claims import Node
from warehouse.link_curation import curate
from warehouse.link_growing import Figures, Growing
from warehouse.link_rules import LINKER_VERSION, MIN_WORDS
from warehouse.linking import link
from warehouse.store import insert_rows

_TEMP_TABLES = (*relink_picks.TEMP_TABLES, "_relink_touched", "_relink_label")


def reconcile(con: duckdb.DuckDBPyConnection, run_id: str, *, full: bool = False
              ) -> dict[str, Any]:
    """Extend the metrics with the observations not yet linked, or rebuild them when that
    is not possible (or `full`). The counts say which was done and why. Either way an
    analyst's decisions hold (warehouse/curation.py)."""
    claim_builder.prepared()  # (the extract stage started loading what its languages need)
    reason = "asked for a full rebuild" if full else None
    decided = curation.decided(con)
    with collector_paused():
        try:
            if not full:  # (the figures the picks read are read once, and tell the state)
                reason = why_rebuild(con, relink_picks.read_observations(con))
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while the linker builds its records: it makes tens of
    thousands of long-lived objects and no reference cycles, and each full collection
    would walk all of them again (a fifth of an incremental run's time). Whatever a
    cycle holds is collected once the collector runs again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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


_LINK_STATE = """
WITH figure AS MATERIALIZED ({figures}),  -- each current figure, and whether a metric holds it
per_document AS (
    SELECT count(*) FILTER (WHERE NOT linked) AS unlinked, bool_or(linked) AS some_linked
    FROM figure GROUP BY doc_id)
SELECT (SELECT count(*) FROM metrics),
       (SELECT coalesce(sum(unlinked), 0) FROM per_document),
       (SELECT count(*) FROM metrics WHERE linker_version <> ?),
       (SELECT count(*) FROM metric_observations
        WHERE obs_id NOT IN (SELECT obs_id FROM figure)),
       (SELECT count(*) FROM metric_observations
        WHERE metric_id NOT IN (SELECT metric_id FROM metrics))
       + (SELECT count(*) FROM metrics
          WHERE metric_id NOT IN (SELECT metric_id FROM metric_observations)),
       (SELECT coalesce(sum(unlinked), 0) FROM per_document WHERE some_linked)
"""

_CURRENT_FIGURES = """
SELECT o.obs_id, o.doc_id, l.obs_id IS NOT NULL AS linked FROM current_observations o
LEFT JOIN (SELECT DISTINCT obs_id FROM metric_observations) l USING (obs_id)"""


def link_state(con: duckdb.DuckDBPyConnection, figures: str | None = None) -> LinkState:
    """How the metrics stand against the current figures, read once: from the views, or
    from `figures`, a table of them with their stored metric (`metric_id`, NULL when
    none holds it; `relink_picks.read_observations`)."""
    linked = (f"SELECT obs_id, doc_id, metric_id IS NOT NULL AS linked FROM {figures}"
              if figures else _CURRENT_FIGURES)
    row = con.execute(_LINK_STATE.format(figures=linked), [LINKER_VERSION]).fetchone()
    return LinkState(*(int(n) for n in (row or (0,) * 6)))


def why_rebuild(con: duckdb.DuckDBPyConnection, figures: str | None = None) -> str | None:
    """Why the metrics must be rebuilt rather than extended (None: they can be extended);
    `figures` as in `link_state`."""
    state = link_state(con, figures)
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
    stale = rc.stale_cited_studies(con)  # (coverage stored before the release it cites)
    if stale:
        return f"{stale} figures cite a study the sources now name otherwise"
    return None


def _existing(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, float]]:
    """obs_id -> (metric_id, method, score) of every picked representative."""
    rows = con.execute("SELECT obs_id, metric_id, method, score FROM metric_observations"
                       " WHERE obs_id IN (SELECT obs_id FROM _relink_pick)").fetchall()
    return {obs_id: (metric_id, method, score) for obs_id, metric_id, method, score in rows}


# --------------------------------------------------------------------------- linking


# (`_relink_obs`, relink_picks.py: every current figure with its stored metric)
_SHARED_FIGURES = """
WITH figures AS MATERIALIZED (
    SELECT metric_id, doc_id, claim_start, year, round(value, 2) AS value, gloss,
           len(words) >= ? AS worded
    FROM _relink_obs WHERE metric_id IN (?, ?))
SELECT * FROM figures WHERE doc_id IN (SELECT doc_id FROM figures GROUP BY doc_id
                                       HAVING count(DISTINCT metric_id) = 2)
"""


def stored_figures(con: duckdb.DuckDBPyConnection) -> Callable[[str, str], tuple[Figures, Figures]]:
    """Two stored metrics' figures in the documents both have figures in (sentences; the
    points of those that are not glosses, see `linking.point_of`): only there can they be
    two claims of one document, so a large metric is never read whole. They are read from
    the run's table of current figures (`relink_picks.read_observations`), where each has
    its stored metric (stored links are to current figures only: `why_rebuild` sees to it)."""
    @cache
    def shared_figures(one: str, two: str) -> tuple[Figures, Figures]:
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
WITH translated AS (  -- (the few translated sentences, not every member's sentence)
    SELECT s.doc_id, s.seg_no FROM segments s
    JOIN ({rc.TRANSLATED}) t ON t.text_sha256 = s.text_sha256 AND t.src = s.language),
member AS (  -- (`_relink_obs`: every current figure with its language, claim and metric)
    SELECT e.metric_id, e.obs_id, e.unit, e.population,
           struct_pack(started := e.started_at, obs := e.obs_id) AS age,
           (e.doc_id, e.seg_no) IN (SELECT (doc_id, seg_no) FROM translated) AS translated,
           e.lang = 'en' AND len(e.words) > 0 AS english, len(e.words) > 1 AS worded
    FROM _relink_obs e
    JOIN _relink_touched USING (metric_id)),
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
    translated = con.execute("SELECT count(*) > 0 FROM translations WHERE run_id = ?"
                             " AND tgt = 'en' AND status = 'translated'", [run_id]).fetchone()
    if translated != (True,):
        return set()  # (most runs: no model, or nothing new to translate)
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
    new_nodes = relink_picks.pick(con)
    existing = _existing(con)
    nodes = rc.load_nodes(con, "o.obs_id IN (SELECT obs_id FROM _relink_pick)", stored=True)
    nodes = sorted(nodes + new_nodes, key=lambda n: (n.order[0], n.doc_id, n.start))
    new = {n.obs_id for n in new_nodes}
    clusters = Growing(nodes, {obs: found[0] for obs, found in existing.items()},
                       stored_figures(con))
    if decided:
        curate(clusters, decided.constraints, decided.metric_blocks)
    grouped, best = link(nodes, clusters, new=lambda node: node.obs_id in new)

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

