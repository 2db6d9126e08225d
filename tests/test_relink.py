"""Incremental reconciliation: documents added run by run give the metrics of a rebuild."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

import duckdb
import pytest
from corpus_files import write_documents, write_manifest  # tests/ is on sys.path

from flows.pipeline import run_without_prefect
from warehouse import link_growing, linking, reconcile, relink, relink_picks
from warehouse.link_claims import Node, attach_claims, linker_unit

ROOT = Path(__file__).resolve().parent.parent


def _add_in_runs(source: Path, work: Path, batches: int,
                 between: Callable[[Path], None] | None = None
                 ) -> tuple[Path, list[dict[str, Any]]]:
    """Copy `source`'s documents into a corpus folder a batch at a time, one run each
    (`between` is called with the warehouse after each run but the last)."""
    entries = tomllib.loads((source / "manifest.toml").read_text(encoding="utf-8"))["source"]
    corpus, warehouse = work / "corpus", work / "w.duckdb"
    corpus.mkdir(parents=True)
    step = -(-len(entries) // batches)
    summaries = []
    for end in range(step, len(entries) + step, step):
        if summaries and between is not None:
            between(warehouse)
        for entry in entries[end - step:end]:
            shutil.copy(source / entry["file"], corpus / entry["file"])
        write_manifest(corpus, entries[:end])
        summaries.append(run_without_prefect(str(corpus), str(warehouse), str(work / "site"),
                                             publish=False))
    return warehouse, summaries


def _metrics(con: duckdb.DuckDBPyConnection) -> dict[frozenset[str], tuple[str, str]]:
    rows = con.execute("SELECT list(obs_id), metric_id, any_value(label) FROM metric_observations"
                       " JOIN metrics USING (metric_id) GROUP BY metric_id").fetchall()
    return {frozenset(members): (metric_id, label) for members, metric_id, label in rows}


def _rebuilt(con: duckdb.DuckDBPyConnection) -> dict[frozenset[str], tuple[str, str]]:
    """What a rebuild from nothing makes of the same warehouse (rolled back afterwards)."""
    con.execute("BEGIN")
    try:
        reconcile.rebuild(con, "rebuild-check")
        return _metrics(con)
    finally:
        con.execute("ROLLBACK")


def _pairs(metrics: dict[frozenset[str], Any]) -> set[tuple[str, str]]:
    return {pair for members in metrics for pair in combinations(sorted(members), 2)}


def test_the_corpus_added_document_by_document_gives_the_metrics_of_a_rebuild(tmp_path) -> None:
    warehouse, summaries = _add_in_runs(ROOT / "sources", tmp_path, batches=5)
    assert summaries[0]["reconciled"] == "rebuilt: no metrics yet"
    assert [s["reconciled"] for s in summaries[1:]] == ["extended"] * 4
    with duckdb.connect(str(warehouse)) as con:
        extended = _metrics(con)
        assert extended == _rebuilt(con)  # same members, same ids, same labels
        assert relink.why_rebuild(con) is None


def test_reading_the_current_figures_leaves_the_optimizer_as_it_was(tmp_path) -> None:
    """The run's table of current figures is read with DuckDB's build-side choice off (its
    joins as written: relink_picks._joins_as_written): the same rows, and the
    connection's own settings are back afterwards."""
    warehouse, _ = _add_in_runs(ROOT / "sources", tmp_path, batches=1)
    with duckdb.connect(str(warehouse)) as con:
        expected = con.execute("SELECT count(*), count(metric_id) FROM ("
                               + relink_picks._OBSERVATIONS.split(" AS\n", 1)[1] + ")").fetchone()
        for setting in ("", "join_order"):
            con.execute("SET disabled_optimizers = ?", [setting])
            relink_picks.read_observations(con)
            assert con.execute("SELECT count(*), count(metric_id) FROM _relink_obs"
                               ).fetchone() == expected
            assert expected is not None and expected[0] > 100 and expected[1] == expected[0]
            assert con.execute("SELECT current_setting('disabled_optimizers')"
                               ).fetchone() == (setting,)
            con.execute("DROP TABLE _relink_obs")


def test_the_unseen_corpora_added_in_runs_give_the_metrics_of_a_rebuild(tmp_path) -> None:
    """Every folder of documents written for the identity tests (releases, press, lists,
    markets, sub-groups, Turkish and Chinese society reports: ~85 documents) as one corpus,
    added in four runs: the same metrics, ids and labels as a rebuild."""
    together = tmp_path / "together"
    together.mkdir()
    entries = []
    for folder in sorted((ROOT / "tests").glob("unseen_*/")):
        for entry in tomllib.loads((folder / "manifest.toml").read_text("utf-8"))["source"]:
            shutil.copy(folder / entry["file"], together / entry["file"])
            entries.append(entry)
    write_manifest(together, entries)
    warehouse, summaries = _add_in_runs(together, tmp_path / "runs", batches=4)
    assert [s["reconciled"] for s in summaries[1:]] == ["extended"] * 3
    with duckdb.connect(str(warehouse)) as con:
        assert _metrics(con) == _rebuilt(con)


def _media_study(year: int, text: str) -> tuple[dict[str, Any], str]:
    return ({"title": f"Media Study {year}", "publisher": "Northfield (fictional)",
             "edition": f"nf-media-{year}", "survey_year": year, "language": "en",
             "url": f"https://example.org/nf-media-{year}", "published": f"{year}-11-01"}, text)


def test_a_part_that_refers_back_joins_its_own_measures_trend_in_either_run(tmp_path) -> None:
    """"Among parents the share was 21%" after paying for news, beside the same words after
    podcast listening in one edition: the next edition's parents who pay for news join the
    first (not the podcast one), whether the editions are linked together or one at a
    time (a block's first member refused by the others does not keep them apart)."""
    documents = {
        "m23.txt": _media_study(2023, "Media Study 2023\n\nWe asked 2,000 adults.\n\n41% of "
                                "adults listened to a podcast every week. Among parents the "
                                "share was 33%.\n\n18% of adults paid for online news. "
                                "Among parents the share was 21%.\n"),
        "m24.txt": _media_study(2024, "Media Study 2024\n\nWe asked 2,100 adults.\n\n20% of "
                                "adults paid for online news. Among parents the share was "
                                "24%.\n")}
    corpus, warehouse = tmp_path / "corpus", tmp_path / "w.duckdb"
    for files in (["m23.txt"], ["m23.txt", "m24.txt"]):
        write_documents(corpus, documents, files)
        summary = run_without_prefect(str(corpus), str(warehouse), str(tmp_path / "site"),
                                      publish=False)
    assert summary["reconciled"] == "extended"
    with duckdb.connect(str(warehouse)) as con:
        extended = _metrics(con)
        assert extended == _rebuilt(con)
        surfaces = dict(con.execute("SELECT obs_id, surface FROM observations").fetchall())
    trends = {frozenset(surfaces[obs] for obs in members) for members in extended}
    assert frozenset({"21%", "24%"}) in trends and not any("33%" in t and len(t) > 1
                                                          for t in trends)


def test_a_count_of_people_that_is_a_finding_joins_its_earlier_edition(tmp_path) -> None:
    """A count of people that is a finding (the unemployed), alone in its sentence: a
    relink picks the earlier edition's count by its claim, as a rebuild links them."""
    corpus = tmp_path / "releases"
    corpus.mkdir()
    entries = []
    for year, count, rate in ((2024, "3 milyon 80 bin", "%8,9"),
                              (2025, "2 milyon 940 bin", "%8,5")):
        name = f"isgucu_{year}.txt"
        (corpus / name).write_text(
            f"Hane Halkı İşgücü Bülteni {year}\n\n"
            f"Türkiye genelinde işsiz sayısı {year} yılında {count} kişi oldu.\n\n"
            f"İşsizlik oranı {year} yılında {rate} olarak gerçekleşti.\n", encoding="utf-8")
        entries.append({"file": name, "title": f"Hane Halkı İşgücü Bülteni {year}",
                        "publisher": "Kuzey İstatistik Ofisi (fictional)", "language": "tr",
                        "edition": f"isgucu-{year}", "survey_year": year})
    write_manifest(corpus, entries)
    warehouse, summaries = _add_in_runs(corpus, tmp_path / "work", batches=2)
    assert summaries[1]["reconciled"] == "extended"
    with duckdb.connect(str(warehouse)) as con:
        extended = _metrics(con)
        assert extended == _rebuilt(con)
        counts = con.execute("SELECT count(DISTINCT mo.metric_id) FROM observations o"
                             " JOIN metric_observations mo USING (obs_id)"
                             " WHERE o.unit = 'count'").fetchone()
    assert counts == (1,)  # the two editions' counts are one metric


def test_a_change_of_a_count_joins_its_earlier_edition(tmp_path) -> None:
    """"rose by 12,400 people": a change of a count, which the linker tells from the
    count's level (`link_claims.linker_unit`); a relink picks the earlier edition's change
    by the same unit, as a rebuild links them."""
    corpus = tmp_path / "releases"
    corpus.mkdir()
    entries = []
    for year, change, level in ((2024, "12,400", "1.91"), (2025, "9,800", "1.92")):
        name = f"labour_{year}.txt"
        (corpus / name).write_text(
            f"Regional Labour Market Bulletin {year}\n\n"
            f"Employment in the region rose by {change} people over the year to {level}"
            " million.\n\nThe employment rate of people aged 16 to 64 years was 74.8%.\n",
            encoding="utf-8")
        entries.append({"file": name, "title": f"Regional Labour Market Bulletin {year}",
                        "publisher": "Northshire Statistics Office (fictional)",
                        "language": "en", "edition": f"labour-{year}", "survey_year": year})
    write_manifest(corpus, entries)
    warehouse, summaries = _add_in_runs(corpus, tmp_path / "work", batches=2)
    assert summaries[1]["reconciled"] == "extended"
    with duckdb.connect(str(warehouse)) as con:
        assert _metrics(con) == _rebuilt(con)
        changes = con.execute("SELECT count(DISTINCT mo.metric_id), count(*) FROM observations o"
                              " JOIN metric_observations mo USING (obs_id)"
                              " WHERE o.rule LIKE '%count_change%'").fetchone()
    assert changes == (1, 2)  # the two editions' changes are one metric


def test_the_picks_compare_the_units_the_linker_compares() -> None:
    """The picks' SQL restates `link_claims.linker_unit` (a change of a count is no count):
    both read a rule id alike."""
    cases = [("count", "de.count_change"), ("count", "de.count_change_after+survey_population"),
             ("count", "count_change_particle"), ("count", "en.count_thing_subject"),
             ("percent", "en.count_change"), ("count", "zh.count_part+count_change")]
    with duckdb.connect() as con:
        for unit, rule in cases:
            found = con.execute(f"SELECT {relink_picks.LINKER_UNIT_SQL}"
                                " FROM (SELECT ? AS unit, ? AS rule) o", [unit, rule]).fetchone()
            assert found == (linker_unit(unit, rule),), (unit, rule)


def test_synthetic_editions_added_in_runs_stay_within_a_percent_of_a_rebuild(tmp_path) -> None:
    """Recombined real sentences with varied numbers: many equal wordings, many near values.
    Extending keeps earlier metrics as they stand, so a few figures may land differently
    than in a rebuild that sees every figure at once; the pairs of figures placed together
    agree to within a percent (measured: 0.996 precision, 0.998 recall on 200 documents)."""
    corpus = tmp_path / "synthetic"
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), "60", str(corpus)],
                   check=True, capture_output=True)
    warehouse, summaries = _add_in_runs(corpus, tmp_path / "work", batches=3)
    assert [s["reconciled"] for s in summaries[1:]] == ["extended"] * 2
    with duckdb.connect(str(warehouse)) as con:
        extended, rebuilt = _pairs(_metrics(con)), _pairs(_rebuilt(con))
    together = len(extended & rebuilt)
    assert together / len(extended) > 0.99 and together / len(rebuilt) > 0.99


def test_a_changed_document_or_another_linker_makes_a_rebuild(tmp_path) -> None:
    warehouse, _ = _add_in_runs(ROOT / "sources", tmp_path, batches=2)
    corpus = tmp_path / "corpus"
    document = sorted(corpus.glob("*.txt"))[0]
    document.write_text(document.read_text(encoding="utf-8") + "\n\n72% of customers agree.\n",
                        encoding="utf-8")
    summary = run_without_prefect(str(corpus), str(warehouse), str(tmp_path / "site"),
                                  publish=False)
    assert summary["reconciled"].startswith("rebuilt: ")
    assert "superseded" in summary["reconciled"]
    with duckdb.connect(str(warehouse)) as con:
        assert relink.why_rebuild(con) is None
        con.execute("UPDATE metrics SET linker_version = 'linker-0'")
        assert "another linker" in (relink.why_rebuild(con) or "")


def test_metrics_not_named_after_their_oldest_figure_are_rebuilt_not_extended(tmp_path) -> None:
    def rename_metrics(warehouse: Path) -> None:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("UPDATE metric_observations SET metric_id = metric_id || '-renamed'")
            con.execute("UPDATE metrics SET metric_id = metric_id || '-renamed'")

    warehouse, summaries = _add_in_runs(ROOT / "sources", tmp_path, batches=2,
                                        between=rename_metrics)
    assert summaries[1]["reconciled"].startswith("rebuilt: metric m-")
    assert "is not named after its oldest figure" in summaries[1]["reconciled"]
    with duckdb.connect(str(warehouse)) as con:
        assert _metrics(con) == _rebuilt(con)
        assert not con.execute("SELECT count(*) FROM metrics WHERE metric_id LIKE '%-renamed'"
                               ).fetchone()[0]  # type: ignore[index]


def test_the_full_setting_rebuilds_every_time(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("POLYSTAT_RELINK", "full")
    _, summaries = _add_in_runs(ROOT / "sources", tmp_path, batches=2)
    assert summaries[1]["reconciled"] == "rebuilt: asked for a full rebuild"


# --------------------------------------------------------------------------- merging


def _node(obs_id: str, doc: str, value: float, year: int, claim_start: int = 0) -> Node:
    claim = f"{value:g}% of agents say they have a clear career path."
    return Node(obs_id=obs_id, doc_id=doc, lang="en", value=value, unit="percent",
                qualifier="exact", population="agents", year=year, group_key=None,
                concepts=frozenset({"career_path"}), surface=f"{value:g}%", claim=claim,
                claim_start=claim_start, start=claim_start, end=claim_start + 3,
                order=(f"2026-0{year - 2015}", obs_id))


@pytest.mark.parametrize("shared", ["nothing", "a document", "a sentence"])
def test_a_new_figure_merges_two_metrics_unless_they_hold_one_document(shared) -> None:
    """Two existing metrics on one claim (kept apart earlier) and a new figure that links to
    both: they merge through it, unless the warehouse says they hold two different figures
    of one document or two measures of one sentence (which their representatives here do
    not show)."""
    nodes = attach_claims([
        _node("a", "d1", 40, 2018), _node("b", "d2", 60, 2018, claim_start=100),
        _node("n", "d3", 50, 2020)])
    stored = {"m-a": {"d1": ({0}, {(2018, 40.0, True)})},
              "m-b": {"d2": ({100}, {(2018, 60.0, True)})}}
    if shared == "a document":
        stored["m-b"]["d1"] = ({200}, {(2018, 45.0, True)})  # another claim of d1
    if shared == "a sentence":
        stored["m-b"]["d1"] = ({0}, {(2018, 45.0, True)})
    clusters = link_growing.Growing(nodes, {"a": "m-a", "b": "m-b"},
                               lambda one, two: (stored[one], stored[two]))
    grouped, _ = linking.link(nodes, clusters, new=lambda node: node.obs_id == "n")
    holding = [clusters.metrics.get(root, set()) for root in grouped]
    if shared != "nothing":
        assert {"m-a"} in holding and {"m-b"} in holding
    else:
        assert holding == [{"m-a", "m-b"}]


def test_stored_metrics_sharing_a_sentence_stay_apart(tmp_path) -> None:
    warehouse, _ = _add_in_runs(ROOT / "sources", tmp_path, batches=1)
    with duckdb.connect(str(warehouse)) as con:
        sentences = con.execute(
            "SELECT o.doc_id, o.claim_start, list(DISTINCT mo.metric_id ORDER BY mo.metric_id)"
            " FROM observations o JOIN metric_observations mo USING (obs_id)"
            " GROUP BY ALL HAVING count(DISTINCT mo.metric_id) > 1").fetchall()
        relink_picks.read_observations(con)  # (what a relink reads the stored figures from)
        figures_of = relink.stored_figures(con)
        clusters = link_growing.Growing([], {}, figures_of)
        assert sentences  # the corpus has sentences with two measures
        for _, _, metrics in sentences:
            assert clusters.stored_apart(metrics[0], metrics[1], across=False,
                                          within_study=True)


# --------------------------------------------------------------------------- picking


_PICK = relink_picks.pick  # (the tests below note what it picks)

def _made_up_word(number: int) -> str:
    """A word no lexicon knows, one per number: claims made of them share no word."""
    consonants = "bcdfghjklmnpqrstvwxz"
    letters = ""
    while True:
        number, digit = divmod(number, len(consonants))
        letters += consonants[digit] + "o"
        if not number:
            return "zu" + letters + "n"


def _picked_when_the_study_grows(tmp_path: Path, unrelated: int,
                                 monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sentences of the stored figures picked as counterparts of one new figure, in a
    study whose earlier edition holds one sentence on the same claim and `unrelated`
    figures on claims of their own."""
    corpus = tmp_path / f"corpus-{unrelated}"
    corpus.mkdir()
    sentences = ["In 2022, 35% of respondents plan to adopt cloud accounting software."]
    sentences += [f"{10 + n % 80}% of respondents {_made_up_word(3 * n)} the "
                  f"{_made_up_word(3 * n + 1)} {_made_up_word(3 * n + 2)}."
                  for n in range(unrelated)]
    (corpus / "acme-2022.txt").write_text("Acme survey 2022\n\n" + "\n\n".join(sentences) + "\n",
                                          encoding="utf-8")
    editions = [{"file": f"acme-{year}.txt", "title": f"Acme survey {year}",
                 "publisher": "Acme", "edition": f"acme-survey-{year}", "language": "en",
                 "survey_year": year} for year in (2022, 2023)]
    warehouse, site = str(tmp_path / f"w-{unrelated}.duckdb"), str(tmp_path / "site")
    write_manifest(corpus, editions[:1])
    run_without_prefect(str(corpus), warehouse, site, publish=False)
    picked: list[str] = []

    def pick_and_note(con: duckdb.DuckDBPyConnection) -> list[Node]:
        new = _PICK(con)
        picked.extend(row[0] for row in con.execute(
            "SELECT o.claim FROM observations o JOIN _relink_pick USING (obs_id)"
            " ORDER BY o.claim").fetchall())
        return new

    monkeypatch.setattr(relink_picks, "pick", pick_and_note)
    (corpus / "acme-2023.txt").write_text(
        "Acme survey 2023\n\n41% of respondents plan to adopt cloud accounting software.\n",
        encoding="utf-8")
    write_manifest(corpus, editions)
    summary = run_without_prefect(str(corpus), warehouse, site, publish=False)
    assert summary["reconciled"] == "extended"
    return picked


def test_a_new_figure_picks_only_the_figures_of_its_study_that_can_link(
        tmp_path, monkeypatch) -> None:
    """A study's other figures are counterparts only when they could link (a shorter
    wording shares two claim words; another language, the predicate ids): the pick stays
    the same however many unrelated figures the study holds."""
    few = _picked_when_the_study_grows(tmp_path, 5, monkeypatch)
    many = _picked_when_the_study_grows(tmp_path, 60, monkeypatch)
    assert few == many == ["In 2022, 35% of respondents plan to adopt cloud accounting software."]


# A survey in English and a German article on it, one edition: the article restates three
# shares in their order and gives one of its own (36%) that equals the survey's last.
_SURVEY = ("Commuter Survey 2025\n\n58% of commuters travel to work by car. 23% of commuters"
           " cycle to work at least once a week. 41% of commuters would switch to the train"
           " if tickets were cheaper. The share taking the bus fell by 4 percentage points."
           " The share walking to work rose by 2 percentage points. 36% of commuters say"
           " their journey takes longer than an hour.\n")
_ARTICLE = ("Pendlerstudie 2025\n\n58 Prozent der Pendler fahren mit dem Auto zur Arbeit. 23"
            " Prozent der Pendler radeln mindestens einmal pro Woche zur Arbeit. 36 Prozent"
            " der Pendler wohnen auf dem Land. 41 Prozent der Pendler würden auf die Bahn"
            " umsteigen, wäre sie billiger.\n")


def test_an_added_article_in_another_language_is_compared_by_the_whole_survey(tmp_path
                                                                              ) -> None:
    """The survey's stored figures that share a value with the article are all an
    incremental run reads of it; the order is judged among all the survey's figures (its
    36% follows the changes of bus and walking, not the article's 23%), as in a rebuild."""
    source = tmp_path / "source"
    source.mkdir()
    (source / "survey.txt").write_text(_SURVEY, encoding="utf-8")
    (source / "artikel.txt").write_text(_ARTICLE, encoding="utf-8")
    common = {"edition": "pendler-2025", "survey_year": 2025, "population": "commuters"}
    write_manifest(source, [{"file": "survey.txt", "language": "en", **common},
                             {"file": "artikel.txt", "language": "de", **common}])
    warehouse, summaries = _add_in_runs(source, tmp_path / "work", batches=2)
    assert summaries[1]["reconciled"] == "extended"
    with duckdb.connect(str(warehouse)) as con:
        extended = _metrics(con)
        values = dict(con.execute("SELECT obs_id, (SELECT file_name FROM documents d"
                                  " WHERE d.doc_id = o.doc_id) || ':' || value::INT"
                                  " FROM observations o").fetchall())
        assert extended == _rebuilt(con)
    together = {frozenset(values[obs] for obs in members) for members in extended}
    for value in (58, 23, 41):
        assert frozenset({f"survey.txt:{value}", f"artikel.txt:{value}"}) in together
    assert not any({"survey.txt:36", "artikel.txt:36"} <= members for members in together)
