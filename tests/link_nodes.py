"""Hand-made figures as the linker reads them, for the linker tests (no database)."""

from __future__ import annotations

import zlib
from typing import Any

from warehouse.link_claims import Node, attach_claims
from warehouse.linking import link


def make_node(obs_id: str, doc: str, lang: str, sentence: str, surface: str, value: float,
         year: int, *, at: int | None = None, **fields: Any) -> Node:
    """A figure `surface` of `sentence`, which starts at `at` in its document (by default
    an offset taken from the document and the sentence, so that two sentences of one
    document do not overlap); `fields` are further Node fields (unit, population, study)."""
    if at is None:
        at = 1000 * (zlib.crc32((doc + sentence).encode()) % 1000)
    start = at + sentence.index(surface)
    fields = {"unit": "percent", "qualifier": "exact", "population": None, "group_key": None,
              "concepts": frozenset(), **fields}
    return Node(obs_id=obs_id, doc_id=doc, lang=lang, value=value, year=year,
                surface=surface, claim=sentence, claim_start=at, start=start,
                end=start + len(surface), order=("2026", obs_id), **fields)


def metrics(nodes: list[Node]) -> set[frozenset[str]]:
    """The linker's metrics of `nodes`, as sets of their ids."""
    clusters, _ = link(attach_claims(nodes))
    return {frozenset(n.obs_id for n in members) for members in clusters.values()}
