"""Analyst curation as the linker honours it. No database: `warehouse/curation.py` reads the
decisions and hands them over as plain `Decision`s.

An analyst's decisions (`polystat metrics merge|split`) are about figures, not metric ids
(those are the linker's and change as figures come and go). Taken in the order they were
made, they come down to:

  blocks  sets of figures that must share a metric: the figures of two merged metrics;
          the figures split out, and those left behind;
  apart   pairs of blocks that must never share one: what a split separated.

A later decision overrides an earlier one where they disagree (a split after a merge takes
figures out of the merged block; a merge after a split joins what it separated). The
linker starts from the blocks joined (`curate`) and refuses every merge, even of one
sentence's figures, that would put two blocks kept apart into one metric; every other
link it makes as usual, so a new figure still joins a curated metric on evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import count

from warehouse.link_growing import Growing
from warehouse.linking import Clusters


@dataclass(frozen=True)
class Decision:
    """One curation decision over current figures (obs_ids), in the order made. `sides`:
    a merge's two metrics; a split's figures moved out, then those kept."""

    decision_id: int
    kind: str  # merge | split (renames are labels: warehouse/curation.py applies them)
    sides: tuple[frozenset[str], ...]


@dataclass
class Constraints:
    """What the decisions require of the metrics: `blocks` of figures that share one,
    and pairs of block numbers (`apart`) that never do."""

    blocks: dict[int, frozenset[str]] = field(default_factory=dict)
    apart: set[frozenset[int]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.blocks)

    def block_of(self) -> dict[str, int]:
        return {obs: number for number, figures in self.blocks.items() for obs in figures}


class _Simulation:
    """The decisions replayed in order over blocks of figures."""

    def __init__(self) -> None:
        self.blocks: dict[int, set[str]] = {}
        self.block_of: dict[str, int] = {}
        self.apart: set[frozenset[int]] = set()
        self.numbers = count()

    def _new_block(self, figures: set[str]) -> int:
        number = next(self.numbers)
        for obs in figures:
            old = self.block_of.get(obs)
            if old is not None:
                self.blocks[old].discard(obs)
            self.block_of[obs] = number
        self.blocks[number] = set(figures)
        return number

    def join(self, figures: frozenset[str]) -> int:
        """One block of `figures` and every block they are in; what those were kept apart
        from, the new block is kept apart from (except each other: joined now)."""
        olds = {self.block_of[obs] for obs in figures if obs in self.block_of}
        members = set(figures).union(*(self.blocks[old] for old in olds))
        number = self._new_block(members)
        pairs = {frozenset(number if b in olds else b for b in pair) for pair in self.apart}
        self.apart.clear()
        self.apart.update(pair for pair in pairs if len(pair) == 2)
        return number

    def separate(self, moved: frozenset[str], kept: frozenset[str]) -> None:
        """`moved` leaves its blocks for one of its own, kept apart from `kept` (one block,
        with the blocks it is in) and from whatever the blocks it left were kept apart from."""
        olds = {self.block_of[obs] for obs in moved if obs in self.block_of}
        out = self._new_block(set(moved))
        self.apart |= {frozenset((out, other)) for pair in self.apart if pair & olds
                       for other in pair - olds}
        if kept - moved:
            self.apart.add(frozenset((out, self.join(kept - moved))))

    def constraints(self) -> Constraints:
        blocks = {number: frozenset(figures) for number, figures in self.blocks.items()
                  if figures}
        return Constraints(blocks, {pair for pair in self.apart if pair <= blocks.keys()})


def compile_decisions(decisions: Iterable[Decision]) -> Constraints:
    """The blocks and separations that decisions, taken in order, leave in force."""
    replay = _Simulation()
    for decision in decisions:
        if decision.kind == "merge":
            replay.join(frozenset().union(*decision.sides))
        elif decision.kind == "split":
            moved, kept = decision.sides
            replay.separate(moved, kept)
        else:
            raise ValueError(f"curation decision {decision.decision_id}: unknown kind "
                             f"{decision.kind!r} (merge or split)")
    return replay.constraints()


class KeptApart:
    """The refusal `Clusters.merge` asks before every merge: the blocks each cluster holds
    (by root), and the pairs of blocks kept apart."""

    def __init__(self, apart: set[frozenset[int]], held: dict[str, set[int]]) -> None:
        self.pairs = apart
        self.held = held

    def refuses(self, ra: str, rb: str) -> bool:
        one, two = self.held.get(ra), self.held.get(rb)
        if not one or not two:
            return False
        return any(frozenset((a, b)) in self.pairs for a in one for b in two if a != b)

    def joined(self, ra: str, rb: str, root: str) -> None:
        held = self.held.pop(ra, set()) | self.held.pop(rb, set())
        if held:
            self.held[root] = held


def blocks_of_metrics(constraints: Constraints, metric_of: Mapping[str, str]
                      ) -> dict[str, set[int]]:
    """Per stored metric, the blocks its figures are in (`metric_of`: obs_id -> metric_id
    of the blocks' figures): an incremental run holds a few figures of each metric only."""
    held: dict[str, set[int]] = defaultdict(set)
    for obs, number in constraints.block_of().items():
        metric = metric_of.get(obs)
        if metric is not None:
            held[metric].add(number)
    return held


def curate(clusters: Clusters, constraints: Constraints,
           metric_blocks: Mapping[str, set[int]] | None = None) -> Clusters:
    """`clusters` with each block's figures joined (whatever the linker's rules say: the
    analyst decided) and every later merge checked against the blocks kept apart.
    `metric_blocks`: the blocks of the stored metrics a `Growing` starts from."""
    forest = clusters.forest
    for figures in constraints.blocks.values():
        present = sorted(obs for obs in figures if obs in forest.parent)
        for obs in present[1:]:
            clusters.merge(present[0], obs, same_measure=True)
    if not constraints.apart:
        return clusters
    held: dict[str, set[int]] = defaultdict(set)
    for obs, number in constraints.block_of().items():
        if obs in forest.parent:
            held[forest.find(obs)].add(number)
    if isinstance(clusters, Growing):  # it holds a few figures of each stored metric
        for root, metrics in clusters.metrics.items():
            for metric in metrics:
                held[forest.find(root)] |= (metric_blocks or {}).get(metric, set())
    clusters.kept_apart = KeptApart(constraints.apart, dict(held))
    return clusters
