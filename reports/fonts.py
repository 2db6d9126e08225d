"""The fonts the PDF report is compiled with: a CJK font for Chinese text and Liberation
Sans, found in the system's font folders (fonts-noto-cjk, fonts-liberation)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_CJK_FONT_NAMES = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "SourceHanSerif", "wqy-",
                   "DroidSansFallback")
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
              Path.home() / ".fonts", Path.home() / ".local/share/fonts")


@functools.lru_cache(maxsize=1)
def font_directories() -> tuple[list[Path], list[str]]:
    """Folders holding a CJK font and Liberation Sans; a warning when no CJK font exists."""
    cjk = _font_files(lambda name: name.startswith(_CJK_FONT_NAMES))
    latin = _font_files(lambda name: name.startswith("LiberationSans"))
    dirs = sorted({f.parent for f in cjk + latin})
    warnings = []
    if not cjk:
        warnings.append("no CJK font found (install fonts-noto-cjk): Chinese text in the PDF "
                        "report will be missing")
        log.warning(warnings[-1])
    return dirs, warnings


def _font_files(wanted: Any) -> list[Path]:
    found: list[Path] = []
    for folder in _FONT_DIRS:
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc")
                      and wanted(p.name)]
    return found
