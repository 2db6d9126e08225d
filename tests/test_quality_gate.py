"""Quality floors: the scores on both gold sets may not drop below their pins in
eval_baseline.json. Both gold sets ship with the repository (tests/gold scores the embedded
corpus, tests/gold2 its own corpus of 13 documents), so a fresh clone runs the same gate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

TESTS = Path(__file__).resolve().parent
BASELINE = json.loads((TESTS / "eval_baseline.json").read_text(encoding="utf-8"))
PINS = [(gold_set, kind, name) for gold_set in ("gold", "gold2")
        for kind in ("minimum", "maximum") for name in sorted(BASELINE[gold_set][kind])]


@pytest.fixture(scope="module")
def gold2_run(prefect_harness, tmp_path_factory) -> Path:
    """The second development corpus processed once into a warehouse (no rendering)."""
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("gold2-run")
    shutil.copytree(TESTS / "gold2" / "corpus", base / "sources")
    warehouse = base / "w.duckdb"
    pipeline(str(base / "sources"), str(warehouse), str(base / "site"), publish=False)
    return warehouse


@pytest.fixture(scope="module")
def scores(corpus_run, gold2_run) -> dict[str, dict]:
    found = {}
    for gold_set, warehouse in (("gold", corpus_run["warehouse"]), ("gold2", gold2_run)):
        result = CliRunner().invoke(app, ["eval", "--gold", str(TESTS / gold_set), "--json",
                                          "--warehouse", str(warehouse)])
        assert result.exit_code == 0, result.output
        found[gold_set] = json.loads(result.stdout)
    return found


@pytest.mark.parametrize(("gold_set", "kind", "name"), PINS)
def test_score_stays_within_its_pin(scores: dict[str, dict], gold_set: str, kind: str,
                                    name: str) -> None:
    score, pin = scores[gold_set][name], BASELINE[gold_set][kind][name]
    within = score >= pin if kind == "minimum" else score <= pin
    assert within, (f"{gold_set} {name} is {score:.3f} ({kind} pin {pin}); missed: "
                    f"{scores[gold_set]['missed'][:10]}; traps: "
                    f"{scores[gold_set].get('trap_examples', [])[:5]}")
