"""The Sources page: every document (its title linked to its source page, the text with
every figure marked) with its publisher, language, translation coverage and the number
of statistics found (linked to its provenance page), and the commands that install
missing translation models."""

from __future__ import annotations

import re

from reports.markup import counted, language_name, md_text, percent_share, plain_number
from reports.pages.catalogue import Catalogue
from reports.pages.common import BREAK, Row

SOURCES_PER_TABLE = 250  # rows of one table on the sources page (each table cached apart)
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


def sources_md(c: Catalogue) -> str:
    if not c.documents:
        return "No documents yet."
    header = ["| | Title | Publisher | Language | Translated to English | Statistics |",
              "|:--|:-----------------------------|:--------------------|:----------------|"
              ":-------------------|---:|"]
    rows = []
    for doc in c.documents:
        source = c.source(doc["source_id"])
        title = f"**[{md_text(source.title)}]({c.source_page(doc['source_id'])})**<br>{_small(doc)}"
        rows.append(f"| {source.marker} | {title} | {md_text(doc.get('publisher')) or '—'} | "
                    f"{_languages(doc)} | {_coverage(doc)} | {_statistics_link(c, doc)} |")
    # tables of a few hundred rows, each its own part: adding a document changes one
    tables = ["\n".join(header + rows[i:i + SOURCES_PER_TABLE])
              for i in range(0, len(rows), SOURCES_PER_TABLE)]
    parts = [f"{counted(len(c.documents), 'document')} in the current corpus. Statistics always "
             "come from the original text; translations are glosses for readers.",
             *tables, _install_help(c.documents)]
    return BREAK.join(p for p in parts if p)


def _statistics_link(c: Catalogue, doc: Row) -> str:
    if not doc["n_statistics"]:
        return "0"
    return f"[{doc['n_statistics']:,}]({c.provenance_link(doc['source_id'])})"


def _small(doc: Row) -> str:
    details = [md_text(doc["source_id"])]
    if doc.get("published"):
        details.append(f"published {md_text(str(doc['published']))}")
    if doc.get("survey_year"):
        details.append(f"survey year {doc['survey_year']}")
    return "[" + " · ".join(details) + "]{.small}"


def _languages(doc: Row) -> str:
    """Detected language with its confidence; the declared one too when they differ."""
    declared, detected = doc.get("declared_language"), doc.get("detected_language")
    confidence = doc.get("language_confidence")
    sure = ""
    if confidence is not None:
        sure = f" [({plain_number(100 * confidence, 0)}\u00a0% sure)]{{.small}}"
    if not doc.get("language_mismatch"):
        return f"{md_text(language_name(detected or declared))}{sure}"
    return (f"[**Mismatch:**]{{.warning}} declared {md_text(language_name(declared))}, "
            f"detected {md_text(language_name(detected))}{sure}")


def _coverage(doc: Row) -> str:
    total, done = doc["segments_non_english"], doc["segments_translated"]
    if total == 0:
        return "not needed (English)"
    text = f"{percent_share(done, total)} ({done:,} of {counted(total, 'sentence')})"
    missing = [p for p in doc["missing_pairs"] if _LANGUAGE_CODE.match(p["src"])]
    if missing:
        text += "; missing model: " + ", ".join(f"{p['src']}→{p['tgt']}" for p in missing)
    return text


def _install_help(documents: list[Row]) -> str:
    commands = sorted({p["install"] for d in documents for p in d["missing_pairs"]
                       if _LANGUAGE_CODE.match(p["src"]) and _LANGUAGE_CODE.match(p["tgt"])})
    if not commands:
        return ""
    return ("## Missing translation models {#missing-translation-models}\n\n"
            "Sentences in these languages have no English gloss yet. Install the models "
            "(online from the argostranslate index, or offline "
            "with `polystat models install FILE.argosmodel`), then run `polystat run` again; "
            "figures do not change, only the English glosses are added:\n\n```\n"
            + "\n".join(commands) + "\n```")
