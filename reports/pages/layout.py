"""What one publish keeps for the next, so pages whose data did not change stay
byte-identical: each source's S-number, and which provenance page lists its figures.
Kept in ``_data/layout.json`` next to the snapshot."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from reports.pages.common import Row

log = logging.getLogger(__name__)

LAYOUT_FILE = "layout.json"
PROVENANCE_PAGE_FIGURES = 2_500  # figures per provenance page (whole sources, in order)


@dataclass
class Layout:
    """Each source's S-number and provenance page, as one publish leaves them for the next."""

    markers: dict[str, int] = field(default_factory=dict)  # source_id -> n of "Sn"
    next_marker: int = 1  # numbers of removed sources are not given to new ones
    provenance: dict[str, int] = field(default_factory=dict)  # source_id -> page (paged only)


def load_layout(data_dir: Path) -> Layout | None:
    """The layout the previous publish left in data_dir; None when absent or unreadable."""
    path = Path(data_dir) / LAYOUT_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Layout({str(k): int(v) for k, v in raw["markers"].items()},
                      int(raw["next_marker"]),
                      {str(k): int(v) for k, v in raw["provenance"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: unreadable (%s); sources are numbered and paged anew", path, exc)
        return None


def save_layout(layout: Layout, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / LAYOUT_FILE).write_text(json.dumps(
        {"markers": layout.markers, "next_marker": layout.next_marker,
         "provenance": layout.provenance}, indent=1, sort_keys=True), encoding="utf-8")


def source_markers(documents: list[Row], previous: Layout) -> tuple[dict[str, int], int]:
    """S-numbers: a source keeps the number it was first published with; new sources get
    the next free numbers in the order of the sources page (S1, S2, ... on a first run)."""
    markers = {d["source_id"]: previous.markers[d["source_id"]] for d in documents
               if d["source_id"] in previous.markers}
    following = max([previous.next_marker, *(n + 1 for n in markers.values())])
    for doc in documents:
        if doc["source_id"] not in markers:
            markers[doc["source_id"]] = following
            following += 1
    return markers, following


def provenance_pages(documents: list[Row], previous: dict[str, int] | None = None
                     ) -> dict[str, list[Row]]:
    """Provenance pages: all on 'provenance' when the figures fit one page, else whole
    sources on 'provenance-001', 'provenance-002', ... (and an index page).

    A source stays on the page `previous` gave it, so adding documents leaves the
    earlier pages unchanged; new sources fill the last page, then new pages (on a first
    run: every source in order). A page may outgrow the limit when its sources grow."""
    with_figures = [d for d in documents if d.get("n_statistics")]
    if sum(d["n_statistics"] for d in with_figures) <= PROVENANCE_PAGE_FIGURES:
        return {"provenance": with_figures}
    kept: dict[int, list[Row]] = {}
    new = []
    for doc in with_figures:
        page = (previous or {}).get(doc["source_id"])
        if page is None:
            new.append(doc)
        else:
            kept.setdefault(page, []).append(doc)
    last = max(kept, default=0)
    size = sum(d["n_statistics"] for d in kept.get(last, []))
    for doc in new:
        if last == 0 or size + doc["n_statistics"] > PROVENANCE_PAGE_FIGURES:
            last, size = last + 1, 0
        kept.setdefault(last, []).append(doc)
        size += doc["n_statistics"]
    return {page_name(n): kept[n] for n in sorted(kept)}


def page_name(number: int) -> str:
    return f"provenance-{number:03}"


def page_number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])
