"""The one settings table: every setting has a type, a default and a help text.

A value comes from, in order of precedence: an environment variable (POLYSTAT_<NAME>),
the settings file (`polystat.toml` in the current directory, or the file named by
POLYSTAT_CONFIG), the default. Every value is checked when the command line starts
(`check()`), so a bad one is a one-line error naming the setting, where its value came
from and what it should be. `polystat settings` shows them all.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from extract import lexicon
from extract.languages import supported as supported_languages

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "POLYSTAT_"
CONFIG_FILE = "polystat.toml"
CONFIG_ENV = "POLYSTAT_CONFIG"  # names a settings file elsewhere (a scheduled run's cwd varies)


class SettingsError(ValueError):
    """One or more settings have values polystat cannot use; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _language_codes(value: str) -> str:
    codes = [code.strip() for code in value.split(",") if code.strip()]
    if not codes:
        raise ValueError("no language given")
    for code in codes:
        if not lexicon.has_language(code):
            raise ValueError(f"no language data for {code!r}")
    return value


def _memory_size(value: str) -> str:
    # The sizes warehouse.db accepts for DuckDB's memory_limit (checked there again).
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value.strip()):
        raise ValueError("")
    return value


def _timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("") from exc
    return value


def _site_url(value: str) -> str:
    if value and not re.fullmatch(r"https?://[^\s\"'<>]+", value):
        raise ValueError("")
    return value.rstrip("/")


def _setting(default: Any, help: str, expected: str) -> Any:
    """A field with its help text and what a valid value looks like (for error messages)."""
    return Field(default, description=help, json_schema_extra={"expected": expected})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    warehouse: Path = _setting(
        PROJECT_ROOT / ".polystat" / "warehouse.duckdb",
        "DuckDB file that holds every run, document, figure and metric.", "a file path")
    sources: Path = _setting(
        PROJECT_ROOT / "sources", "Folder of documents plus manifest.toml to process.",
        "a folder path")
    out: Path = _setting(
        PROJECT_ROOT / "reports" / "_site",
        "Folder the HTML pages and the PDF report are written to.", "a folder path")
    # Every language folder (extract/lang and POLYSTAT_LEXICON_DIR), read when settings are.
    languages: Annotated[str, AfterValidator(_language_codes)] = Field(
        default_factory=lambda: ",".join(supported_languages()),
        description="Languages the detector may choose from (comma separated); by default "
                    "every language folder in extract/lang and POLYSTAT_LEXICON_DIR.",
        json_schema_extra={"expected": "language codes with data in extract/lang, comma "
                                       "separated, such as de,tr,zh,en"})
    models_dir: str = _setting(
        "", "argostranslate package folder; empty means argostranslate's own default.",
        "a folder path, or nothing")
    max_document_mb: Annotated[float, Field(gt=0)] = _setting(
        10.0, "Largest document a run accepts, in MB of text (mining takes ~5 s per MB); "
              "bigger files are rejected with their size.",
        "a number of megabytes above 0, such as 10 or 2.5")
    max_file_mb: Annotated[float, Field(gt=0)] = _setting(
        50.0, "Largest PDF or HTML file a run opens, in MB of the file's bytes, checked before "
              "it is parsed (parsing a big web page takes ~1.3 s and ~30 MB of memory per MB); "
              "bigger files are rejected with their size.",
        "a number of megabytes above 0, such as 50 or 120")
    db_memory: Annotated[str, AfterValidator(_memory_size)] = _setting(
        "1GB", "Most memory DuckDB may use for the warehouse (larger joins spill to disk); "
               "a size such as 1GB or 512MB.", "a size such as 1GB or 512MB")
    lock_wait: Annotated[float, Field(ge=0)] = _setting(
        30.0, "Seconds a run waits for another process to release the warehouse.",
        "a number of seconds, 0 or more")
    relink: Literal["auto", "full"] = _setting(
        "auto", "How reconcile treats new figures: auto links them into the existing metrics "
                "(a rebuild when figures were removed or the linker changed); full rebuilds "
                "every metric on every run.", "auto or full")
    verify: Literal["stat", "hash"] = _setting(
        "stat", "How ingest finds changed sources: stat skips files whose size, mtime, ctime "
                "and inode are those of the last run (and reuses the parsed manifest); hash "
                "reads and hashes every file and parses the manifest.", "stat or hash")
    report_title: str = _setting(
        "", "Title of the reports (Overview and PDF); empty: the [report] title of the sources' "
            "manifest.toml, else a neutral one. In polystat.toml also as [report] title.",
        "text, or nothing")
    report_subtitle: str = _setting(
        "", "Subtitle of the reports; empty: the manifest's [report] subtitle, else a neutral "
            "one. In polystat.toml also as [report] subtitle.", "text, or nothing")
    site_url: Annotated[str, AfterValidator(_site_url)] = _setting(
        "", "Address the HTML pages are published at: the PDF links to them there; empty: the "
            "PDF names other pages in plain text (a relative link breaks once it is passed on).",
        "an http:// or https:// address, or nothing")
    timezone: Annotated[str, AfterValidator(_timezone)] = _setting(
        "UTC", "Timezone of the monthly schedule (06:00 on the 1st).",
        "an IANA timezone such as UTC or Europe/Berlin")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment over file over defaults; no .env files, no secrets folders.
        return env_settings, _FileSource(settings_cls, _file_values())


_PATH_FIELDS = ("warehouse", "sources", "out", "models_dir")


class _FileSource(PydanticBaseSettingsSource):
    """The settings file's values (already read and parsed by `_file_values`)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def settings_file() -> Path:
    """The settings file polystat reads (it need not exist)."""
    named = os.environ.get(CONFIG_ENV)
    return Path(named) if named else Path.cwd() / CONFIG_FILE


def _file_values() -> dict[str, Any]:
    path = settings_file()
    if not path.is_file():
        if os.environ.get(CONFIG_ENV):
            raise SettingsError([f"{path}: no such settings file ({CONFIG_ENV} names it)"])
        return {}
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError([f"{path}: does not parse: {exc}"]) from exc
    values = _flat_report_table(values)
    for name in _PATH_FIELDS:  # a relative path is relative to the file, not to the cwd
        value = values.get(name)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            values[name] = str((path.parent / value).resolve())
    return values


def _flat_report_table(values: dict[str, Any]) -> dict[str, Any]:
    """`[report] title = ...` is the setting report_title (one settings table, flat)."""
    table = values.get("report")
    if not isinstance(table, dict):
        return values
    flat = {name: value for name, value in values.items() if name != "report"}
    for key, value in table.items():
        flat[f"report_{key}"] = value
    return flat


# --------------------------------------------------------------------------- current values

_current: tuple[Any, Settings] | None = None


def _state() -> tuple[Any, ...]:
    """What the settings are read from: a change in any of it reads them again."""
    env = tuple(os.environ.get(s.env) for s in SETTINGS)
    path = settings_file()
    try:
        stat = path.stat()
        file_id: Any = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        file_id = str(path)
    return env, os.environ.get(CONFIG_ENV), os.environ.get("POLYSTAT_LEXICON_DIR"), file_id


def current() -> Settings:
    """The settings now (tests and callers may change the environment between calls)."""
    global _current
    state = _state()
    if _current is None or _current[0] != state:
        _current = (state, _read())
    return _current[1]


def _read() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise SettingsError(_problems(exc)) from None


def check() -> None:
    """Raise SettingsError naming every setting polystat cannot use (the CLI calls this
    first, before it imports Prefect)."""
    current()


def get(name: str) -> Any:
    """One setting's current value, typed (a Path, a float, a str)."""
    return getattr(current(), name)


def languages() -> tuple[str, ...]:
    return tuple(code.strip() for code in get("languages").split(",") if code.strip())


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    help: str
    expected: str

    def value(self) -> Any:
        return get(self.name)

    def source(self) -> str:
        """Where the current value comes from: env, file or default."""
        if os.environ.get(self.env) is not None:
            return "env"
        return "file" if self.name in _file_values() else "default"


def _table() -> tuple[Setting, ...]:
    rows = []
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        rows.append(Setting(name, f"{ENV_PREFIX}{name.upper()}",
                            field.get_default(call_default_factory=True),
                            field.description or "", str(extra.get("expected", ""))))
    return tuple(rows)


SETTINGS: tuple[Setting, ...] = _table()
_BY_NAME = {s.name: s for s in SETTINGS}


def _problems(exc: ValidationError) -> list[str]:
    """One line per bad setting: name, where the value came from, what is expected."""
    found: dict[str, str] = {}
    for error in exc.errors():
        key = str(error["loc"][0]) if error["loc"] else "?"
        if key in found:
            continue
        setting = _BY_NAME.get(key)
        if setting is None:  # only the settings file can hold a name that is no setting
            close = difflib.get_close_matches(key, list(_BY_NAME), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            found[key] = (f"{settings_file()}: unknown setting `{key}`{hint}; settings are "
                          f"{', '.join(_BY_NAME)}")
            continue
        where = setting.env if os.environ.get(setting.env) is not None else str(settings_file())
        detail = (str(error["msg"]).removeprefix("Value error, ")
                  if error["type"] == "value_error" else "")
        found[key] = (f"setting {key} ({where}) = {error['input']!r}: "
                      f"{detail + '; ' if detail else ''}expected {setting.expected}")
    return list(found.values())
