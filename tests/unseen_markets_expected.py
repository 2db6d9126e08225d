"""What a reader of a trend report expects from the market reports in tests/unseen_markets/
(every figure of them that is a statistic by the gold conventions, its year, its group and
which figures are one measure), for tests/test_market_reports.py and for measuring the
linker on them by hand (`python tests/unseen_markets_expected.py WAREHOUSE`).

Conventions for the class (README "Forecasts"): a forecast is dated by the year it is
about ("by 2028" -> 2028; a CAGR over "2024 to 2030" keeps the edition's year) and is a
measure of its own: never a point of the observed series, and two editions' forecasts for
one year are two figures (a revision), never a trend or a conflict; one edition's path of
forecasts ("2025年……55%左右；到2027年，这一比例有望超过65%") is one measure. A share of a
quantity (of sales, of trade, of registrations, a brand's market share) has no group.
Money amounts are no statistics; their growth rates are. Samples of all studies are one
measure ("survey responses", as in tests/gold2).
"""

from __future__ import annotations

import sys
from itertools import combinations
from pathlib import Path
from typing import Any

ANY = "*"  # a group not checked (a firm-size band's label, a sample's noun)

# (file, surface, occurrence) -> (year, group, measure): figures of one measure share its
# name; None: a measure of its own.
Key = tuple[str, str, int]
EXPECTED: dict[Key, tuple[int, str | None, str | None]] = {
    ("online_monitor24.txt", "1.240", 0): (2023, ANY, "sample"),
    ("online_monitor24.txt", "6,2 Prozent", 0): (2023, None, "de online growth"),
    ("online_monitor24.txt", "1,1 Prozent", 0): (2023, None, "de store growth"),
    ("online_monitor24.txt", "12,4 Prozent", 0): (2023, None, "de online share"),
    ("online_monitor24.txt", "11,8 Prozent", 0): (2022, None, "de online share"),
    ("online_monitor24.txt", "Jeder vierte", 0): (2023, "retailers", "de own shop"),
    ("online_monitor24.txt", "17 Prozent", 0): (2023, ANY, "de own shop small"),
    ("online_monitor24.txt", "5 bis 6 Prozent", 0): (2024, None, None),
    ("online_monitor24.txt", "20 Prozent", 0): (2030, None, None),
    ("online_monitor25.txt", "1.310", 0): (2024, ANY, "sample"),
    ("online_monitor25.txt", "5,4 Prozent", 0): (2024, None, "de online growth"),
    ("online_monitor25.txt", "0,8 Prozent", 0): (2024, None, "de store growth"),
    ("online_monitor25.txt", "13,1 Prozent", 0): (2024, None, "de online share"),
    ("online_monitor25.txt", "12,4 Prozent", 0): (2023, None, "de online share"),
    ("online_monitor25.txt", "Jeder dritte", 0): (2024, "retailers", "de own shop"),
    ("online_monitor25.txt", "21 Prozent", 0): (2024, ANY, "de own shop small"),
    ("online_monitor25.txt", "4 bis 5 Prozent", 0): (2025, None, None),
    ("online_monitor25.txt", "22 Prozent", 0): (2030, None, None),
    ("ev_outlook24.txt", "18.2%", 0): (2024, None, "en bev share"),
    ("ev_outlook24.txt", "14.6%", 0): (2023, None, "en bev share"),
    ("ev_outlook24.txt", "7.9%", 0): (2024, None, "en phev share"),
    ("ev_outlook24.txt", "27%", 0): (2024, None, "en bev growth"),
    ("ev_outlook24.txt", "11%", 0): (2024, None, "en phev growth"),
    ("ev_outlook24.txt", "21%", 0): (2024, None, "en kestrel share"),
    ("ev_outlook24.txt", "14%", 0): (2024, None, "en lumo share"),
    ("ev_outlook24.txt", "35%", 0): (2028, None, None),
    ("ev_outlook24.txt", "19%", 0): (2024, None, None),
    ("ev_outlook24.txt", "2,050", 0): (2024, ANY, "sample"),
    ("ev_outlook24.txt", "nearly one in three", 0): (2024, ANY, "en running costs"),
    ("ev_outlook24.txt", "31%", 0): (2024, ANY, "en running costs"),
    ("ev_outlook25.txt", "22.5%", 0): (2025, None, "en bev share"),
    ("ev_outlook25.txt", "18.2%", 0): (2024, None, "en bev share"),
    ("ev_outlook25.txt", "8.4%", 0): (2025, None, "en phev share"),
    ("ev_outlook25.txt", "24%", 0): (2025, None, "en bev growth"),
    ("ev_outlook25.txt", "9%", 0): (2025, None, "en phev growth"),
    ("ev_outlook25.txt", "19%", 0): (2025, None, "en kestrel share"),
    ("ev_outlook25.txt", "16%", 0): (2025, None, "en lumo share"),
    ("ev_outlook25.txt", "40%", 0): (2028, None, None),
    ("ev_outlook25.txt", "21%", 0): (2025, None, None),
    ("ev_outlook25.txt", "2,180", 0): (2025, ANY, "sample"),
    ("ev_outlook25.txt", "36%", 0): (2025, ANY, "en running costs"),
    ("eticaret24.txt", "yüzde 62", 0): (2024, None, "tr growth lira"),
    ("eticaret24.txt", "yüzde 9,5", 0): (2024, None, "tr growth dollar"),
    ("eticaret24.txt", "yüzde 18,4", 0): (2023, None, "tr share of trade"),
    ("eticaret24.txt", "yüzde 19,7", 0): (2024, None, "tr share of trade"),
    ("eticaret24.txt", "yüzde 71", 0): (2024, None, "tr mobile share"),
    ("eticaret24.txt", "640", 0): (2024, ANY, "sample"),
    ("eticaret24.txt", "yüzde 44", 0): (2024, "companies", "tr invest"),
    ("eticaret24.txt", "Her beş işletmeden biri", 0): (2024, "companies", "tr export"),
    ("eticaret24.txt", "yüzde 25", 0): (2027, None, None),
    ("eticaret25.txt", "yüzde 48", 0): (2025, None, "tr growth lira"),
    ("eticaret25.txt", "yüzde 7,1", 0): (2025, None, "tr growth dollar"),
    ("eticaret25.txt", "yüzde 19,7", 0): (2024, None, "tr share of trade"),
    ("eticaret25.txt", "yüzde 21,3", 0): (2025, None, "tr share of trade"),
    ("eticaret25.txt", "yüzde 74", 0): (2025, None, "tr mobile share"),
    ("eticaret25.txt", "702", 0): (2025, ANY, "sample"),
    ("eticaret25.txt", "yüzde 39", 0): (2025, "companies", "tr invest"),
    ("eticaret25.txt", "Her dört işletmeden biri", 0): (2025, "companies", "tr export"),
    ("eticaret25.txt", "yüzde 26", 0): (2027, None, None),
    ("xinnengyuan24.txt", "4.6%", 0): (2024, None, "zh retail growth"),
    ("xinnengyuan24.txt", "31.2%", 0): (2024, None, "zh nev growth"),
    ("xinnengyuan24.txt", "12.8%", 0): (2024, None, "zh ice growth"),
    ("xinnengyuan24.txt", "47.5%", 0): (2024, None, "zh penetration"),
    ("xinnengyuan24.txt", "9.3个百分点", 0): (2024, None, "zh penetration points"),
    ("xinnengyuan24.txt", "28.4%", 0): (2024, None, "zh qingchuan share"),
    ("xinnengyuan24.txt", "12.1%", 0): (2024, None, "zh yuantu share"),
    ("xinnengyuan24.txt", "42.3%", 0): (2024, None, "zh export growth"),
    ("xinnengyuan24.txt", "36.0%", 0): (2024, None, "zh export share"),
    ("xinnengyuan24.txt", "38.5%", 0): (2024, None, "zh charging growth"),
    ("xinnengyuan24.txt", "46.2%", 0): (2024, None, None),
    ("xinnengyuan24.txt", "1,500", 0): (2024, ANY, "sample"),
    ("xinnengyuan24.txt", "六成", 0): (2024, "respondents", "zh range"),
    ("xinnengyuan24.txt", "55%", 0): (2025, None, "zh forecast path 2024"),
    ("xinnengyuan24.txt", "65%", 0): (2027, None, "zh forecast path 2024"),
    ("xinnengyuan25.txt", "2.9%", 0): (2025, None, "zh retail growth"),
    ("xinnengyuan25.txt", "18.7%", 0): (2025, None, "zh nev growth"),
    ("xinnengyuan25.txt", "15.3%", 0): (2025, None, "zh ice growth"),
    ("xinnengyuan25.txt", "56.8%", 0): (2025, None, "zh penetration"),
    ("xinnengyuan25.txt", "9.3个百分点", 0): (2025, None, "zh penetration points"),
    ("xinnengyuan25.txt", "26.9%", 0): (2025, None, "zh qingchuan share"),
    ("xinnengyuan25.txt", "13.5%", 0): (2025, None, "zh yuantu share"),
    ("xinnengyuan25.txt", "25.6%", 0): (2025, None, "zh export growth"),
    ("xinnengyuan25.txt", "41.2%", 0): (2025, None, "zh export share"),
    ("xinnengyuan25.txt", "27.4%", 0): (2025, None, "zh charging growth"),
    ("xinnengyuan25.txt", "1,620", 0): (2025, ANY, "sample"),
    ("xinnengyuan25.txt", "近七成", 0): (2025, "respondents", "zh range"),
    ("xinnengyuan25.txt", "68%", 0): (2025, "respondents", "zh range"),
    ("xinnengyuan25.txt", "70%", 0): (2027, None, None),
    ("tourism25.txt", "4.3%", 0): (2025, None, "stays growth"),
    ("tourism25.txt", "18.6 million", 0): (2025, None, None),
    ("tourism25.txt", "7.8%", 0): (2025, None, "international stays growth"),
    ("tourism25.txt", "2.1%", 0): (2025, None, None),
    ("tourism25.txt", "64%", 0): (2025, None, "online bookings"),
    ("tourism25.txt", "59%", 0): (2024, None, "online bookings"),
    ("tourism25.txt", "71.5%", 0): (2025, None, "occupancy"),
    ("tourism25.txt", "2% and 3%", 0): (2026, None, None),
    ("tourismus_presse.txt", "4,3 Prozent", 0): (2025, None, "stays growth"),
    ("tourismus_presse.txt", "7,8 Prozent", 0): (2025, None, "international stays growth"),
    ("tourismus_presse.txt", "64 Prozent", 0): (2025, None, "online bookings"),
    ("tourismus_presse.txt", "75,1 Prozent", 0): (2025, None, "occupancy"),
}
# The press article misquotes the review's occupancy rate: one measure, one year, one
# study, two values.
EXPECTED_CONFLICTS = {("occupancy", 2025)}

Found = dict[Key, tuple[Any, int | None, str | None]]  # -> (metric id, year, group)


def expected_pairs() -> set[frozenset[Key]]:
    return {frozenset(pair) for pair in combinations(EXPECTED, 2)
            if EXPECTED[pair[0]][2] is not None and EXPECTED[pair[0]][2] == EXPECTED[pair[1]][2]}


def measure(found: Found) -> dict[str, Any]:
    """Figures found, wrong years and groups, and the precision and recall of the pairs of
    figures put in one metric, against EXPECTED."""
    matched = [key for key in EXPECTED if key in found]
    wrong_years = [key for key in matched if found[key][1] != EXPECTED[key][0]]
    wrong_groups = [key for key in matched if EXPECTED[key][1] != ANY
                    and found[key][2] != EXPECTED[key][1]]
    truth = {pair for pair in expected_pairs() if all(key in found for key in pair)}
    linked = {frozenset(pair) for pair in combinations(matched, 2)
              if found[pair[0]][0] == found[pair[1]][0]}
    hits = len(truth & linked)
    precision = hits / len(linked) if linked else 1.0
    recall = hits / len(truth) if truth else 1.0
    return {"expected": len(EXPECTED), "found": len(matched),
            "extra": sorted(set(found) - set(EXPECTED)),
            "missed": [key for key in EXPECTED if key not in found],
            "wrong_years": wrong_years, "wrong_groups": wrong_groups,
            "pair_precision": round(precision, 3), "pair_recall": round(recall, 3),
            "pair_f1": round(2 * precision * recall / (precision + recall), 3)
            if precision + recall else 0.0,
            "false_links": sorted(tuple(sorted(p)) for p in linked - truth),
            "missed_links": sorted(tuple(sorted(p)) for p in truth - linked)}


def found_in(warehouse: Path) -> Found:
    """(file, surface, occurrence) -> (metric id, year, group) of every linked figure."""
    from corpus_files import linked_figures  # tests/ is on sys.path

    found: Found = {}
    for name, surface, metric, year, population in linked_figures(
            warehouse, "o.year", "o.population"):
        seen = sum(key[:2] == (name, surface) for key in found)
        found[(name, surface, seen)] = (metric, year, population)
    return found


if __name__ == "__main__":  # measure a warehouse the documents were run into
    for name, result in measure(found_in(Path(sys.argv[1]))).items():
        print(f"{name:15} {result}")
