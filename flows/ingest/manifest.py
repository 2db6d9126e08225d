"""sources/manifest.toml: the typed model of one `[[source]]` entry, and reading the file.

A person writes the manifest, so every entry is checked: an unknown key (`survey_yaer`),
a value of the wrong kind or an implausible survey year makes that entry a reject that
names the file, the entry and the key; the other entries go on. flows/ingest/sources.py
turns each entry into a source with `validate_entry`.

The file is parsed once per content: `read_entries` keeps the parsed entries in a cache
(the warehouse's, see `ManifestCache`) under the sha256 of its bytes.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import io
import json
import os
import re
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Strict, ValidationError, field_validator

from extract.languages import supported as supported_languages
from flows.ingest.documents import SourcesError

# Survey years a report can plausibly have: a larger or smaller number is a typo (99999
# would date every figure of the document 99999). Ten years ahead leaves room for
# forecasts published as "the 2030 study"; the check moves with the calendar.
FIRST_SURVEY_YEAR = 1900
YEARS_AHEAD = 10


def last_survey_year() -> int:
    return dt.date.today().year + YEARS_AHEAD


def _languages() -> tuple[str, ...]:
    """The language folders, listed once per folder setting (a manifest may hold 10,000
    entries; POLYSTAT_LEXICON_DIR may change between runs of one process)."""
    return _languages_with(os.environ.get("POLYSTAT_LEXICON_DIR"))


@cache
def _languages_with(user_dir: str | None) -> tuple[str, ...]:
    return supported_languages()


class ManifestEntry(BaseModel):
    """One `[[source]]` table. Numbers where text belongs (`edition = 4`) are read as text."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    file: str
    title: str | None = None
    publisher: str | None = None
    url: str | None = None
    published: str | Annotated[dt.datetime, Strict()] | Annotated[dt.date, Strict()] | None = None
    edition: str | None = None
    survey_year: int | None = None
    language: str | None = None
    author: str | None = None
    # Whom the survey asked, as a snake_case English group ("consumers"): the figures of
    # "Befragte", "respondents" and shares that name no group are about them.
    population: str | None = None

    @field_validator("population")
    @classmethod
    def _snake_case_group(cls, group: str | None) -> str | None:
        if group is not None and not re.fullmatch(r"[a-z][a-z0-9_]*", group):
            raise ValueError("expected a snake_case English group such as consumers")
        return group

    @field_validator("survey_year")
    @classmethod
    def _plausible_year(cls, year: int | None) -> int | None:
        if year is not None and not FIRST_SURVEY_YEAR <= year <= last_survey_year():
            raise ValueError("out of range")
        return year

    @field_validator("language")
    @classmethod
    def _known_language(cls, code: str | None) -> str | None:
        if code is not None and code not in _languages():
            raise ValueError("no language data")
        return code


FIELDS = tuple(ManifestEntry.model_fields)


class ReportSection(BaseModel):
    """The manifest's optional `[report]` table: what the reports of this corpus are called."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    title: str | None = None
    subtitle: str | None = None

_TEXT = "text in quotes"


def _expected(key: str) -> str:
    """What a person should write for `key` (the error message's second half)."""
    return {
        "file": 'the path of a document inside the sources folder: file = "report.txt"',
        "published": 'a date: published = "2021", "2021-03" or 2021-03-11',
        "survey_year": (f"the year the survey was fielded, a whole number from "
                        f"{FIRST_SURVEY_YEAR} to {last_survey_year()}: survey_year = 2021"),
        "language": ("the code of a language with data in extract/lang: "
                     + ", ".join(_languages())),
    }.get(key, _TEXT)


def validate_entry(raw: dict[str, Any]) -> ManifestEntry | str:
    """The entry, or what is wrong with it: one clause per bad key, naming the key."""
    try:
        return ManifestEntry.model_validate(raw)
    except ValidationError as exc:
        return "; ".join(_problems(raw, exc))


def _problems(raw: dict[str, Any], exc: ValidationError) -> list[str]:
    found: dict[str, str] = {}  # a union type reports one error per member: one line per key
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "?"
        if key in found:
            continue
        if error["type"] == "extra_forbidden":
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            found[key] = (f"unknown key `{key}`{hint}; a [[source]] entry holds "
                          f"{', '.join(FIELDS)}")
        elif error["type"] == "missing":
            found[key] = f"missing key `{key}`: {_expected(key)}"
        else:
            found[key] = f"{key} = {raw.get(key)!r}: expected {_expected(key)}"
    return list(found.values())


# --------------------------------------------------------------------------- reading the file

MANIFEST = "manifest.toml"


class ManifestCache(Protocol):
    """Parsed manifest entries by the sha256 of the manifest's bytes (stages.py keeps them
    in the warehouse): an unchanged 10,000-entry manifest is not parsed again (~1.9 s)."""

    def get(self, digest: str) -> list[Any] | None: ...

    def put(self, digest: str, entries: list[Any]) -> None: ...


# The cache holds the entries as parsed (unknown keys too: they are refused on every run),
# with TOML's dates and times tagged so that they come back as the same Python values. The
# version changes whenever what is cached changes; a cache written by other code is then a
# miss, never a wrong hit.
_CACHE_VERSION = "2|" + ",".join(FIELDS)
_TAG = "$toml"


def read_entries(manifest_path: Path, cache: ManifestCache | None) -> list[Any]:
    """The `[[source]]` entries: from the cache when the manifest's bytes are unchanged,
    else parsed (and cached). Parse errors are raised as before and never cached."""
    if not manifest_path.exists():
        return []
    data = manifest_path.read_bytes()
    digest = hashlib.sha256(_CACHE_VERSION.encode() + b"\0" + data).hexdigest()
    cached = cache.get(digest) if cache is not None else None
    if cached is not None:
        return cached
    try:
        # Exactly what `Path.read_text` gives: UTF-8, universal newlines.
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{manifest_path}: does not parse: {exc}") from exc
    unknown = sorted(set(document) - {"source", "report"})
    if unknown:  # `[[sources]]`: not one entry would be read
        raise SourcesError(f"{manifest_path}: unknown table or key `{unknown[0]}`; the manifest "
                           "holds [[source]] entries and one [report] table")
    _report_section(manifest_path, document.get("report", {}))
    parsed = document.get("source", [])
    entries = list(parsed) if isinstance(parsed, list) else [parsed]
    if cache is not None:
        cache.put(digest, entries)
    return entries


# Only a manifest that names the table is parsed for it: a 10,000-entry manifest takes
# ~1.9 s to parse, and publishing asks for the title on every run.
_REPORT_TABLE = re.compile(rb"^[ \t]*(\[[ \t]*report[ \t]*\]|report[ \t]*[.=])", re.MULTILINE)


def read_report_section(manifest_path: Path) -> ReportSection:
    """The manifest's `[report]` table (title, subtitle); empty when it has none."""
    if not manifest_path.exists():
        return ReportSection()
    data = manifest_path.read_bytes()
    if not _REPORT_TABLE.search(data):
        return ReportSection()
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{manifest_path}: does not parse: {exc}") from exc
    return _report_section(manifest_path, document.get("report", {}))


def _report_section(manifest_path: Path, table: Any) -> ReportSection:
    if not isinstance(table, dict):
        raise SourcesError(f"{manifest_path}: `report` must be a table: [report] then "
                           'title = "..." and subtitle = "..."')
    try:
        return ReportSection.model_validate(table)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            raise SourcesError(f"{manifest_path}: [report]: unknown key `{key}`; the table "
                               "holds title and subtitle") from None
        raise SourcesError(f"{manifest_path}: [report] {key} = {table.get(key)!r}: expected "
                           f'{_TEXT}: {key} = "..."') from None


def encode_manifest_entries(entries: list[Any]) -> str | None:
    """JSON of cached entries (TOML dates tagged); None if a value cannot round-trip."""
    def tag(value: Any) -> Any:
        for kind in (dt.datetime, dt.date, dt.time):  # datetime first: it is also a date
            if isinstance(value, kind):
                return {_TAG: kind.__name__, "iso": value.isoformat()}
        raise TypeError(type(value).__name__)

    def has_tag(value: Any) -> bool:
        if isinstance(value, dict):
            return _TAG in value or any(has_tag(v) for v in value.values())
        return isinstance(value, list) and any(has_tag(v) for v in value)

    if has_tag(entries):
        return None
    try:
        return json.dumps(entries, default=tag, allow_nan=True)
    except (TypeError, ValueError):
        return None


def decode_manifest_entries(text: str) -> list[Any]:
    """The entries `encode_manifest_entries` wrote, with their dates and times."""
    kinds: dict[str, Callable[[str], Any]] = {
        "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
        "time": dt.time.fromisoformat}

    def untag(value: dict[str, Any]) -> Any:
        if set(value) == {_TAG, "iso"} and value[_TAG] in kinds:
            return kinds[value[_TAG]](value["iso"])
        return value

    return list(json.loads(text, object_hook=untag))
