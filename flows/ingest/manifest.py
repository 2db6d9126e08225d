"""The typed model of one `[[source]]` entry of sources/manifest.toml.

A person writes the manifest, so every entry is checked: an unknown key (`survey_yaer`),
a value of the wrong kind or an implausible survey year makes that entry a reject that
names the file, the entry and the key; the other entries go on. flows/ingest.py reads the
manifest and turns each entry into a source with `validate_entry`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Strict, ValidationError, field_validator

from extract.languages import supported as supported_languages

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
