"""The extractor's version covers its code: a change that forgets to raise
EXTRACTOR_VERSION still re-mines, never serves figures of the old code."""

from __future__ import annotations

import shutil
from pathlib import Path

from extract import analysis

EXTRACT = Path(analysis.__file__).resolve().parent


def test_the_version_names_the_code_it_was_mined_with() -> None:
    assert f"+code-{analysis.code_fingerprint()}+" in analysis.extractor_version()


def test_a_change_to_the_extractor_code_changes_its_fingerprint(tmp_path: Path) -> None:
    copy = tmp_path / "extract"
    shutil.copytree(EXTRACT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = analysis.fingerprint_of(copy)
    assert before == analysis.code_fingerprint()
    rules = copy / "context" / "years.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# a changed rule\n",
                     encoding="utf-8")
    assert analysis.fingerprint_of(copy) != before


def test_translation_code_does_not_re_mine(tmp_path: Path) -> None:
    copy = tmp_path / "extract"
    shutil.copytree(EXTRACT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = analysis.fingerprint_of(copy)
    model = copy / "translate.py"
    model.write_text(model.read_text(encoding="utf-8") + "\n# faster batches\n", encoding="utf-8")
    assert analysis.fingerprint_of(copy) == before
