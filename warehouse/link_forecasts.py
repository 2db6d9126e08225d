"""Forecasts in the linker: a value a report expects (`Node.forecast`: "expects the
share to reach 35% by 2028", "Bis 2030 dürfte der Anteil auf 20 Prozent steigen", read by
extract/forecasts.py) is no value of the measure it forecasts.  A trend report shows what
was observed: a forecast never joins an observed series (its target year would stand in
the series as a value, or beside the year's observed value as a conflict), and two
editions' forecasts for one year are a revision, shown beside each other, never a trend or
a conflict (as a revised estimate of a statistics office is another wave: `link_waves`).
One edition's forecast restated (a summary, coverage citing the study) is still one
figure."""

from __future__ import annotations

from warehouse.link_claims import Node
from warehouse.link_waves import publishers_own, same_study


def forecasts_apart(a: Node, b: Node) -> bool:
    """A forecast and an observed figure, or forecasts of two releases or two studies:
    never one measure."""
    if a.forecast != b.forecast:
        return True
    return a.forecast and not (same_study(a, b) and _one_release(a, b))


def _one_release(a: Node, b: Node) -> bool:
    """One edition (or one document of a publisher without editions), or coverage of it."""
    if a.edition and b.edition:
        return a.edition == b.edition
    return a.doc_id == b.doc_id or not (publishers_own(a) and publishers_own(b))
