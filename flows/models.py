"""Translation models: where argostranslate keeps them, and `polystat models` to list and
install them.

Models are argostranslate packages (.argosmodel files).  They live in the folder
named by POLYSTAT_MODELS_DIR, or argostranslate's own default when it is unset.
Only `install --from-index` uses the network; everything else works offline.

argostranslate reads its settings when first imported; `configure_argos` sets them (and
re-targets an already imported argos) so that packages and caches live where polystat is
told to keep them. This is the one place that sets argos's environment, creates its
folders and quiets its loggers; extract/translate.py gets argos's modules from here.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import typer

from extract import translate as tr
from flows import settings

TARGET = "en"
INDEX_TIMEOUT_SECONDS = 20
# argos picks its sentence splitter from this setting at import; SPACY would
# download a spaCy model right then.  polystat never uses argos's splitters.
_SAFE_CHUNK_TYPE = "MINISBD"
_ARGOS_LOGGERS = ("argostranslate", "argostranslate.utils", "stanza", "minisbd")

models_app = typer.Typer(help="Translation models (argostranslate packages): list, install.",
                         no_args_is_help=True, add_completion=False)


class ModelsError(Exception):
    """A models command cannot do what was asked; the message says why and what to do."""


# --------------------------------------------------------------------------- argos set-up


def configure_argos(packages_dir: Path | None, cache_dir: Path | None) -> None:
    """Point argostranslate at `packages_dir` and keep its data/config/cache under `cache_dir`.

    None leaves that part at argos's defaults (under the home directory).  Safe to call
    repeatedly; when argos is already imported its settings are re-targeted in place.
    """
    os.environ["ARGOS_CHUNK_TYPE"] = _SAFE_CHUNK_TYPE
    os.environ.setdefault("ARGOS_DEBUG", "0")
    if packages_dir is not None:
        os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir)
    if cache_dir is not None:
        for name, sub in _xdg_dirs(cache_dir).items():
            os.environ[name] = str(sub)
    argos_settings_module = sys.modules.get("argostranslate.settings")
    if argos_settings_module is not None:
        _retarget(argos_settings_module, packages_dir, cache_dir)
    _quiet_loggers()


def configured_argos() -> tr.Argos:
    """argos pointed at polystat's models folder (setting models_dir), ready to hand to
    extract/translate.py; nothing of argos is imported until a module is asked for."""
    models_dir = settings.get("models_dir")
    configure_argos(Path(models_dir) if models_dir else None, None)
    return ARGOS


def _xdg_dirs(cache_dir: Path) -> dict[str, Path]:
    return {"XDG_DATA_HOME": cache_dir / "data", "XDG_CONFIG_HOME": cache_dir / "config",
            "XDG_CACHE_HOME": cache_dir / "cache"}


def _retarget(argos: Any, packages_dir: Path | None, cache_dir: Path | None) -> None:
    """Apply new folders to an argos whose settings module (`argos`) was already imported."""
    argos.chunk_type = argos.ChunkType.MINISBD
    if cache_dir is not None:
        xdg = _xdg_dirs(cache_dir)
        argos.data_dir = xdg["XDG_DATA_HOME"] / "argos-translate"
        argos.config_dir = xdg["XDG_CONFIG_HOME"] / "argos-translate"
        argos.cache_dir = xdg["XDG_CACHE_HOME"] / "argos-translate"
        argos.downloads_dir = argos.cache_dir / "downloads"
        argos.settings_file = argos.config_dir / "settings.json"
        argos.local_package_index = argos.data_dir / "index.json"
        for folder in (argos.data_dir, argos.config_dir, argos.downloads_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if packages_dir is None and "ARGOS_PACKAGES_DIR" not in os.environ:
            packages_dir = argos.data_dir / "packages"
    if packages_dir is not None:
        Path(packages_dir).mkdir(parents=True, exist_ok=True)
        argos.package_data_dir = Path(packages_dir)
        argos.package_dirs = [Path(packages_dir)]


def _quiet_loggers() -> None:
    # argos logs every input text at INFO.
    for name in _ARGOS_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def argos_settings() -> Any:
    """argostranslate.settings, imported with polystat's safe defaults."""
    os.environ["ARGOS_CHUNK_TYPE"] = _SAFE_CHUNK_TYPE
    import argostranslate.settings as argos_settings_module

    _quiet_loggers()
    return argos_settings_module


def argos_package() -> Any:
    """argostranslate.package (light: no torch), imported with polystat's safe defaults."""
    argos_settings()
    import argostranslate.package as package

    _quiet_loggers()  # argostranslate.utils sets its own level when imported
    return package


def argos_translate() -> Any:
    """argostranslate.translate (imports stanza and torch: a few seconds, once)."""
    argos_package()
    import argostranslate.translate as translate_module

    _quiet_loggers()
    return translate_module


class _ArgosModules:
    """`extract.translate.Argos`: each module imported on first use, with the settings above."""

    @property
    def settings(self) -> Any:
        return argos_settings()

    @property
    def package(self) -> Any:
        return argos_package()

    @property
    def translate(self) -> Any:
        return argos_translate()


ARGOS: tr.Argos = _ArgosModules()


# --------------------------------------------------------------------------- commands


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _configure() -> Path:
    """Point argos at polystat's models folder; return the folder packages install into."""
    return Path(configured_argos().settings.package_data_dir)


def _wanted_sources() -> list[str]:
    return [lang for lang in settings.languages() if lang != TARGET]


@models_app.command("list")
def list_models() -> None:
    """Installed translation pairs, and the configured languages that still lack one."""
    folder = _configure()
    pairs = tr.installed_pairs(ARGOS)
    typer.echo(f"models folder: {folder}")
    for src, tgt, name, version in pairs:
        typer.echo(f"installed: {src}->{tgt}  {name} {version}")
    have = {(src, tgt) for src, tgt, _, _ in pairs}
    for src in _wanted_sources():
        if (src, TARGET) not in have:
            typer.echo(f"missing:   {src}->{TARGET}  {tr.install_hint(src, TARGET)}")
    if not pairs:
        typer.echo("No translation model is installed: non-English segments stay untranslated "
                   "(figures are still read from the original text).")


# --------------------------------------------------------------------------- from a file


def _package_metadata(path: Path) -> dict[str, Any]:
    """metadata.json of an .argosmodel file, checked to be what argos can install."""
    if not path.is_file():
        raise ModelsError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise ModelsError(f"{path} is not an argostranslate package (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        members = set(archive.namelist())
        tops = {PurePosixPath(name).parts[0] for name in members if PurePosixPath(name).parts}
        top = next(iter(tops)) if len(tops) == 1 else ""
        if f"{top}/metadata.json" not in members:
            raise ModelsError(f"{path} is not an argostranslate package: expected one top "
                              "folder holding metadata.json")
        try:
            metadata: dict[str, Any] = json.loads(archive.read(f"{top}/metadata.json"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ModelsError(f"{path}: metadata.json is not valid JSON ({exc})") from None
    if not isinstance(metadata, dict) or not metadata.get("from_code") or not metadata.get(
            "to_code"):
        raise ModelsError(f"{path}: metadata.json names no from_code/to_code language pair")
    if f"{top}/model/model.bin" not in members:
        raise ModelsError(f"{path} holds no model/model.bin: not a translation package")
    return metadata


def _install_file(path: Path) -> str:
    metadata = _package_metadata(path)
    try:
        ARGOS.package.install_from_path(path)
    except Exception as exc:  # argos raises bare Exception; any failure is reported by file
        raise ModelsError(f"{path}: installation failed: {exc}") from None
    return (f"installed {metadata['from_code']}->{metadata['to_code']} "
            f"(version {metadata.get('package_version', '?')}) from {path.name}")


# --------------------------------------------------------------------------- from the index


def _fetch_index() -> list[dict[str, Any]]:
    """The argos package index; argos's own fetch swallows errors and then recurses forever."""
    argos = ARGOS.settings
    url = argos.remote_package_index
    try:
        with urllib.request.urlopen(url, timeout=INDEX_TIMEOUT_SECONDS) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ModelsError(
            f"cannot reach the argostranslate package index at {url} ({reason}); offline? "
            "Copy an .argosmodel file here and run `polystat models install FILE.argosmodel`"
        ) from None
    try:
        index: list[dict[str, Any]] = json.loads(data)
    except ValueError as exc:
        raise ModelsError(f"the package index at {url} is not valid JSON ({exc})") from None
    Path(argos.local_package_index).write_bytes(data)
    return index


def _newest_per_source(index: list[dict[str, Any]], sources: list[str]) -> dict[str, Any]:
    package = ARGOS.package
    best: dict[str, Any] = {}
    for metadata in index:
        candidate = package.AvailablePackage(metadata)
        if (candidate.type != "translate" or candidate.to_code != TARGET
                or candidate.from_code not in sources):
            continue
        current = best.get(candidate.from_code)
        if current is None or tr.version_key(candidate.package_version) > tr.version_key(
                current.package_version):
            best[candidate.from_code] = candidate
    return best


def _install_from_index(sources: list[str], *, all_or_nothing: bool = True) -> list[str]:
    """Install the newest <src>->en package of each source language from the index.

    all_or_nothing: a language the index lacks is an error before anything is installed;
    otherwise the others are installed and the lacking ones are named in the result."""
    found = _newest_per_source(_fetch_index(), sources)
    unknown = [src for src in sources if src not in found]
    lacking = f"the package index has no {', '.join(f'{s}->{TARGET}' for s in unknown)} model"
    if unknown and all_or_nothing:
        raise ModelsError(lacking)
    done = [lacking] if unknown else []
    for src in (src for src in sources if src in found):
        available = found[src]
        try:
            available.install()
        except Exception as exc:  # argos raises bare Exception when a download fails
            raise ModelsError(f"downloading {src}->{TARGET} failed: {exc}") from None
        done.append(f"installed {src}->{TARGET} (version {available.package_version}) "
                    "from the argostranslate index")
    return done


@models_app.command("ensure")
def ensure() -> None:
    """Install the configured languages' models from the index once; offline, say what is missing.

    `make run` calls this before every run: models already installed are not fetched again
    (no network is used then), and a machine without internet goes on with one line saying
    which pairs stay untranslated. Exit 0 either way: translation is optional.
    """
    _configure()
    have = {src for src, tgt, _, _ in tr.installed_pairs(ARGOS) if tgt == TARGET}
    missing = [src for src in _wanted_sources() if src not in have]
    if not missing:
        return
    try:
        messages = _install_from_index(missing, all_or_nothing=False)
    except ModelsError as exc:
        pairs = ", ".join(f"{src}->{TARGET}" for src in missing)
        typer.echo(f"translation models not installed ({pairs}): {exc}. The run goes on "
                   "without English glosses; numbers are read from the original text.", err=True)
        return
    for message in messages:
        typer.echo(message)


@models_app.command("install")
def install(
    items: Annotated[list[str] | None, typer.Argument(
        help="Package files (FILE.argosmodel), or language codes with --from-index.",
        metavar="FILE_OR_LANG",
        show_default=False)] = None,
    from_index: Annotated[bool, typer.Option(
        "--from-index",
        help="Download <lang>->en models from the argostranslate package index (online).")] = False,
) -> None:
    """Install translation models from .argosmodel files or, online, from the package index."""
    if not items:
        raise _fail("name package files (FILE.argosmodel) or languages with --from-index, "
                    "e.g. `polystat models install --from-index de tr zh`")
    _configure()
    try:
        if from_index:
            messages = _install_from_index([item.strip().lower() for item in items])
        else:
            messages = [_install_file(Path(item)) for item in items]
    except ModelsError as exc:
        raise _fail(str(exc)) from None
    for message in messages:
        typer.echo(message)
