"""Glosses: a verbal share that restates an exact figure ("zwei Drittel (68 Prozent)").

Both are statistics; the verbal one records which figure it paraphrases, through to the
warehouse, and never takes part in a conflict.
"""

from __future__ import annotations

import duckdb

from extract import analysis
from extract.statistics import find_statistics
from warehouse.db import migrate

HEADLINE_AND_BODY = (
    "Two-thirds of shoppers pay for apps they never open\n\n"
    "Two-thirds of shoppers (68%) say they pay for at least one app they rarely open. "
    "A year ago the share stood at 61%.\n"
)


def test_gloss_points_at_the_exact_figure_of_its_sentence() -> None:
    text = "Ein Drittel der Beschäftigten (35 Prozent) arbeitet mobil, 20 Prozent nie."
    stats = find_statistics(text, "de", 2024)
    gloss, exact, other = stats
    assert gloss.paraphrase_of == (exact.start, exact.end)
    assert (gloss.qualifier, exact.paraphrase_of, other.paraphrase_of) == ("approx", None, None)


def test_headline_gloss_points_at_the_body_figure_it_restates() -> None:
    stats = find_statistics(HEADLINE_AND_BODY, "en", 2024)
    headline, body_gloss, exact, previous = stats
    assert headline.start < HEADLINE_AND_BODY.index("\n")
    assert headline.paraphrase_of == body_gloss.paraphrase_of == (exact.start, exact.end)
    assert headline.qualifier == body_gloss.qualifier == "approx"
    assert previous.paraphrase_of is None and previous.year == 2023


def test_observation_rows_name_the_glossed_observation() -> None:
    result = analysis.analyse(HEADLINE_AND_BODY, "en", 2024, ["en"])
    rows = analysis.observation_rows("doc-1", HEADLINE_AND_BODY, result, "run-1")
    exact = next(r for r in rows if r["surface"] == "68%")
    glosses = [r for r in rows if r["paraphrase_of"]]
    assert [r["surface"] for r in glosses] == ["Two-thirds", "Two-thirds"]
    assert {r["paraphrase_of"] for r in glosses} == {exact["obs_id"]}


def _observation(obs_id: str, value: float, paraphrase_of: str | None) -> dict[str, object]:
    return {"obs_id": obs_id, "doc_id": "d", "start": 0, "end": 1, "surface": "x",
            "value": value, "unit": "percent", "qualifier": "exact", "year": 2024,
            "claim": "x", "claim_start": 0, "claim_end": 1, "rule": "r",
            "extractor_version": "v", "run_id": "r1", "paraphrase_of": paraphrase_of}


def test_a_gloss_is_never_a_conflict() -> None:
    con = duckdb.connect()
    migrate(con)
    con.execute("INSERT INTO runs (run_id, flow, started_at, status, code_version) "
                "VALUES ('r1', 'pipeline', now(), 'completed', 'v')")
    con.execute("INSERT INTO documents (doc_id, source_id, file_name, text, encoding, n_bytes,"
                " run_id) VALUES ('d', 's', 'f', 'x', 'utf-8', 1, 'r1')")
    con.execute("INSERT INTO metrics VALUES ('m', 'share', NULL, 'percent', 'claim', 'v', 'r1')")
    # An exact-looking gloss ("Two-thirds" read without its own qualifier) beside 68%.
    for row in (_observation("exact", 68, None), _observation("gloss", 66.67, "exact")):
        columns = ", ".join(f'"{c}"' for c in row)
        con.execute(f"INSERT INTO observations ({columns}) VALUES "
                    f"({', '.join('?' for _ in row)})", list(row.values()))
        # Linked as a restatement (the one case where one source's two values conflict),
        # and not flagged as a gloss by the linker: only paraphrase_of keeps them apart.
        con.execute("INSERT INTO metric_observations VALUES ('m', ?, 'restatement', 1, 'v',"
                    " 'r1')", [row["obs_id"]])
        con.execute("INSERT INTO claims (obs_id, study, clause, negated, anaphor, gloss,"
                    " linker_version, run_id) VALUES (?, 'study', 'x', false, false, false, 'v',"
                    " 'r1')", [row["obs_id"]])
    con.execute("UPDATE observations SET claim_start = 5 WHERE obs_id = 'gloss'")
    assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (0,)
    # The same two values without the gloss link are a conflict (a restatement that differs).
    con.execute("UPDATE observations SET paraphrase_of = NULL")
    assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (1,)
