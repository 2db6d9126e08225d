"""The shape of the stages: Prefect flows and tasks themselves, a connection only from the
run's context, tasks run in turn without Prefect, and the analysis cached by content."""

from __future__ import annotations

from typing import Any, cast

import pytest
from prefect import Flow, Task, task
from prefect.context import TaskRunContext

from extract import analysis
from flows import stages
from flows.stages import PendingDocument


def _key(*docs: PendingDocument) -> str:
    return stages.analysis_cache_key(cast(TaskRunContext, None), {"docs": list(docs)})


def test_every_stage_is_a_prefect_flow_and_its_batch_work_a_task() -> None:
    for stage in (stages.ingest, stages.extract, stages.translate, stages.reconcile,
                  stages.publish):
        assert isinstance(stage, Flow), stage
    for work in (stages.read_documents, stages.analyse_documents):
        assert isinstance(work, Task), work
    assert stages.analyse_documents.cache_key_fn is stages.analysis_cache_key


def test_a_stage_called_outside_a_run_says_where_it_belongs() -> None:
    with pytest.raises(RuntimeError, match="using_warehouse"):
        stages.reconcile.fn("some-run")


def test_without_prefect_a_task_runs_on_each_batch_in_turn() -> None:
    calls: list[int] = []

    @task
    def double(batch: int) -> int:
        calls.append(batch)
        return 2 * batch

    results: Any = stages.each(double, [3, 1, 2])
    assert calls == []  # nothing runs before the first result is asked for
    assert list(results) == [6, 2, 4] and calls == [3, 1, 2]


def test_the_analysis_cache_key_follows_content_and_metadata_only() -> None:
    doc = PendingDocument("sha-1", "a.txt", "Text.", "de", 2024)
    assert _key(doc) == _key(PendingDocument("sha-1", "renamed.txt", "Text.", "de", 2024))
    assert _key(doc) != _key(PendingDocument("sha-2", "a.txt", "Text!", "de", 2024))
    assert _key(doc) != _key(PendingDocument("sha-1", "a.txt", "Text.", "tr", 2024))
    assert _key(doc) != _key(PendingDocument("sha-1", "a.txt", "Text.", "de", 2023))


def test_results_pickled_under_another_module_path_are_not_found_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    doc = PendingDocument("sha-1", "a.txt", "Text.", "de", 2024)
    here = _key(doc)
    monkeypatch.setattr(analysis.DocumentAnalysis, "__module__", "flows.analysis")
    assert _key(doc) != here
