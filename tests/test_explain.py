"""The human form of `polystat explain`, on hand-made records (no warehouse)."""

from __future__ import annotations

from typing import Any

from flows.explain import summary


def _observation(n: int, year: int = 2021, **extra: Any) -> dict[str, Any]:
    claim = f"In {year}, {n}% of [b]managers[/b] agree."
    surface = f"{n}%"
    obs = {"obs_id": f"obs-{n:04d}", "doc_id": f"d{n % 3}", "start": 100 + claim.find(surface),
           "end": 100 + claim.find(surface) + len(surface), "claim_start": 100, "claim": claim,
           "surface": surface, "value": float(n), "unit": "percent", "qualifier": "exact",
           "population": "managers", "year": year, "year_basis": "edition", "run_id": "run-1"}
    obs.update(extra)
    return obs


def _record(obs: dict[str, Any], page: int | None = None) -> dict[str, Any]:
    return {"kind": "observation", "observation": obs,
            "document": {"file_name": "report [2021].pdf", "page": page},
            "source": {"title": "Survey [red]2021[/red]"}, "translations": [],
            "metric_links": [{"metric_id": "m-1", "label": "managers who agree"}],
            "run": {"status": "completed", "finished_at": "2026-11-01 06:00:00.123"}}


def _text(lines: list) -> str:  # type: ignore[type-arg]
    return "\n".join(line.plain for line in lines)


def test_an_observation_reads_as_figure_sentence_source_metric_run() -> None:
    text = _text(summary(_record(_observation(81), page=3)))
    assert "81%  = 81 percent, exact; population: managers; year: 2021 (edition)" in text
    assert "In 2021, »81%« of [b]managers[/b] agree." in text
    assert "report [2021].pdf — Survey [red]2021[/red]" in text
    assert "page      3" in text
    assert "m-1  managers who agree" in text
    assert "run-1 (completed, finished 2026-11-01 06:00:00)" in text


def test_the_page_line_appears_only_when_a_page_is_known() -> None:
    assert "page" not in _text(summary(_record(_observation(81))))


def test_an_offset_outside_the_sentence_is_said_not_guessed() -> None:
    text = _text(summary(_record(_observation(81, start=5, end=8))))
    assert "(figure not located in it)" in text and "»" not in text


def test_a_metric_lists_ten_members_and_counts_the_rest() -> None:
    members = [{"observation": _observation(n, year=2000 + n % 4),
                "document": {"file_name": f"doc{n % 3}.txt"}} for n in range(12)]
    record = {"kind": "metric", "observations": members[:10], "n_observations": 13,
              "n_documents": 3,
              "metric": {"metric_id": "m-9", "label": "managers who agree", "unit": "percent",
                         "population": "managers", "run_id": "run-2"},
              "series": [{"year": 2020, "min_value": 4.0, "max_value": 4.0, "agreement": True},
                         {"year": 2021, "min_value": 1.0, "max_value": 9.0,
                          "agreement": False}]}
    lines = _text(summary(record)).splitlines()
    assert lines[0].endswith("managers who agree")
    assert "2020: 4; 2021: 1–9 (conflict)" in lines[2]
    assert "13 in 3 documents" in lines[3]
    members_shown = [line for line in lines if line.startswith("  ") and "obs-" in line]
    assert [line.split()[-1] for line in members_shown] == [f"obs-{n:04d}" for n in range(10)]
    assert "  and 3 more (--json lists them all)" in lines
    assert lines[-2:] == ["run       run-2", "id        m-9"]
