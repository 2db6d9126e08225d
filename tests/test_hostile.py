"""Bad and hostile input through one real `polystat run` (subprocess, with publishing).

The sources folder holds the embedded corpus plus every kind of bad file
issue #8 names: each must be refused by name with its reason (exit code 2,
`polystat export rejects`) while everything else is stored; legacy encodings
must be decoded and recorded; a mixed-language document must yield figures
from each of its languages; and document text full of HTML, JavaScript,
Markdown, Typst and spreadsheet formulas must come out as text in the HTML
pages, the PDF, and the JSONL/CSV exports.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import time
from html import unescape
from pathlib import Path
from typing import Any

import cli_process
import duckdb
import pytest
from cli_process import polystat
from conftest import SOURCES

api_url = cli_process.api_url  # the shared fixture

ENCODED = {  # file -> (encoding, text, language, survey year)
    "utf16_bom.txt": ("utf-16", "Laut der Umfrage nutzen 64 Prozent der Servicemitarbeiter "
                                "inzwischen Chatbots im Alltag.\n", "de", 2023),
    "gb18030.txt": ("gb18030", "调查显示，百分之五十七的客户希望通过视频获得服务。\n", "zh", 2023),
    "cp1252.txt": ("cp1252", "Für 43 Prozent der Führungskräfte ist Kundenbindung wichtiger "
                             "als Größe – so die Studie.\n", "de", 2023),
    "iso8859_9.txt": ("iso-8859-9", "Ankete katılan müşterilerin yüzde 58'i hızlı çözüm "
                                    "bekliyor ve ağır şikâyetler azalıyor.\n", "tr", 2023),
}
MIXED = (
    "Global Service Survey 2023\n\n"
    "In Deutschland erwarten 71 Prozent der Kunden eine Antwort innerhalb eines Tages.\n\n"
    "在中国，百分之六十三的客户更喜欢在线聊天。\n\n"
    "Türkiye'de müşterilerin yüzde 49'u telefonla destek almayı tercih ediyor.\n\n"
    "Across all markets, 55% of agents say their workload grew last year.\n")
SCRIPT = "<script>alert('pwned')</script>"
# The same sentence with two values in one year: a conflict, so the PDF quotes it.
TWIN = (SCRIPT + " In 2023, {share}% of customers prefer the phone for **urgent** issues "
        '#set page(fill: red) =HYPERLINK("http://evil.example/") says <b>our</b> study.')
HOSTILE = (
    "Hostile Markup Survey 2023\n\n" + TWIN.format(share=62) + "\n\n"
    "Overall 71% of agents said yes to <img src=x onerror=alert(1)>.\n\n"
    '=HYPERLINK("http://evil.example/","click") says 45% of agents use AI daily.\n\n'
    "**Bold claim** with [a link](javascript:alert(1)) and {{< pagebreak >}}: "
    "38% of respondents agreed.\n\n"
    "#set page(fill: red) #let x = 1 $x^2$ @cite <label> and 27% of decision makers agreed.\n")
HOSTILE_TITLE = "<img src=x onerror=alert(2)> Hostile **title** #set text(red)"
TWIN_TITLE = '=HYPERLINK("http://evil.example/") Twin $x^2$ survey'
INJECTIONS = ("x' OR 1=1 --", "'; DROP TABLE observations; --", "obs-%' OR '1'='1")
HUGE_MB = 50


def _manifest_entry(file: str, **fields: Any) -> str:
    lines = ["", "[[source]]", f"file = {json.dumps(file)}"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


def _messy_sources(folder: Path, outside: Path) -> None:
    shutil.copytree(SOURCES, folder)
    entries = []
    for name, (encoding, text, lang, year) in ENCODED.items():
        (folder / name).write_bytes(text.encode(encoding))
        entries.append(_manifest_entry(name, title=name, language=lang, survey_year=year))
    (folder / "mixed.txt").write_text(MIXED, encoding="utf-8")
    (folder / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    (folder / "hostile_twin.txt").write_text("Twin Survey 2023\n\n" + TWIN.format(share=48)
                                             + "\n", encoding="utf-8")
    entries.append(_manifest_entry("mixed.txt", title="Mixed", survey_year=2023))
    # The twins report one study (a conflict needs one study: two studies measuring alike
    # are "other studies", never a conflict).
    entries.append(_manifest_entry("hostile.txt", title=HOSTILE_TITLE, language="en",
                                   survey_year=2023, publisher="=cmd|' /C calc'!A0",
                                   edition="twin-survey-2023"))
    entries.append(_manifest_entry("hostile_twin.txt", title=TWIN_TITLE, language="en",
                                   survey_year=2023, edition="twin-survey-2023"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    damaged = "Die Zufriedenheit stieg auf 80 Prozent über alle Kanäle.\n".encode()
    (folder / "damaged.txt").write_bytes(damaged[:30] + b"\xff\xfe" + damaged[30:])
    with (folder / "huge.txt").open("wb") as huge:  # 50 MB of plausible text lines
        line = b"Im Jahr 2023 nutzten 42 Prozent der Kunden den Chat.\n"
        huge.write(line * (HUGE_MB * 1_000_000 // len(line) + 1))
    shutil.copy(folder / "001_e6f45ab03d4a44ef.txt", folder / "copy_of_001.txt")
    (folder / "unlisted.txt").write_text("Kundenservice-Studie 2023\n\nRund 66 Prozent der "
                                         "Befragten loben den Service.\n", encoding="utf-8")
    (outside / "secret.txt").write_text("Secret 99% of nothing.\n", encoding="utf-8")
    (folder / "link_out.txt").symlink_to(outside / "secret.txt")
    entries += [_manifest_entry(name) for name in (
        "empty.txt", "missing.txt", "../../etc/passwd", "/etc/hosts", "../outside/secret.txt")]
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "".join(entries), encoding="utf-8")


@pytest.fixture(scope="module")
def messy_run(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("hostile")
    (base / "outside").mkdir()
    sources, warehouse, site = base / "sources", base / "w.duckdb", base / "site"
    _messy_sources(sources, base / "outside")
    started = time.perf_counter()
    done = polystat(["run", "--sources", str(sources), "--warehouse", str(warehouse),
                     "--out", str(site)], api_url)
    seconds = time.perf_counter() - started
    (sources / "huge.txt").unlink()  # pytest keeps old temp folders; 50 MB each adds up
    exports = {kind: polystat(["export", kind, "--warehouse", str(warehouse), "--format", fmt],
                              api_url).stdout
               for kind, fmt in (("rejects", "jsonl"), ("statistics", "jsonl"))}
    exports["statistics.csv"] = polystat(["export", "statistics", "--warehouse", str(warehouse),
                                          "--format", "csv"], api_url).stdout
    return {"process": done, "seconds": seconds, "warehouse": warehouse, "site": site,
            "exports": exports,
            "rejects": {r["path"]: r["problem"] for r in map(json.loads,
                                                            exports["rejects"].splitlines())},
            "statistics": [json.loads(line) for line in exports["statistics"].splitlines()]}


def _query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- bad input

EXPECTED_REJECTS = {
    "empty.txt": "file is empty",
    "image.txt": "binary file",
    "damaged.txt": "invalid UTF-8 at byte 30 (line 1)",
    "huge.txt": "over the 10 MB limit",
    "missing.txt": "listed in the manifest but missing",
    "../../etc/passwd": "leaves the sources folder",
    "/etc/hosts": "leaves the sources folder",
    "../outside/secret.txt": "leaves the sources folder",
    "link_out.txt": "outside the sources folder",
}
# A copy is stored once, under the original: a warning with advice, not a reject.
EXPECTED_WARNINGS = {
    "copy_of_001.txt": "duplicates 001_e6f45ab03d4a44ef.txt (same bytes)",
}


def test_a_run_with_bad_files_exits_2_and_names_each_file_and_problem(
        messy_run: dict[str, Any]) -> None:
    done = messy_run["process"]
    assert done.returncode == 2, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    printed = done.stderr.replace("\n", " ")
    for path, problem in EXPECTED_REJECTS.items():
        assert f"rejected: {path}" in printed, path
        assert problem in messy_run["rejects"][path], (path, messy_run["rejects"][path])
    for path, problem in EXPECTED_WARNINGS.items():
        assert f"warning: {path}" in printed and f"rejected: {path}" not in printed, path
        assert problem in messy_run["rejects"][path], (path, messy_run["rejects"][path])
    assert set(messy_run["rejects"]) == set(EXPECTED_REJECTS) | set(EXPECTED_WARNINGS)
    assert messy_run["seconds"] < 90  # the 50 MB file is refused without mining it


def test_everything_else_is_stored_and_legacy_encodings_are_recorded(
        messy_run: dict[str, Any]) -> None:
    stored = dict(_query(messy_run["warehouse"],
                         "SELECT source_id, encoding FROM current_documents"))
    assert set(stored) == {p.name for p in SOURCES.glob("*.txt")} | set(ENCODED) | {
        "mixed.txt", "hostile.txt", "hostile_twin.txt", "unlisted.txt"}
    for name, (encoding, text, _, _) in ENCODED.items():
        assert stored[name] == encoding
        assert _query(messy_run["warehouse"], "SELECT text FROM documents WHERE source_id = ?",
                      [name]) == [(text,)]
    unlisted = _query(messy_run["warehouse"], "SELECT in_manifest, survey_year FROM sources"
                                              " WHERE source_id = 'unlisted.txt'")
    assert unlisted == [(False, 2023)]


def test_figures_of_legacy_encoded_files_keep_exact_spans(messy_run: dict[str, Any]) -> None:
    by_doc: dict[str, set[tuple[str, float, str]]] = {}
    for r in messy_run["statistics"]:
        by_doc.setdefault(r["doc"], set()).add((r["surface"], r["value"], r["lang"]))
    assert ("64 Prozent", 64.0, "de") in by_doc["utf16_bom.txt"]
    assert ("百分之五十七", 57.0, "zh") in by_doc["gb18030.txt"]
    assert ("43 Prozent", 43.0, "de") in by_doc["cp1252.txt"]
    assert any(s.startswith("yüzde 58") and v == 58.0 and lang == "tr"
               for s, v, lang in by_doc["iso8859_9.txt"])
    texts = dict(_query(messy_run["warehouse"], "SELECT file_name, text FROM documents"))
    assert all(texts[r["doc"]][r["start"]:r["end"]] == r["surface"]
               for r in messy_run["statistics"])


def test_a_mixed_language_document_yields_figures_in_each_language(
        messy_run: dict[str, Any]) -> None:
    mixed = {(r["value"], r["lang"]) for r in messy_run["statistics"] if r["doc"] == "mixed.txt"}
    assert {(71.0, "de"), (63.0, "zh"), (49.0, "tr"), (55.0, "en")} <= mixed
    segment_languages = {lang for (lang,) in _query(
        messy_run["warehouse"], "SELECT s.language FROM segments s JOIN documents d"
                                " USING (doc_id) WHERE d.source_id = 'mixed.txt'")}
    assert {"de", "zh", "tr", "en"} <= segment_languages


def test_a_manifest_that_does_not_parse_stops_the_run_with_exit_1(
        api_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    (sources / "manifest.toml").write_text('[[source]]\nfile = "a.txt\n', encoding="utf-8")
    done = polystat(["run", "--sources", str(sources), "--warehouse", str(tmp_path / "w.duckdb"),
                     "--no-publish"], api_url)
    assert done.returncode == 1
    assert "manifest.toml: does not parse" in done.stderr and "line 2" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything was written


# --------------------------------------------------------------------------- hostile text


def _hostile_figures(messy_run: dict[str, Any]) -> list[dict[str, Any]]:
    found = [r for r in messy_run["statistics"] if r["doc"] == "hostile.txt"]
    assert {r["value"] for r in found} >= {62.0, 71.0, 45.0, 38.0, 27.0}
    return found


def test_hostile_markup_is_plain_text_in_every_html_page(messy_run: dict[str, Any]) -> None:
    _hostile_figures(messy_run)
    pages = {p.name: p.read_text(encoding="utf-8") for p in messy_run["site"].glob("*.html")}
    assert len(pages) >= 5
    for name, html in pages.items():
        for raw in (SCRIPT, "<b>yes</b>", "<img src=x onerror", "<label>",
                    'href="javascript:alert'):
            assert raw not in html, (name, raw)
    provenance = pages["provenance.html"]
    assert "&lt;script&gt;alert(" in provenance  # shown, escaped, as the document wrote it
    assert "=HYPERLINK(" in provenance and "#set page(fill: red)" in provenance
    assert "**Bold claim**" in provenance
    assert "{{< pagebreak >}}" in unescape(provenance)  # shown as written, never run
    sources_page = pages["sources.html"]
    assert "&lt;img src=x onerror=alert(2)&gt; Hostile **title** #set text(red)" in sources_page


def test_hostile_markup_is_plain_text_in_the_pdf(messy_run: dict[str, Any]) -> None:
    pdf = messy_run["site"] / "polystat-report.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    # The conflict between the twins quotes both sentences and names both sources.
    for share in (62, 48):
        assert " ".join(TWIN.format(share=share).split()) in flat
    assert HOSTILE_TITLE in flat and TWIN_TITLE in flat


def test_exports_carry_hostile_text_verbatim_and_csv_defuses_formulas(
        messy_run: dict[str, Any]) -> None:
    claims = {r["claim"] for r in _hostile_figures(messy_run)}
    assert any(c.startswith("=HYPERLINK(") for c in claims)  # JSONL: data exactly as written
    assert any(SCRIPT in c for c in claims)
    rows = list(csv.DictReader(io.StringIO(messy_run["exports"]["statistics.csv"])))
    hostile_rows = [r for r in rows if r["doc"] == "hostile.txt"]
    assert len(hostile_rows) == len(claims) or len(hostile_rows) >= 4
    for row in rows:
        for value in row.values():
            assert value[:1] not in ("=", "+", "@"), value
    assert any(r["claim"].startswith("'=HYPERLINK(") for r in hostile_rows)


def test_explain_binds_ids_and_is_not_fooled_by_sql_injection(
        api_url: str, messy_run: dict[str, Any]) -> None:
    warehouse = messy_run["warehouse"]
    before = _query(warehouse, "SELECT count(*) FROM observations")
    for ident in INJECTIONS:
        done = polystat(["explain", ident, "--warehouse", str(warehouse)], api_url)
        assert done.returncode == 1, done.stdout[:500]
        assert f"no observation or metric with id {ident!r}" in done.stderr.replace("\n", "")
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert _query(warehouse, "SELECT count(*) FROM observations") == before
    obs_id = messy_run["statistics"][0]["obs_id"]
    real = polystat(["explain", obs_id, "--json", "--warehouse", str(warehouse)], api_url)
    assert real.returncode == 0 and json.loads(real.stdout)["observation"]["obs_id"] == obs_id
