"""Analyst curation, continued (issue 17, item 5): "possibly the same as" suggestions an
analyst can act on, `polystat metrics undo`, and curation told on the Overview page (which
the PDF includes as its first section).

The warehouse is real: a run of three documents of one study, two editions in two
languages (tests/gold2/corpus), linked by the real linker; the commands run as real
`polystat` processes, a full rebuild as a real run."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_process import on_warehouse
from conftest import GOLD2, ROOT
from corpus_files import (
    copy_documents,
    copy_run,
    linked_run,
    manifest_entries,
    write_manifest,
)

from flows.pipeline import run_without_prefect
from reports.pages.catalogue import Catalogue
from reports.pages.overview import headline_trends, overview_md
from reports.pandoc_typst import IN_REPORT
from reports.snapshot import read_warehouse, write_snapshot
from warehouse import db

TODAY = datetime.now(UTC).strftime("%Y-%m-%d")
# two editions of one study (German), and a Chinese report of the later one
STUDY = ["101_342b3c7f6a51fed7.txt", "102_4e199e80f5365d15.txt", "108_a0ad32ce0e509df2.txt"]


def _write_corpus(folder: Path, files: list[str], extra: str | None = None) -> None:
    """`folder` with these files of the gold2 corpus and their manifest entries; `extra`:
    the text of one more document of its own (a later run's new source)."""
    chosen = manifest_entries(GOLD2 / "corpus", files)
    copy_documents(GOLD2 / "corpus", folder, chosen)
    if extra is not None:
        (folder / "200_added.txt").write_text(extra, encoding="utf-8")
        chosen.append({"file": "200_added.txt", "title": "A later note", "language": "en"})
    write_manifest(folder, chosen)


@pytest.fixture(scope="module")
def study_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("curation-more")
    _write_corpus(base / "corpus", STUDY)
    return linked_run(base)


def _json(args: list[str], warehouse: Path) -> Any:
    done = on_warehouse([*args, "--json"], warehouse)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _suggested(warehouse: Path) -> list[dict[str, Any]]:
    return list(_json(["metrics", "suggestions", "--top", "100"], warehouse))


def _membership(warehouse: Path) -> dict[str, str]:
    """obs_id -> metric_id of every linked figure."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT obs_id, metric_id FROM metric_observations").fetchall())


def _groups(warehouse: Path) -> set[frozenset[str]]:
    """The metrics as sets of figures (ids of metrics aside)."""
    members: dict[str, set[str]] = {}
    for obs, metric in _membership(warehouse).items():
        members.setdefault(metric, set()).add(obs)
    return {frozenset(figures) for figures in members.values()}


def _figures_of(warehouse: Path, metric_id: str) -> list[str]:
    return [f["obs_id"] for f in _json(["metrics", "show", metric_id], warehouse)["figures"]]


def _ok(args: list[str], warehouse: Path, **env: str) -> str:
    done = on_warehouse(args, warehouse, **env)
    assert done.returncode == 0, done.stderr
    return done.stderr + done.stdout


def _pair(found: dict[str, Any]) -> frozenset[str]:
    return frozenset((found["metric_id"], found["similar_metric_id"]))


# --------------------------------------------------------------------------- suggestions


def _figure_rows(con: duckdb.DuckDBPyConnection, metric_id: str) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT o.doc_id, o.claim_start, o.year, o.value, o.unit, o.population"
        " FROM metric_observations mo JOIN current_observations o USING (obs_id)"
        " WHERE mo.metric_id = ?", [metric_id]).fetchall()


def _assert_may_be_suggested(con: duckdb.DuckDBPyConnection, found: dict[str, Any]) -> None:
    """Same unit and group; no sentence with figures of both; no document giving both
    different values for one year."""
    one, other = (_figure_rows(con, m) for m in (found["metric_id"], found["similar_metric_id"]))
    assert {(row[4], row[5]) for row in one} == {(row[4], row[5]) for row in other}
    assert not {row[:2] for row in one} & {row[:2] for row in other}
    for doc, _, year, value, *_ in one:
        assert all(abs(value - v) < 0.05 for d, _, y, v, *_ in other if (d, y) == (doc, year))


def test_suggestions_are_ranked_explained_and_accepted_by_their_merge(study_run,
                                                                     tmp_path) -> None:
    warehouse = copy_run(study_run, tmp_path)
    found = _suggested(warehouse)
    assert found, "two editions of one study leave some near misses"
    scores = [f["score"] for f in found]
    assert scores == sorted(scores, reverse=True) and all(0.2 <= s <= 1 for s in scores)
    assert all(f["metric_id"] < f["similar_metric_id"] for f in found)  # each pair once
    assert all("same group (" in f["reason"] and f["label"] and f["similar_label"]
               for f in found)
    # an edition continuing a series of the other: the suggestion the study is built for
    continued = [f for f in found if "same study (" in f["reason"]
                 and "no year in common" in f["reason"] and "their claims share" in f["reason"]]
    assert continued
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for suggestion in found:
            _assert_may_be_suggested(con, suggestion)
            shared = suggestion["shared_words"]
            words = {w for (ws,) in con.execute(
                "SELECT list_concat(c.words, c.words_en) FROM claims c JOIN metric_observations"
                " mo USING (obs_id) WHERE mo.metric_id = ?", [suggestion["metric_id"]]
            ).fetchall() for w in ws}
            assert set(shared) <= words

    top = found[0]
    shown = _ok(["metrics", "show", top["metric_id"]], warehouse)
    assert "possibly the same as" in shown and top["similar_metric_id"] in shown
    assert f"polystat metrics merge {top['metric_id']} {top['similar_metric_id']}" in shown
    explained = _ok(["explain", top["similar_metric_id"]], warehouse)
    assert "possibly the same as" in explained and top["metric_id"] in explained
    assert f"polystat metrics merge {top['similar_metric_id']} {top['metric_id']}" in explained

    # run as printed, the line changes the warehouse it was read from (not the default one)
    assert top["accept"] == (f"polystat metrics merge {top['metric_id']} "
                             f"{top['similar_metric_id']} --warehouse {warehouse}")
    _ok(top["accept"].split()[1:], warehouse)  # accepting it is running its line
    metric_of = _membership(warehouse)
    merged = {metric_of[obs] for metric in (top["metric_id"], top["similar_metric_id"])
              for obs in _figures_of(study_run / "w.duckdb", metric)}
    assert len(merged) == 1
    assert _pair(top) not in {_pair(f) for f in _suggested(warehouse)}


def test_a_split_keeps_its_parts_out_of_the_suggestions_until_it_is_undone(study_run,
                                                                           tmp_path) -> None:
    warehouse = copy_run(study_run, tmp_path)
    before = _groups(warehouse)
    top = _suggested(warehouse)[0]
    second = _figures_of(warehouse, top["similar_metric_id"])
    _ok(top["accept"].split()[1:], warehouse)
    merged = _membership(warehouse)[second[0]]
    _ok(["metrics", "split", merged, *second], warehouse)
    metric_of = _membership(warehouse)
    parts = frozenset((metric_of[second[0]], metric_of[_figures_of(
        study_run / "w.duckdb", top["metric_id"])[0]]))
    assert len(parts) == 2 and _groups(warehouse) == before  # the figures are as before ...
    assert parts not in {_pair(f) for f in _suggested(warehouse)}  # ... but kept apart

    assert "undid decision 2 (a split)" in _ok(["metrics", "undo"], warehouse)
    assert len(_groups(warehouse)) == len(before) - 1  # merged again
    assert "undid decision 1 (a merge)" in _ok(["metrics", "undo"], warehouse)
    assert _groups(warehouse) == before
    assert _pair(top) in {_pair(f) for f in _suggested(warehouse)}  # offered again


# --------------------------------------------------------------------------- undo


def test_an_undone_merge_no_longer_applies_after_a_full_rebuild(study_run, tmp_path) -> None:
    warehouse = copy_run(study_run, tmp_path)
    before = _membership(warehouse)
    first, second = _suggested(warehouse)[:2]
    kept = [_figures_of(warehouse, m)[0] for m in (first["metric_id"], first["similar_metric_id"])]
    undone = [_figures_of(warehouse, m)[0]
              for m in (second["metric_id"], second["similar_metric_id"])]
    _ok(first["accept"].split()[1:], warehouse)
    _ok(second["accept"].split()[1:], warehouse)
    merged = _membership(warehouse)[undone[0]]
    assert _membership(warehouse)[undone[1]] == merged
    said = _ok(["metrics", "undo"], warehouse)
    assert "undid decision 2 (a merge)" in said and "(decision 3)" in said
    now = _membership(warehouse)
    assert now[undone[0]] != now[undone[1]] and now[kept[0]] == now[kept[1]]
    assert {obs: now[obs] for obs in undone} == {obs: before[obs] for obs in undone}
    history = _ok(["metrics", "show", now[undone[0]]], warehouse)
    assert f"#3  {TODAY}" in history and "undid decision #2 (a merge" in history
    assert "merged by analyst" not in history

    _write_corpus(tmp_path / "corpus", STUDY, extra="A later note.\n\n64% of companies agree.\n")
    with_rebuild = {"POLYSTAT_RELINK": "full"}
    summary = _run(tmp_path, warehouse, with_rebuild)
    assert summary["reconciled"] == "rebuilt: asked for a full rebuild"
    now = _membership(warehouse)
    assert now[kept[0]] == now[kept[1]]  # the merge in force holds
    assert now[undone[0]] != now[undone[1]]  # the undone one is not replayed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT kind, undoes FROM curation_decisions ORDER BY decision_id"
                           ).fetchall() == [("merge", None), ("merge", None), ("undo", 2)]


def _run(tmp_path: Path, warehouse: Path, env: dict[str, str]) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        return run_without_prefect(str(tmp_path / "corpus"), str(warehouse),
                                   str(tmp_path / "site"), publish=False)


def _labels(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT metric_id, label FROM metrics").fetchall())


def test_undo_takes_back_renames_in_turn_and_a_split_before_the_merge_it_splits(
        study_run, tmp_path) -> None:
    warehouse = copy_run(study_run, tmp_path)
    labels = _labels(warehouse)
    top = _suggested(warehouse)[0]
    metric = top["metric_id"]
    _ok(["metrics", "rename", metric, "Companies that see mainly a risk"], warehouse)
    _ok(["metrics", "rename", metric, "Companies seeing a risk above all"], warehouse)
    _ok(["metrics", "undo"], warehouse)
    assert _labels(warehouse)[metric] == "Companies that see mainly a risk"
    assert "undid decision 1 (a rename)" in _ok(["metrics", "undo", "1"], warehouse)
    assert _labels(warehouse) == labels  # the linker's label again

    second = _figures_of(warehouse, top["similar_metric_id"])
    # decisions 3 and 4 were the undos; 5 merges, 6 splits part of the merged metric
    _ok(top["accept"].split()[1:], warehouse)
    _ok(["metrics", "split", _membership(warehouse)[second[0]], second[0]], warehouse)
    state = _membership(warehouse)
    refused = on_warehouse(["metrics", "undo", "5"], warehouse)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "decision(s) 6" in refused.stderr and "metrics undo 6" in refused.stderr
    assert _membership(warehouse) == state
    _ok(["metrics", "undo", "6"], warehouse)
    _ok(["metrics", "undo", "5"], warehouse)
    assert _groups(warehouse) == _groups(study_run / "w.duckdb")


@pytest.mark.parametrize(("args", "said"), [
    (["metrics", "undo"], "nothing to undo"),
    (["metrics", "undo", "99"], "no decision 99"),
    (["metrics", "undo", "1"], "undone already (by decision 2)"),
    (["metrics", "undo", "2"], "is itself an undo (of decision 1)"),
], ids=["nothing left", "unknown", "undone already", "an undo"])
def test_what_cannot_be_undone_is_one_line_exit_2_and_changes_nothing(
        study_run, tmp_path, args, said) -> None:
    warehouse = copy_run(study_run, tmp_path)
    metric = _suggested(warehouse)[0]["metric_id"]
    _ok(["metrics", "rename", metric, "A label an analyst chose"], warehouse)
    _ok(["metrics", "undo"], warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        decisions = con.execute("SELECT count(*) FROM curation_decisions").fetchall()
    result = on_warehouse(args, warehouse)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ") and said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM curation_decisions").fetchall() == decisions


# --------------------------------------------------------------------------- the pages


def test_the_overview_and_so_the_pdf_say_what_analysts_did_to_a_headline_trend(
        study_run, tmp_path) -> None:
    warehouse = copy_run(study_run, tmp_path)
    with db.connect(warehouse, read_only=True) as con:
        headline = headline_trends(Catalogue(read_warehouse(con)))[0]
    assert "by analyst" not in _overview(warehouse)
    _ok(["metrics", "rename", headline["metric_id"], "Companies using AI"], warehouse)
    line = next(line for line in _overview(warehouse).splitlines()
                if line.startswith("- [Companies using AI]"))
    assert line.endswith(f"(label set by analyst on {TODAY})")
    # the PDF's first section is the Overview's fragment, headline trends and all
    assert IN_REPORT["index"] == "overview"
    assert "{{< include _generated/overview.md >}}" in (
        ROOT / "reports" / "report.qmd").read_text(encoding="utf-8")


def _overview(warehouse: Path) -> str:
    """The Overview's Markdown from the snapshot a publish writes."""
    with db.connect(warehouse, read_only=True) as con:
        return overview_md(Catalogue(write_snapshot(con, warehouse.parent / "data")))
