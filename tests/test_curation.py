"""Analyst curation (`polystat metrics merge|split|rename`): decisions over figures that
hold through a run that adds a document (an incremental relink) and a full rebuild, and that
`explain`, `metrics show` and the report pages tell.

The warehouse is real (the embedded corpus, added in runs); the commands run as a real
`polystat` process. The linker's side is also tested on plain records."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_process import on_warehouse
from conftest import SOURCES
from corpus_files import (
    copy_documents,
    copy_run,
    linked_run,
    manifest_entries,
    write_manifest,
)

from flows import plan
from flows.pipeline import run_without_prefect
from reports.markup import counted
from reports.pages.catalogue import Catalogue
from reports.pages.conflicts import conflicts_md
from reports.pages.trends import single_year_md, trends_md
from reports.snapshot import read_warehouse
from warehouse import curation, db, reconcile, store
from warehouse.link_claims import Node, attach_claims
from warehouse.link_curation import Decision, compile_decisions, curate
from warehouse.linking import Clusters, link

TODAY = datetime.now(UTC).strftime("%Y-%m-%d")


# --------------------------------------------------------------------------- the linker's side


def _sides(*sides: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(side) for side in sides)


def test_a_split_after_a_merge_takes_its_figures_out_of_the_merged_block() -> None:
    found = compile_decisions([Decision(1, "merge", _sides("ab", "cd")),
                               Decision(2, "split", _sides("c", "abd"))])
    blocks = sorted(map(sorted, found.blocks.values()))
    assert blocks == [["a", "b", "d"], ["c"]]
    block_of = found.block_of()
    assert found.apart == {frozenset((block_of["c"], block_of["a"]))}


def test_a_merge_after_a_split_joins_what_it_separated() -> None:
    found = compile_decisions([Decision(1, "split", _sides("a", "bc")),
                               Decision(2, "merge", _sides("a", "bc"))])
    assert sorted(map(sorted, found.blocks.values())) == [["a", "b", "c"]]
    assert not found.apart


def test_figures_split_twice_stay_apart_from_both_remainders() -> None:
    found = compile_decisions([Decision(1, "split", _sides("ab", "c")),
                               Decision(2, "split", _sides("b", "a"))])
    block_of = found.block_of()
    assert {frozenset((block_of["b"], block_of["c"])),
            frozenset((block_of["b"], block_of["a"])),
            frozenset((block_of["a"], block_of["c"]))} == found.apart


def _node(obs_id: str, doc: str, value: float, year: int) -> Node:
    claim = f"{value:g}% of agents say they have a clear career path."
    return Node(obs_id=obs_id, doc_id=doc, lang="en", value=value, unit="percent",
                qualifier="exact", population="agents", year=year, group_key=None,
                concepts=frozenset({"career_path"}), surface=f"{value:g}%", claim=claim,
                claim_start=0, start=0, end=3, order=(f"2026-0{year - 2015}", obs_id))


def _together(grouped: dict[str, list[Node]]) -> set[frozenset[str]]:
    return {frozenset(n.obs_id for n in members) for members in grouped.values()}


def test_the_linker_keeps_split_figures_apart_and_joins_merged_ones() -> None:
    nodes = attach_claims([_node("a", "d1", 40, 2018), _node("b", "d2", 50, 2019),
                           _node("c", "d3", 60, 2020)])
    assert _together(link(nodes)[0]) == {frozenset("abc")}  # one claim over three years
    decided = compile_decisions([Decision(1, "split", _sides("b", "ac"))])
    grouped, _ = link(nodes, curate(Clusters(nodes), decided))
    assert _together(grouped) == {frozenset("ac"), frozenset("b")}
    other = attach_claims([_node("x", "d4", 10, 2020), Node(
        obs_id="y", doc_id="d5", lang="en", value=7, unit="count", qualifier="exact",
        population=None, year=2021, group_key=None, concepts=frozenset(), surface="7",
        claim="7 offices were opened.", claim_start=0, start=0, end=1, order=("2026", "y"))])
    assert len(link(other)[0]) == 2
    merged = compile_decisions([Decision(1, "merge", _sides("x", "y"))])
    assert _together(link(other, curate(Clusters(other), merged))[0]) == {frozenset("xy")}


# --------------------------------------------------------------------------- the warehouse


def _corpus(folder: Path, files: list[str], new_edition: bool = False) -> None:
    """`folder` holding these files of the embedded corpus and their manifest entries; with
    `new_edition`, also a later edition of the Turkish report (its text with a line added),
    whose figures restate those of the earlier one and join their metrics."""
    chosen = manifest_entries(SOURCES, files)
    copy_documents(SOURCES, folder, chosen)
    if new_edition:
        (turkish,) = manifest_entries(SOURCES, [TURKISH])
        chosen.append({**turkish, "file": "005_next_edition.txt", "edition": "salesforce-sos-6",
                       "survey_year": 2024, "published": "2024"})
        text = (SOURCES / TURKISH).read_text(encoding="utf-8")
        (folder / "005_next_edition.txt").write_text(text + "\n\nYeni baskı, 2024.\n",
                                                      encoding="utf-8")
    write_manifest(folder, chosen)


TURKISH = "002_8540100f77c5eb5e.txt"
FIRST_RUN = ["000_32ea278a2476e42a.txt", "001_e6f45ab03d4a44ef.txt", TURKISH,
             "003_19b5969eb5faa5a2.txt", "004_63cf3eb3103076c7.txt"]
CHANGED = "003_19b5969eb5faa5a2.txt"  # holds curated figures: its new version must find them


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    """Three documents of one study (German, Turkish, Chinese) and one of another, linked."""
    base = tmp_path_factory.mktemp("curation")
    _corpus(base / "corpus", FIRST_RUN)
    return linked_run(base)


def _membership(warehouse: Path) -> dict[str, str]:
    """obs_id -> metric_id of every linked figure."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT obs_id, metric_id FROM metric_observations").fetchall())


def _conflict_pair(warehouse: Path) -> tuple[str, str]:
    """Two metrics that each have one exact figure of a year, in two sources of one study,
    with values apart: merged, they conflict."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute("""
            WITH figure AS (
                SELECT mo.metric_id, o.year, o.value, o.unit, c.study, d.source_id
                FROM metric_observations mo JOIN current_observations o USING (obs_id)
                JOIN current_documents d USING (doc_id) JOIN claims c USING (obs_id)
                WHERE o.qualifier = 'exact' AND NOT c.gloss AND o.year IS NOT NULL
                  AND o.paraphrase_of IS NULL),
            one AS (
                SELECT metric_id, year, any_value(value) AS value, any_value(unit) AS unit,
                       any_value(study) AS study, any_value(source_id) AS source
                FROM figure GROUP BY metric_id, year HAVING count(*) = 1)
            SELECT a.metric_id, b.metric_id FROM one a JOIN one b
              ON a.study = b.study AND a.year = b.year AND a.unit = b.unit
             AND a.source < b.source AND abs(a.value - b.value) > 5
            ORDER BY 1, 2 LIMIT 1""").fetchone()
    assert found, "the corpus has two metrics of one study that disagree on a year"
    return found[0], found[1]


def _largest_metric(warehouse: Path) -> tuple[str, list[str]]:
    """The metric with most figures that are not counts of a sample (its figures, by
    document and place)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        metric_id, figures = con.execute("""
            SELECT mo.metric_id, list(mo.obs_id ORDER BY o.doc_id, o.start)
            FROM metric_observations mo JOIN current_observations o USING (obs_id)
            JOIN metrics m USING (metric_id) WHERE m.label_source <> 'sample'
            GROUP BY mo.metric_id ORDER BY count(*) DESC, mo.metric_id LIMIT 1""").fetchone()
    assert len(figures) >= 3
    return metric_id, figures


def _by_document(warehouse: Path, figures: list[str]) -> tuple[list[str], list[str]]:
    """The figures of the last document among `figures`, and the others: two parts that
    share no sentence, which only the analyst keeps apart."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        doc_of = dict(con.execute("SELECT obs_id, doc_id FROM observations"
                                  " WHERE obs_id IN (SELECT unnest(?))", [figures]).fetchall())
    last = doc_of[figures[-1]]
    moved = [obs for obs in figures if doc_of[obs] == last]
    kept = [obs for obs in figures if doc_of[obs] != last]
    assert moved and kept
    return moved, kept


def _show(warehouse: Path, metric_id: str) -> dict[str, Any]:
    shown = on_warehouse(["metrics", "show", metric_id, "--json"], warehouse)
    assert shown.returncode == 0, shown.stderr
    return dict(json.loads(shown.stdout))


def _without_curation(warehouse: Path) -> dict[str, str]:
    """obs_id -> metric_id as a rebuild that ignores the decisions would make them (rolled
    back): what the linker alone says."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("BEGIN")
        try:
            reconcile.rebuild(con, "check")
            return dict(con.execute("SELECT obs_id, metric_id FROM metric_observations"
                                    ).fetchall())
        finally:
            con.execute("ROLLBACK")


def _now(warehouse: Path, obs_ids: list[str]) -> list[str]:
    """The current ids of figures: the same span of the current version of their source
    (a changed file is a new document, its figures new observations)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = dict(con.execute(
            "SELECT f.obs_id, o.obs_id FROM observations f JOIN documents old USING (doc_id)"
            " JOIN current_documents d ON d.source_id = old.source_id"
            " JOIN current_observations o ON o.doc_id = d.doc_id AND o.start = f.start"
            "  AND o.\"end\" = f.\"end\" WHERE f.obs_id IN (SELECT unnest(?))",
            [obs_ids]).fetchall())
    return [found[obs] for obs in obs_ids]


def _assert_curated(warehouse: Path, merged: list[str], moved: list[str], kept: list[str],
                    label: str) -> None:
    """The decisions hold: merged figures share a metric, the moved ones share one apart
    from the kept ones, and the kept ones' metric has the analyst's label."""
    merged, moved, kept = (_now(warehouse, ids) for ids in (merged, moved, kept))
    metric_of = _membership(warehouse)
    assert len({metric_of[obs] for obs in merged}) == 1
    assert len({metric_of[obs] for obs in moved + kept}) == 2
    assert metric_of[moved[0]] != metric_of[kept[0]]
    alone = _without_curation(warehouse)  # the linker alone would not do it: the test can fail
    assert len({alone[obs] for obs in merged}) == 2 and alone[moved[0]] == alone[kept[0]]
    assert _show(warehouse, metric_of[kept[0]])["metric"]["label"] == label


def test_curation_survives_a_new_document_and_a_full_rebuild(first_run, tmp_path,
                                                              monkeypatch) -> None:
    warehouse = copy_run(first_run, tmp_path)
    first, second = _conflict_pair(warehouse)
    split_id, figures = _largest_metric(warehouse)
    moved, kept = _by_document(warehouse, figures)
    merged = [f["obs_id"] for metric in (first, second)
              for f in _show(warehouse, metric)["figures"]]

    done = on_warehouse(["metrics", "merge", first, second], warehouse)
    assert done.returncode == 0, done.stderr
    assert "decision 1" in done.stderr
    done = on_warehouse(["metrics", "split", split_id, *moved], warehouse)
    assert done.returncode == 0, done.stderr
    label = "Agents who see a clear career path (analyst's wording)"
    done = on_warehouse(["metrics", "rename", _membership(warehouse)[kept[0]], label], warehouse)
    assert done.returncode == 0, done.stderr
    _assert_curated(warehouse, merged, moved, kept, label)
    by_analyst = [c for c in _conflicts(warehouse) if "analyst" in c["linked_by"]]
    assert by_analyst
    assert {o["obs_id"] for c in by_analyst for o in c["observations"]} <= set(merged)

    _corpus(tmp_path / "corpus", FIRST_RUN, new_edition=True)
    summary = run_without_prefect(str(tmp_path / "corpus"), str(warehouse),
                                  str(tmp_path / "site"), publish=False)
    assert summary["reconciled"] == "extended" and summary["observations_new"] > 0
    joined = _joined_by_new_edition(warehouse)
    assert joined & {_membership(warehouse)[obs] for obs in moved + kept + merged}
    _assert_curated(warehouse, merged, moved, kept, label)

    monkeypatch.setenv("POLYSTAT_RELINK", "full")
    changed = tmp_path / "corpus" / CHANGED
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\n72% of agents agree.\n",
                       encoding="utf-8")
    summary = run_without_prefect(str(tmp_path / "corpus"), str(warehouse),
                                  str(tmp_path / "site"), publish=False)
    assert summary["reconciled"] == "rebuilt: asked for a full rebuild"
    assert set(_now(warehouse, merged + moved + kept)) - set(merged + moved + kept)
    _assert_curated(warehouse, merged, moved, kept, label)

    metric_of = _membership(warehouse)
    explained = on_warehouse(["explain", metric_of[_now(warehouse, merged)[0]]], warehouse)
    assert f"merged by analyst on {TODAY}" in explained.stdout
    explained = on_warehouse(["explain", _now(warehouse, kept)[0]], warehouse)
    assert f"label set by analyst on {TODAY}" in explained.stdout
    moved_now = _now(warehouse, moved)[0]
    shown = on_warehouse(["metrics", "show", metric_of[moved_now]], warehouse)
    assert f"split by analyst on {TODAY}" in shown.stdout
    assert moved_now in shown.stdout and f"split {counted(len(moved), 'figure')} of" in shown.stdout


def _joined_by_new_edition(warehouse: Path) -> set[str]:
    """Metrics that hold figures of the new edition and of earlier documents."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {row[0] for row in con.execute(
            "SELECT mo.metric_id FROM metric_observations mo JOIN current_observations o"
            " USING (obs_id) JOIN current_documents d USING (doc_id) GROUP BY ALL"
            " HAVING bool_or(d.source_id = '005_next_edition.txt')"
            " AND bool_or(d.source_id <> '005_next_edition.txt')").fetchall()}


def _conflicts(warehouse: Path) -> list[dict[str, Any]]:
    exported = on_warehouse(["export", "conflicts"], warehouse)
    assert exported.returncode == 0, exported.stderr
    return [json.loads(line) for line in exported.stdout.splitlines()]


def test_list_marks_curated_metrics_and_the_pages_tell_them(first_run, tmp_path) -> None:
    warehouse = copy_run(first_run, tmp_path)
    first, second = _conflict_pair(warehouse)
    before = json.loads(on_warehouse(["metrics", "list", "--json"], warehouse).stdout)
    assert on_warehouse(["metrics", "merge", second, first], warehouse).returncode == 0
    after = json.loads(on_warehouse(["metrics", "list", "--json"], warehouse).stdout)
    assert len(after) == len(before) - 1
    curated = json.loads(on_warehouse(["metrics", "list", "--curated", "--json"],
                                      warehouse).stdout)
    assert [m["metric_id"] for m in curated] == [m for m in (first, second)
                                                 if m in {a["metric_id"] for a in after}]
    figures = {m["metric_id"]: m["figures"] for m in before}
    assert curated[0]["figures"] == figures[first] + figures[second]
    assert len(curated[0]["sources"]) == 2
    listed = on_warehouse(["metrics", "list"], warehouse).stdout
    line = next(line for line in listed.splitlines() if line.startswith(curated[0]["metric_id"]))
    assert "  m  " in line
    with db.connect(warehouse, read_only=True) as con:
        catalogue = Catalogue(read_warehouse(con))
    pages = trends_md(catalogue, tmp_path) + single_year_md(catalogue) + conflicts_md(catalogue)
    assert f"merged by analyst on {TODAY}" in pages
    assert f"Linked by: analyst (merged by analyst on {TODAY})" in conflicts_md(catalogue)


@pytest.mark.parametrize(("args", "named"), [
    (["metrics", "show", "m-000000000000"], "m-000000000000"),
    (["metrics", "merge", "m-000000000000", "{metric}"], "m-000000000000"),
    (["metrics", "merge", "{metric}", "{metric}"], "two different metrics"),
    (["metrics", "split", "{metric}", "obs-0000000000000000"], "obs-0000000000000000"),
    (["metrics", "split", "{metric}", "{other_figure}"], "is not in metric"),
    (["metrics", "split", "{metric}", "{all_figures}"], "at least one figure behind"),
    (["metrics", "rename", "m-000000000000", "A label"], "m-000000000000"),
    (["metrics", "rename", "{metric}", "   "], "label is empty"),
], ids=["show unknown", "merge unknown", "merge itself", "split unknown figure",
        "split a figure of another metric", "split everything", "rename unknown",
        "rename empty"])
def test_a_wrong_id_is_one_line_exit_2_and_changes_nothing(first_run, args, named) -> None:
    warehouse = first_run / "w.duckdb"
    metric_id, figures = _largest_metric(warehouse)
    other = next(obs for obs, metric in _membership(warehouse).items() if metric != metric_id)
    filled = []
    for arg in args:
        if arg == "{all_figures}":
            filled += figures
        else:
            filled.append(arg.format(metric=metric_id, other_figure=other))
    before = _state(warehouse)
    result = on_warehouse(filled, warehouse)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and named in result.stderr
    assert result.stderr.startswith("error: ")
    assert _state(warehouse) == before


def _state(warehouse: Path) -> tuple[Any, ...]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (sorted(con.execute("SELECT * FROM metrics").fetchall()),
                sorted(con.execute("SELECT * FROM metric_observations").fetchall()),
                con.execute("SELECT count(*) FROM curation_decisions").fetchall())


def test_a_missing_warehouse_is_not_created_and_a_busy_one_is_waited_for(first_run,
                                                                          tmp_path) -> None:
    missing = tmp_path / "none.duckdb"
    result = on_warehouse(["metrics", "rename", "m-000000000000", "x"], missing)
    assert result.returncode == 2 and "no warehouse at" in result.stderr
    assert not missing.exists()
    warehouse = copy_run(first_run, tmp_path)
    metric_id, _ = _largest_metric(warehouse)
    holder = duckdb.connect(str(warehouse))  # a run writing it
    try:
        result = on_warehouse(["metrics", "rename", metric_id, "x"], warehouse,
                              POLYSTAT_LOCK_WAIT="0")
    finally:
        holder.close()
    assert result.returncode == 1
    assert "in use by another polystat process" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_decision_makes_the_next_run_publish_again(first_run, tmp_path) -> None:
    """The report of the last run stands until an analyst decides something."""
    warehouse = copy_run(first_run, tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<html></html>", encoding="utf-8")
    con = db.connect(warehouse)
    try:
        store.start_run(con, "published", "pipeline", None, "test", {})
        store.finish_run(con, "published", "completed", {
            "run_id": "published", "publish": "done", "report": str(site / "index.html"),
            "report_code": plan.reports_code_version(str(tmp_path)), "curation": 0})
        assert plan.published_report(con, "", str(site), plan.reports_code_version(str(tmp_path)))
        metric_id, _ = _largest_metric_in(con)
        curation.rename(con, metric_id, "A label an analyst chose")
        code = plan.reports_code_version(str(tmp_path))
        assert plan.published_report(con, "", str(site), code) is None
    finally:
        con.close()


def _largest_metric_in(con: duckdb.DuckDBPyConnection) -> tuple[str, int]:
    found = con.execute("SELECT metric_id, count(*) FROM metric_observations GROUP BY ALL"
                        " ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
    assert found
    return found[0], found[1]


def test_a_figure_with_a_new_id_is_found_again_by_its_span_or_sentence(
        first_run, tmp_path) -> None:
    """Another extractor may read another unit at the same span (a new obs_id): the
    decision still finds the figure there, else by its sentence; a figure found nowhere
    is left out."""
    warehouse = copy_run(first_run, tmp_path)
    con = db.connect(warehouse)
    try:
        metric_id, figures = _largest_metric_in(con)
        curation.rename(con, metric_id, "A label an analyst chose")
        con.execute("UPDATE curation_figures SET obs_id = 'obs-read-as-a-count'"
                    " WHERE obs_id = (SELECT min(obs_id) FROM curation_figures)")
        found = {row[0] for row in con.execute("SELECT obs_id FROM curated_figures").fetchall()}
        members = {row[0] for row in con.execute(
            "SELECT obs_id FROM metric_observations WHERE metric_id = ?", [metric_id]).fetchall()}
        assert found == members and len(found) == figures
        con.execute("UPDATE curation_figures SET start = start + 1"
                    " WHERE obs_id = 'obs-read-as-a-count'")  # not at its span: its sentence
        assert len(con.execute("SELECT * FROM curated_figures").fetchall()) == figures
        con.execute("UPDATE curation_figures SET surface = 'elsewhere'"
                    " WHERE obs_id = 'obs-read-as-a-count'")  # nor in its sentence: gone
        assert len(con.execute("SELECT * FROM curated_figures").fetchall()) == figures - 1
    finally:
        con.close()
