"""Quality floors: the gold scores may not drop below their pins in eval_baseline.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

BASELINE = json.loads((Path(__file__).parent / "eval_baseline.json").read_text(encoding="utf-8"))
GOLD = Path(__file__).resolve().parent / "gold"


@pytest.fixture(scope="module")
def scores(corpus_run) -> dict:
    result = CliRunner().invoke(app, ["eval", "--gold", str(GOLD), "--json", "--warehouse",
                                      str(corpus_run["warehouse"])])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", sorted(BASELINE["minimum"]))
def test_score_stays_above_its_pin(scores: dict, name: str) -> None:
    assert scores[name] >= BASELINE["minimum"][name], (
        f"{name} fell to {scores[name]:.3f} (pin {BASELINE['minimum'][name]}); "
        f"missed: {scores['missed'][:10]}")


@pytest.mark.parametrize("name", sorted(BASELINE["maximum"]))
def test_score_stays_below_its_ceiling(scores: dict, name: str) -> None:
    assert scores[name] <= BASELINE["maximum"][name], scores.get("trap_examples")
