"""The clusters an incremental run grows (`warehouse/relink.py`): they start as the stored
metrics, each seeded with the representatives picked of it, and refuse merges by the same
rules as a rebuild's (`linking.Clusters`), asking the warehouse only when a new figure
would join two stored metrics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from warehouse.link_claims import Node
from warehouse.linking import Clusters, Point, disagree

Figures = dict[str, tuple[set[int], set[Point]]]  # doc -> (sentences, points)


class Growing(Clusters):
    """Clusters that start as the existing metrics (their representatives merged).

    A new figure never shares a document with an existing metric (it comes from a new
    document), so the representatives' sentences and documents suffice, except between
    two existing metrics: `figures_of(one, two)` gives, per document both have figures
    in, the sentences and points of each one's figures there, and two stored metrics stay
    apart by the same rules as in a rebuild (`Clusters`). It is asked only when a new
    figure links two stored metrics.
    """

    def __init__(self, nodes: list[Node], metric_of: dict[str, str],
                 figures_of: Callable[[str, str], tuple[Figures, Figures]]) -> None:
        super().__init__(nodes)
        self.figures_of = figures_of
        self.metrics: dict[str, set[str]] = {}
        members: dict[str, list[str]] = defaultdict(list)
        for node in nodes:
            if node.obs_id in metric_of:
                members[metric_of[node.obs_id]].append(node.obs_id)
        for metric, stored in members.items():  # (one pass per metric, not a merge per figure)
            root = min(stored)  # (the root `merge` would give them)
            sentences, documents = self.sentences[root], self.documents[root]
            for obs in stored:
                if obs != root:
                    self.forest.parent[obs] = root
                    sentences |= self.sentences.pop(obs)
                    for doc, points in self.documents.pop(obs).items():
                        documents.setdefault(doc, set()).update(points)
            self.metrics[root] = {metric}

    def merge(self, a: str, b: str, *, same_measure: bool, across: bool = False,
              within_study: bool = False) -> bool:
        ra, rb = self.forest.find(a), self.forest.find(b)
        metrics = self.metrics.get(ra, set()) | self.metrics.get(rb, set())
        if not super().merge(a, b, same_measure=same_measure, across=across,
                             within_study=within_study):
            return False
        if ra != rb:
            self.metrics.pop(ra, None)
            self.metrics.pop(rb, None)
            if metrics:
                self.metrics[self.forest.find(a)] = metrics
        return True

    def separate(self, ra: str, rb: str, *, across: bool, within_study: bool = False) -> bool:
        for one in self.metrics.get(ra, ()):
            for two in self.metrics.get(rb, ()):
                if self.stored_apart(one, two, across=across, within_study=within_study):
                    return True
        return super().separate(ra, rb, across=across, within_study=within_study)

    def stored_apart(self, one: str, two: str, *, across: bool, within_study: bool) -> bool:
        first, second = self.figures_of(one, two)
        for doc in first.keys() & second.keys():
            (sentences_a, points_a), (sentences_b, points_b) = first[doc], second[doc]
            if sentences_a & sentences_b:
                return True
            if across and points_a and points_b and disagree(points_a, points_b,
                                                                trend=within_study):
                return True
        return False
