"""A party's voters or supporters named next to a share ("45% of Conservative voters",
"Among Labour voters, 74% ...", "Unter den Anhängern der Grünen würden 64 Prozent",
"CHP'ye oy verenlerin yüzde 78'i"): a group of their own, `<party>_voters`, never the
survey's voters or people as a whole, so two parties' shares are never one series.

The frames are data (`party_after`, `party_before` in population.toml, group `party`);
the label keeps the party's name as the text writes it, lower-cased (a second way of
writing the frame names it `party2`: "der AfD-Wähler")."""

from __future__ import annotations

import re

from extract.rules import LanguageRules


def party_voters(after: str, before: str, rules: LanguageRules) -> str | None:
    """`<party>_voters` when a party's voters are named right after a share or in its
    clause before it, else None."""
    match = rules.party_after.match(after) or rules.party_before.search(before)
    if match is None:
        return None
    name = match.group("party") or match.groupdict().get("party2") or ""
    party = re.sub(r"\W+", "_", name.lower().replace("i\u0307", "i")).strip("_")  # (İ: i)
    return f"{party}_voters" if party else None
