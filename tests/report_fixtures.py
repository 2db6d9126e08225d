"""A small but real warehouse for the publishing tests.

Documents are the corpus files in sources/ (plus one hostile document);
every span is found in the real text with str.find, never typed in as numbers.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from warehouse import db

SOURCES = Path(__file__).resolve().parent.parent / "sources"
RUN_1 = "run-2026-10-01"
RUN_2 = "run-2026-11-01"

HOSTILE_SOURCE = "hostile.txt"
HOSTILE_TITLE = '<script>alert(1)</script> Service Pulse =HYPERLINK("x")'
HOSTILE_TEXT = (
    "Service Pulse <script>alert(1)</script>\n"
    "In 2020, 90 % of decision makers said they were *accelerating* digital transformation "
    '#set page(width: 1cm) =HYPERLINK("x") $x$ @ref [link](javascript:alert(1)) `code` '
    "{{< include /etc/passwd >}} _under_ #strong[bold].\n"
)

# (source file, declared language, survey year, title, publisher)
DOCUMENTS = [
    ("000_32ea278a2476e42a.txt", "de", 2020,
     "Einblicke von über 7000 Kundenservice-Mitarbeitern weltweit (State of Service, 4. Ausgabe)",
     "Salesforce Research"),
    ("001_e6f45ab03d4a44ef.txt", "de", 2021,
     "Ein Jahr Corona – und was der Kundenservice daraus lernen kann", "Freshworks"),
    ("002_8540100f77c5eb5e.txt", "tr", 2022,
     "2022 Hizmet Durumu Raporu: müşteri hizmetlerinde 10 trend", "ZDNet (Turkish summary)"),
    ("003_19b5969eb5faa5a2.txt", "zh", 2020, "Salesforce:2020 客户服务报告",
     "鹈鹕全面客户体验管理"),
]


@dataclass(frozen=True)
class Figure:
    source: str
    claim: str          # an exact sentence of the document
    surface: str        # exact figure inside the claim
    value: float
    unit: str
    qualifier: str
    population: str
    year: int
    year_basis: str
    metric: str | None  # metric id, None = not linked


RESPONSES = "metric-survey-responses"
CAREER = "metric-career-path"
EXPERIENCE = "metric-experience-matters"
FIELD = "metric-field-service-key"
DIGITAL = "metric-digital-transformation"

METRICS = {
    RESPONSES: ("survey responses", "count", "service_professionals"),
    CAREER: ("service professionals who see a clear career path", "percent", "agents"),
    EXPERIENCE: ("customers for whom the experience matters as much as the products", "percent",
                 "customers"),
    FIELD: ("decision makers saying field service is key to their strategy", "percent",
            "decision_makers"),
    DIGITAL: ("decision makers accelerating digital transformation", "percent",
              "decision_makers"),
}

CAREER_CLAIM = "67% 的客服专业人员看到了清晰的职业道路,而 2018 年这一比例为 59%。"
FIGURES = [
    Figure("000_32ea278a2476e42a.txt",
           "Einblicke von über 7000 Kundenservice-Mitarbeitern weltweit",
           "7000", 7000, "count", "more_than", "service_professionals", 2020, "edition", RESPONSES),
    Figure("000_32ea278a2476e42a.txt",
           "In die Studie flossen 7.095 Antworten von hauptberuflichen Kundenservice-Mitarbeitern "
           "aus 33 Ländern und 6 Kontinenten ein.",
           "7.095", 7095, "count", "exact", "service_professionals", 2020, "edition", RESPONSES),
    Figure("001_e6f45ab03d4a44ef.txt",
           "Über 50 Prozent der Befragten haben eine erhöhte Abwanderung von Kunden festgestellt, "
           "wenn die Erwartungen nicht erfüllt wurden.",
           "50 Prozent", 50, "percent", "more_than", "respondents", 2021, "edition", None),
    Figure("002_8540100f77c5eb5e.txt", "için 8.050 müşteri hizmetleri uzmanıyla anket yaptı",
           "8.050", 8050, "count", "exact", "service_professionals", 2022, "edition", RESPONSES),
    Figure("002_8540100f77c5eb5e.txt",
           "Müşterilerin %88’i, bir şirketin sunduğu deneyimin, ürün veya hizmetleri kadar önemli "
           "olduğunu söylüyor – 2020’deki %80’e kıyasla.",
           "%88", 88, "percent", "exact", "customers", 2022, "edition", EXPERIENCE),
    Figure("002_8540100f77c5eb5e.txt",
           "Müşterilerin %88’i, bir şirketin sunduğu deneyimin, ürün veya hizmetleri kadar önemli "
           "olduğunu söylüyor – 2020’deki %80’e kıyasla.",
           "%80", 80, "percent", "exact", "customers", 2020, "explicit", EXPERIENCE),
    Figure("003_19b5969eb5faa5a2.txt", "81% 的决策者表示,他们正在加速实施数字转型计划。",
           "81%", 81, "percent", "exact", "decision_makers", 2020, "edition", DIGITAL),
    Figure("003_19b5969eb5faa5a2.txt",
           "来自 33 个国家和六大洲的全职客户服务专业人士的 7095 份回复。",
           "7095", 7095, "count", "exact", "service_professionals", 2020, "edition", RESPONSES),
    Figure("003_19b5969eb5faa5a2.txt", CAREER_CLAIM,
           "67%", 67, "percent", "exact", "agents", 2020, "edition", CAREER),
    Figure("003_19b5969eb5faa5a2.txt", CAREER_CLAIM,
           "59%", 59, "percent", "exact", "agents", 2018, "explicit", CAREER),
    Figure("003_19b5969eb5faa5a2.txt", "75% 的决策者表示,现场服务是他们整体战略的关键。",
           "75%", 75, "percent", "exact", "decision_makers", 2020, "edition", FIELD),
    Figure("003_19b5969eb5faa5a2.txt", "80% 的决策者表示,现场服务是他们整体战略的关键部分。",
           "80%", 80, "percent", "exact", "decision_makers", 2020, "edition", FIELD),
    Figure(HOSTILE_SOURCE, HOSTILE_TEXT.splitlines()[1], "90 %", 90, "percent", "exact",
           "decision_makers", 2020, "explicit", DIGITAL),
]

ZH_TRANSLATED_CLAIM = "81% 的决策者表示,他们正在加速实施数字转型计划。"
ZH_TRANSLATION = ("As customer expectations change, a new digital-first playbook is emerging. "
                  "81% of decision makers say they are accelerating digital transformation.")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lines(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]


def _document_rows(run_id: str, extra: list[tuple[str, str, int, str, str, bytes]] | None = None
                   ) -> tuple[list[dict[str, object]], dict[str, tuple[str, str, str]]]:
    """sources rows + {file: (doc_id, text, detected language)}."""
    entries = [(f, lang, year, title, pub, (SOURCES / f).read_bytes())
               for f, lang, year, title, pub in DOCUMENTS]
    entries.append((HOSTILE_SOURCE, "de", 2020, HOSTILE_TITLE, "#set page(width: 1cm) *Evil*",
                    HOSTILE_TEXT.encode()))
    entries += extra or []
    sources: list[dict[str, object]] = []
    docs: dict[str, tuple[str, str, str]] = {}
    for file_name, lang, year, title, publisher, data in entries:
        sources.append({"source_id": file_name, "path": f"sources/{file_name}", "title": title,
                        "publisher": publisher, "url": None, "published": str(year),
                        "edition": None, "survey_year": year, "declared_language": lang,
                        "in_manifest": True, "run_id": run_id})
        detected = "en" if file_name == HOSTILE_SOURCE else lang
        docs[file_name] = (_sha(data), data.decode("utf-8"), detected)
    return sources, docs


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, object]) -> None:
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))


def build_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A completed run over the corpus + one hostile document; series and conflicts non-empty."""
    con = db.connect(path)
    _add_run(con, RUN_1, datetime(2026, 10, 1, 6, 0))
    _add_documents(con, RUN_1, FIGURES)
    for metric_id, (label, unit, population) in METRICS.items():
        _insert(con, "metrics", {"metric_id": metric_id, "label": label, "population": population,
                                 "unit": unit, "label_source": "concepts",
                                 "linker_version": "linker-test", "run_id": RUN_1})
    return con


AUTOMATION = "metric-automation-focus"
AUTOMATION_CLAIM = ("77% 的客服人员表示,自动化日常任务可以让他们专注于更复杂的工作,"
                    "而 2018 年这一比例为 69%。")
HWZ_SOURCE = "004_63cf3eb3103076c7.txt"


def add_second_run(con: duckdb.DuckDBPyConnection) -> None:
    """A later run: the HWZ study arrives (no figures) and a new metric with two years appears."""
    _add_run(con, RUN_2, datetime(2026, 11, 1, 6, 0))
    hwz = (SOURCES / HWZ_SOURCE).read_bytes()
    _add_documents(con, RUN_2, [], only=[HWZ_SOURCE],
                   extra=[(HWZ_SOURCE, "de", 2021, "Kundenservice 2021",
                           "HWZ Hochschule für Wirtschaft Zürich", hwz)])
    zh = "003_19b5969eb5faa5a2.txt"
    data = (SOURCES / zh).read_bytes()
    text = data.decode("utf-8")
    segments = {start: n for n, (start, _) in enumerate(_lines(text))}
    seg_of = {(zh, start): n for start, n in segments.items()}
    _insert(con, "metrics", {"metric_id": AUTOMATION,
                             "label": "agents saying automation lets them focus on complex work",
                             "population": "agents", "unit": "percent",
                             "label_source": "concepts", "linker_version": "linker-test",
                             "run_id": RUN_2})
    for n, (surface, value, year, basis) in enumerate([("77%", 77, 2020, "edition"),
                                                        ("69%", 69, 2018, "explicit")]):
        figure = Figure(zh, AUTOMATION_CLAIM, surface, value, "percent", "exact", "agents", year,
                        basis, AUTOMATION)
        _add_figure(con, RUN_2, n, figure, (_sha(data), text, "zh"), seg_of)


def _add_run(con: duckdb.DuckDBPyConnection, run_id: str, started: datetime) -> None:
    _insert(con, "runs", {"run_id": run_id, "flow": "pipeline", "flow_run_id": f"flow-{run_id}",
                          "started_at": started, "finished_at": started.replace(minute=5),
                          "status": "completed", "code_version": "0.1.0", "parameters": "{}"})


def _add_documents(con: duckdb.DuckDBPyConnection, run_id: str, figures: list[Figure],
                   only: list[str] | None = None,
                   extra: list[tuple[str, str, int, str, str, bytes]] | None = None) -> None:
    sources, docs = _document_rows(run_id, extra)
    for source in sources:
        if only is None or source["source_id"] in only:
            _insert(con, "sources", source)
    seg_of: dict[tuple[str, int], int] = {}
    for file_name, (doc_id, text, detected) in docs.items():
        if only is not None and file_name not in only:
            continue
        _insert(con, "documents", {
            "doc_id": doc_id, "source_id": file_name, "file_name": file_name, "text": text,
            "encoding": "utf-8", "n_bytes": len(text.encode()), "language": detected,
            "language_confidence": 0.99, "language_mismatch": False, "run_id": run_id})
        for seg_no, (start, end) in enumerate(_lines(text)):
            seg_of[(file_name, start)] = seg_no
            _insert(con, "segments", {
                "doc_id": doc_id, "seg_no": seg_no, "start": start, "end": end,
                "kind": "sentence", "language": detected, "language_confidence": 0.9,
                "language_method": "document", "run_id": run_id,
                "text_sha256": _sha(text[start:end].encode())})
            if text[start:end].find(ZH_TRANSLATED_CLAIM) >= 0:
                _add_translation(con, text[start:end], run_id)
    for n, figure in enumerate(figures):
        _add_figure(con, run_id, n, figure, docs[figure.source], seg_of)


def _add_translation(con: duckdb.DuckDBPyConnection, segment_text: str, run_id: str) -> None:
    _insert(con, "translations", {
        "text_sha256": _sha(segment_text.encode()), "src": "zh", "tgt": "en",
        "engine": "argostranslate", "model": "translate-zh_en", "model_version": "1.9",
        "source_text": segment_text, "translated": ZH_TRANSLATION, "status": "translated",
        "reason": None, "numbers_preserved": True, "numbers_missing": "[]", "run_id": run_id})


def _add_figure(con: duckdb.DuckDBPyConnection, run_id: str, n: int, figure: Figure,
                doc: tuple[str, str, str], seg_of: dict[tuple[str, int], int]) -> None:
    doc_id, text, _ = doc
    claim_start = text.find(figure.claim)
    if claim_start < 0:
        raise ValueError(f"{figure.source}: claim not found: {figure.claim[:40]}")
    start = claim_start + figure.claim.find(figure.surface)
    if start < claim_start:
        raise ValueError(f"{figure.source}: surface {figure.surface!r} not in claim")
    end = start + len(figure.surface)
    line_start = text.rfind("\n", 0, start) + 1
    obs_id = f"obs-{run_id[-5:]}-{n:03d}"
    _insert(con, "observations", {
        "obs_id": obs_id, "doc_id": doc_id, "seg_no": seg_of[(figure.source, line_start)],
        "start": start, "end": end, "surface": text[start:end], "value": figure.value,
        "unit": figure.unit, "qualifier": figure.qualifier, "population": figure.population,
        "year": figure.year, "year_basis": figure.year_basis, "group_key": None,
        "concepts": [], "claim": figure.claim, "claim_start": claim_start,
        "claim_end": claim_start + len(figure.claim), "rule": "test", "extractor_version": "t-1",
        "run_id": run_id})
    if figure.metric:
        # The field-service figures are one source restating a finding with two values.
        method = "restatement" if figure.metric == FIELD else "concepts"
        _insert(con, "metric_observations", {
            "metric_id": figure.metric, "obs_id": obs_id, "method": method, "score": 0.9,
            "linker_version": "linker-test", "run_id": run_id})
        # What the linker stores of each figure; the fixture's figures are of one study
        # (conflicts are only ever inside one study).
        _insert(con, "claims", {
            "obs_id": obs_id, "study": "fixture-study", "words": [], "words_en": [],
            "clause": figure.claim, "negated": False, "anaphor": False,
            "gloss": not any(ch.isdigit() for ch in figure.surface), "antecedent": None,
            "linker_version": "linker-test", "run_id": run_id})
