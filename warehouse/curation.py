"""Analyst curation in the warehouse: `polystat metrics merge|split|rename` record a
decision (migration 023: curation_decisions, curation_figures) and apply it to the stored
metrics at once; every later reconcile honours the decisions (`decided` hands them to the
pure linker, `warehouse/link_curation.py`; `reconcile.apply_analyst_labels` puts back the
analyst's labels).

A decision is kept as the figures it was made on, never as metric ids alone: a metric's id
is its oldest figure's, so it changes when a merge or a split changes that figure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from warehouse import reconcile as rc
from warehouse.labels import metric_id_for
from warehouse.link_curation import Constraints, Decision, blocks_of_metrics, compile_decisions
from warehouse.store import insert_rows, now


class CurationError(ValueError):
    """A curation command names a metric or figure that is not there, or asks the
    impossible (a metric merged with itself, a split that leaves nothing behind)."""


@dataclass
class Decided:
    """The decisions as the linker takes them: the constraints, and the blocks each stored
    metric holds (an incremental run sees a few figures of each metric only)."""

    constraints: Constraints = field(default_factory=Constraints)
    metric_blocks: dict[str, set[int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.constraints.blocks)


# --------------------------------------------------------------------------- the linker's view


def decided(con: duckdb.DuckDBPyConnection) -> Decided:
    """Every merge and split, oldest first, over the figures that are current now."""
    if not _any_decision(con, "merge", "split"):
        return Decided()  # (the common case, answered without resolving figures)
    sides: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    kinds: dict[int, str] = {}
    for decision_id, kind, side, obs_id in con.execute(
            "SELECT d.decision_id, d.kind, c.side, c.obs_id FROM curation_decisions d"
            " JOIN curated_figures c USING (decision_id) WHERE d.kind IN ('merge', 'split')"
            " ORDER BY d.made_at, d.decision_id").fetchall():
        kinds[decision_id] = kind
        sides[decision_id][side].add(obs_id)
    order = {"merge": ("a", "b"), "split": ("moved", "kept")}
    decisions = [Decision(number, kinds[number],
                          tuple(frozenset(sides[number][side]) for side in order[kinds[number]]))
                 for number in kinds]
    constraints = compile_decisions(decisions)
    if not constraints.blocks:
        return Decided()
    figures = sorted(constraints.block_of())
    metric_of = dict(con.execute("SELECT obs_id, metric_id FROM metric_observations"
                                 " WHERE obs_id IN (SELECT unnest(?))", [figures]).fetchall())
    return Decided(constraints, blocks_of_metrics(constraints, metric_of))


def _any_decision(con: duckdb.DuckDBPyConnection, *kinds: str) -> bool:
    return con.execute("SELECT count(*) > 0 FROM curation_decisions WHERE kind IN"
                       " (SELECT unnest(?))", [list(kinds)]).fetchone() == (True,)


def decision_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many decisions the warehouse holds (a report shows them once published)."""
    found = con.execute("SELECT count(*) FROM curation_decisions").fetchone()
    return int(found[0]) if found else 0


# --------------------------------------------------------------------------- commands


def merge(con: duckdb.DuckDBPyConnection, first: str, second: str) -> dict[str, Any]:
    """Make two metrics one; returns the decision and the id of the merged metric (the id of
    the one with the older figure)."""
    if first == second:
        raise CurationError(f"{first}: merge needs two different metrics")
    a, b = _figures_of(con, first), _figures_of(con, second)
    number = _record(con, "merge", first, second, None, {"a": a, "b": b})
    (merged,) = _replace_metrics(con, [first, second], [a + b])
    rc.apply_analyst_labels(con)
    return {"decision_id": number, "metric_id": merged}


def split(con: duckdb.DuckDBPyConnection, metric_id: str, figures: list[str]
          ) -> dict[str, Any]:
    """Move `figures` (obs_ids of the metric) into a metric of their own."""
    members = _figures_of(con, metric_id)
    for obs_id in figures:
        if obs_id not in members:
            raise CurationError(_not_a_member(con, obs_id, metric_id))
    moved = sorted(set(figures))
    kept = [obs for obs in members if obs not in moved]
    if not kept:
        raise CurationError(f"{metric_id}: a split must leave at least one figure behind "
                            f"(the metric has {len(members)})")
    new_ids = _replace_metrics(con, [metric_id], [moved, kept])
    number = _record(con, "split", metric_id, new_ids[0], None, {"moved": moved, "kept": kept})
    rc.apply_analyst_labels(con)
    return {"decision_id": number, "moved_to": new_ids[0], "kept_in": new_ids[1]}


def rename(con: duckdb.DuckDBPyConnection, metric_id: str, label: str) -> dict[str, Any]:
    """Set the label a reader sees (kept through every later reconcile)."""
    label = " ".join(label.split())
    if not label:
        raise CurationError(f"{metric_id}: the new label is empty")
    members = _figures_of(con, metric_id)
    number = _record(con, "rename", metric_id, None, label, {"named": members})
    rc.apply_analyst_labels(con)
    return {"decision_id": number, "metric_id": metric_id, "label": label}


def undo(con: duckdb.DuckDBPyConnection, decision_id: int | None = None) -> dict[str, Any]:
    """Take back a decision: the latest one in force, or `decision_id`. The undo is a
    decision of its own, kept with its time; every later reconcile replays only the
    decisions in force (migration 027), and the stored metrics go back at once: an undone
    merge parts its two sides again (figures that joined since stay with the first), an
    undone split joins its figures again, an undone rename gives the metric back the label
    it had before (an earlier analyst's, else the linker's). A merge or split with a later
    merge or split on its figures is taken back only after that one (it was made on what
    the earlier one left)."""
    target = _undoable(con, decision_id)
    sides = _current_sides(con, target["decision_id"])
    figures = sorted(set().union(*sides.values()))
    number = _record(con, "undo", target["metric_id"], target["other_id"], None,
                     {"undone": figures}, undoes=target["decision_id"])
    _take_back(con, target["kind"], sides)
    rc.apply_analyst_labels(con)
    metrics = sorted({row[0] for row in con.execute(
        "SELECT metric_id FROM metric_observations WHERE obs_id IN (SELECT unnest(?))",
        [figures]).fetchall()})
    return {"decision_id": number, "undone": target["decision_id"], "kind": target["kind"],
            "metrics": metrics}


def _undoable(con: duckdb.DuckDBPyConnection, decision_id: int | None) -> dict[str, Any]:
    """The decision to take back, or an error saying why it cannot be."""
    decisions = _records(con.execute(
        "SELECT d.decision_id, d.kind, d.metric_id, d.other_id, d.undoes,"
        " u.decision_id AS undone_by FROM curation_decisions d"
        " LEFT JOIN curation_decisions u ON u.undoes = d.decision_id"
        " ORDER BY d.made_at DESC, d.decision_id DESC"))
    if decision_id is None:
        in_force = [d for d in decisions if d["kind"] != "undo" and d["undone_by"] is None]
        if not in_force:
            raise CurationError("nothing to undo: no analyst decision is in force "
                                "(`polystat metrics list --curated` lists curated metrics)")
        return in_force[0]
    target = next((d for d in decisions if d["decision_id"] == decision_id), None)
    if target is None:
        raise CurationError(f"no decision {decision_id} in the warehouse; `polystat metrics "
                            "show ID` lists a metric's decisions with their numbers (#…)")
    if target["kind"] == "undo":
        raise CurationError(f"decision {decision_id} is itself an undo (of decision "
                            f"{target['undoes']}); to apply that decision again, make it again "
                            "with `polystat metrics merge|split|rename`")
    if target["undone_by"] is not None:
        raise CurationError(f"decision {decision_id} is undone already (by decision "
                            f"{target['undone_by']})")
    later = _later_on_its_figures(con, target) if target["kind"] != "rename" else []
    if later:
        raise CurationError(
            f"decision {decision_id} ({target['kind']}) cannot be undone while the later "
            f"decision(s) {', '.join(map(str, later))} made on its figures stand; undo "
            f"{'it' if len(later) == 1 else 'them'} first (`polystat metrics undo {later[-1]}`)")
    return target


def _later_on_its_figures(con: duckdb.DuckDBPyConnection, target: dict[str, Any]) -> list[int]:
    """Merges and splits in force, made after `target`, that hold one of its figures."""
    return [row[0] for row in con.execute(
        "SELECT DISTINCT f.decision_id FROM curated_figures f JOIN curation_decisions d"
        " USING (decision_id) WHERE d.kind IN ('merge', 'split') AND f.decision_id > ?"
        " AND f.obs_id IN (SELECT obs_id FROM curated_figures WHERE decision_id = ?)"
        " ORDER BY 1", [target["decision_id"], target["decision_id"]]).fetchall()]


def _current_sides(con: duckdb.DuckDBPyConnection, decision_id: int) -> dict[str, set[str]]:
    """A decision's figures as they are now, by side."""
    sides: dict[str, set[str]] = defaultdict(set)
    for side, obs_id in con.execute("SELECT side, obs_id FROM curated_figures"
                                    " WHERE decision_id = ?", [decision_id]).fetchall():
        sides[side].add(obs_id)
    return dict(sides)


def _take_back(con: duckdb.DuckDBPyConnection, kind: str, sides: dict[str, set[str]]) -> None:
    """The stored metrics as they were before a decision of `kind` made on `sides`."""
    figures = sorted(set().union(*sides.values()))
    metrics = sorted({row[0] for row in con.execute(
        "SELECT metric_id FROM metric_observations WHERE obs_id IN (SELECT unnest(?))",
        [figures]).fetchall()})
    if kind == "merge":  # a metric holding figures of both sides parts them again
        second = sides.get("b", set())
        for metric in metrics:
            members = _figures_of(con, metric)
            first = [obs for obs in members if obs not in second]
            parted = [obs for obs in members if obs in second]
            if first and parted:
                _replace_metrics(con, [metric], [first, parted])
    elif kind == "split" and len(metrics) > 1:  # what it parted is one metric again
        _replace_metrics(con, metrics, [[obs for metric in metrics
                                         for obs in _figures_of(con, metric)]])
    elif kind == "rename":  # the linker's label; apply_analyst_labels puts earlier ones back
        for metric in metrics:
            _replace_metrics(con, [metric], [_figures_of(con, metric)])


def _figures_of(con: duckdb.DuckDBPyConnection, metric_id: str) -> list[str]:
    """The current figures of a stored metric; an error naming it when there is none."""
    found = [row[0] for row in con.execute(
        "SELECT mo.obs_id FROM metric_observations mo JOIN current_observations o USING (obs_id)"
        " WHERE mo.metric_id = ? ORDER BY o.doc_id, o.start", [metric_id]).fetchall()]
    if not found:
        raise CurationError(f"no metric {metric_id!r} in the warehouse; "
                            "`polystat metrics list` shows the ids")
    return found


def _not_a_member(con: duckdb.DuckDBPyConnection, obs_id: str, metric_id: str) -> str:
    row = con.execute("SELECT metric_id FROM metric_observations WHERE obs_id = ?",
                      [obs_id]).fetchone()
    if row is None:
        return (f"no figure {obs_id!r} in the warehouse; `polystat metrics show {metric_id}` "
                "lists the metric's figures")
    return (f"figure {obs_id} is not in metric {metric_id} (it is in {row[0]}); "
            f"`polystat metrics show {metric_id}` lists the metric's figures")


def _record(con: duckdb.DuckDBPyConnection, kind: str, metric_id: str, other_id: str | None,
            label: str | None, sides: dict[str, list[str]], undoes: int | None = None) -> int:
    """Store a decision with its figures (and what finds them again) and its time."""
    found = con.execute("SELECT coalesce(max(decision_id), 0) + 1 FROM curation_decisions"
                        ).fetchone()
    number = int(found[0]) if found else 1
    con.execute("INSERT INTO curation_decisions (decision_id, kind, made_at, metric_id,"
                " other_id, label, undoes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [number, kind, now(), metric_id, other_id, label, undoes])
    for side, figures in sides.items():
        con.execute(
            "INSERT INTO curation_figures SELECT ?, ?, o.obs_id, o.doc_id, d.source_id,"
            " o.start, o.\"end\", o.surface, o.claim, o.start - o.claim_start"
            " FROM current_observations o JOIN current_documents d USING (doc_id)"
            " WHERE o.obs_id IN (SELECT unnest(?))", [number, side, figures])
    return number


def _replace_metrics(con: duckdb.DuckDBPyConnection, old_ids: list[str],
                     parts: list[list[str]]) -> list[str]:
    """Replace stored metrics by one metric per part (obs_ids), as a reconcile would store
    them: named after its oldest figure, labelled from its members; each figure keeps its
    link's method and score, the metric its run. Returns the new ids, one per part."""
    links = {obs: (method, score, run_id) for obs, method, score, run_id in con.execute(
        "SELECT obs_id, method, score, run_id FROM metric_observations"
        " WHERE metric_id IN (SELECT unnest(?))", [old_ids]).fetchall()}
    found = con.execute("SELECT run_id FROM metrics WHERE metric_id = ?", [old_ids[0]]).fetchone()
    run_id = found[0] if found else links[parts[0][0]][2]
    con.execute("CREATE OR REPLACE TEMP TABLE _curation_members AS"
                " SELECT unnest(?::VARCHAR[]) AS obs_id", [sorted(links)])
    nodes = {n.obs_id: n for n in rc.load_nodes(
        con, "o.obs_id IN (SELECT obs_id FROM _curation_members)", stored=True)}
    con.execute("DROP TABLE _curation_members")
    metrics, rows, new_ids = [], [], []
    for part in parts:
        members = sorted((nodes[obs] for obs in part), key=lambda n: n.order)
        metric_id = metric_id_for(members)
        new_ids.append(metric_id)
        metrics.append(rc.metric_row(metric_id, members, run_id))
        rows += [rc.link_row(metric_id, obs, links[obs][0], links[obs][1], links[obs][2])
                 for obs in part]
    con.execute("DELETE FROM metric_observations WHERE metric_id IN (SELECT unnest(?))",
                [old_ids])
    con.execute("DELETE FROM metrics WHERE metric_id IN (SELECT unnest(?))", [old_ids])
    insert_rows(con, "metrics", metrics)
    insert_rows(con, "metric_observations", rows)
    return new_ids


# --------------------------------------------------------------------------- reads


CURATION_COLUMNS = ("merged_at", "split_at", "label_set_at")


def metrics(con: duckdb.DuckDBPyConnection, *, curated_only: bool = False
            ) -> list[dict[str, Any]]:
    """Every metric (label order): id, label, unit, figures, sources and what analysts did."""
    cursor = con.execute(f"""
        SELECT * FROM (
            SELECT m.metric_id, m.label, m.unit, count(*) AS figures,
                   list(DISTINCT d.source_id ORDER BY d.source_id) AS sources,
                   {', '.join(f'c.{column}' for column in CURATION_COLUMNS)}
            FROM metrics m JOIN metric_observations mo USING (metric_id)
            JOIN current_observations o USING (obs_id) JOIN current_documents d USING (doc_id)
            LEFT JOIN metric_curation c USING (metric_id)
            {'WHERE c.metric_id IS NOT NULL' if curated_only else ''}
            GROUP BY ALL)
        ORDER BY lower(label), metric_id""")
    return _records(cursor)


def metric(con: duckdb.DuckDBPyConnection, metric_id: str) -> dict[str, Any]:
    """One metric: its row with what analysts did to it (`of_metric`), its figures in
    reading order, each with its link's method."""
    row = _records(con.execute("SELECT * FROM metrics WHERE metric_id = ?", [metric_id]))
    if not row:
        raise CurationError(f"no metric {metric_id!r} in the warehouse; "
                            "`polystat metrics list` shows the ids")
    figures = _records(con.execute("""
        SELECT o.obs_id, o.year, o.value, o.unit, o.qualifier, o.population, o.surface,
               o.claim, o.start - o.claim_start AS offset_in_claim, d.source_id, d.file_name,
               mo.method
        FROM metric_observations mo JOIN current_observations o USING (obs_id)
        JOIN current_documents d USING (doc_id) WHERE mo.metric_id = ?
        ORDER BY o.year NULLS FIRST, d.file_name, o.start""", [metric_id]))
    return {"metric": {**row[0], **of_metric(con, metric_id)}, "figures": figures,
            "possibly_same_as": suggestions(con, metric_id)}


def suggestions(con: duckdb.DuckDBPyConnection, metric_id: str | None = None, *,
                limit: int | None = None) -> list[dict[str, Any]]:
    """Metrics possibly the same (the metric_suggestions view of migration 027), best first:
    those of one metric, or every pair of the warehouse once. Each with both labels, the
    score, the reason in words and the command line that accepts it (a merge)."""
    if metric_id:  # the macro joins that metric's documents and words only (~1 s at 10,000)
        source, where, params = "metric_suggestions_of(?)", "s.metric_id = ?", [metric_id] * 2
    else:  # each pair once
        source, where, params = "metric_suggestions", "s.metric_id < s.similar_metric_id", []
    cursor = con.execute(f"""
        SELECT s.metric_id, a.label, s.similar_metric_id, b.label AS similar_label,
               s.score, s.reason, s.shared_words
        FROM {source} s JOIN metrics a ON a.metric_id = s.metric_id
        JOIN metrics b ON b.metric_id = s.similar_metric_id
        WHERE {where} ORDER BY s.score DESC, s.metric_id, s.similar_metric_id
        LIMIT ?""", [*params, limit if limit else 1 << 62])
    return [{**found, "accept": f"polystat metrics merge {found['metric_id']} "
                                f"{found['similar_metric_id']}"} for found in _records(cursor)]


def of_metric(con: duckdb.DuckDBPyConnection, metric_id: str) -> dict[str, Any]:
    """What analysts did to a metric: when it was last merged, split out and labelled
    (None: never), and every decision that touched its figures (`history`)."""
    found = _records(con.execute(
        f"SELECT {', '.join(CURATION_COLUMNS)}, decisions FROM metric_curation"
        " WHERE metric_id = ?", [metric_id]))
    done = found[0] if found else dict.fromkeys((*CURATION_COLUMNS, "decisions"))
    return {**{column: done[column] for column in CURATION_COLUMNS},
            "history": history(con, done["decisions"] or [])}


def history(con: duckdb.DuckDBPyConnection, decision_ids: list[int]) -> list[dict[str, Any]]:
    """Decisions, oldest first, each with how many figures it recorded per side."""
    return _records(con.execute("""
        SELECT d.decision_id, d.kind, d.made_at, d.metric_id, d.other_id, d.label, d.undoes,
               u.kind AS undone_kind,
               map(list(f.side ORDER BY f.side), list(f.n ORDER BY f.side)) AS figures
        FROM curation_decisions d
        JOIN (SELECT decision_id, side, count(*) AS n FROM curation_figures GROUP BY ALL) f
          ON f.decision_id = d.decision_id
        LEFT JOIN curation_decisions u ON u.decision_id = d.undoes
        WHERE d.decision_id IN (SELECT unnest(?))
        GROUP BY ALL ORDER BY d.made_at, d.decision_id""", [decision_ids]))


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
