"""Whom a figure is about: the group attached to it, the group a count names, the
survey's sample, or a group named elsewhere in the sentence."""

from __future__ import annotations

import re
from functools import lru_cache

from extract import languages
from extract.context.group_labels import label_of_group
from extract.context.parties import party_voters
from extract.context.work import (
    _AFTER_CHARS,
    _NEAR_CHARS,
    _Work,
)
from extract.rules import LanguageRules, precheck_fold

_CLAUSE_START = re.compile(r".*[,;:，；：、(（]")
# The group of a count of people that names nobody ("1.500 kişi", "2 million people").
_ANYONE = "people"
# How far before a share a defining clause may start ("Von den Unternehmen, die KI bereits
# einsetzen, verwenden 58 Prozent").
_SUBGROUP_CHARS = 120
_TAIL_CHARS = 16
# How far left of the last word of a group a longer group word may start.
_WIDER_TERM_CHARS = 24


def _term_population(rules: LanguageRules, match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    for name, value in match.groupdict().items():
        if name.startswith("term") and value:
            return rules.population_of(value)
    return None


def _widest_term(before: str, match: re.Match[str] | None,
                 rules: LanguageRules) -> str | None:
    """'Female students (41%)': the group right before a figure's parenthesis or colon is
    the longest group word ending there ("female students", a sex of the survey's people),
    not only its last word ("students"), which the greedy pattern finds first."""
    if match is None or not match.groupdict().get("term2"):
        return _term_population(rules, match)
    start, end = match.span("term2")
    spaced = languages.info(rules.lang).spaces_between_words
    for left in range(max(0, start - _WIDER_TERM_CHARS), start):
        if spaced and left > 0 and before[left - 1].isalnum():
            continue  # a group word starts a word
        if rules.term_regex.fullmatch(before, left, end) is not None:
            return rules.population_of(before[left:end])
    return _term_population(rules, match)


def _attached_population(text: str, works: list[_Work], i: int,
                         rules: LanguageRules) -> str | None:
    work = works[i]
    cand = work.cand
    if cand.verbal and cand.kind != "range":  # "On cephe hizmet temsilcisinden dokuzu"
        inside = rules.term_regex.search(text, cand.start, cand.end)
        if inside:
            return rules.population_of(inside.group(0))
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[cand.end : min(next_start, cand.end + _AFTER_CHARS)]
    before = text[max(prev_end, work.lead - _AFTER_CHARS) : work.lead]
    if cand.kind == "count":
        return _count_population(text, work, after, before, rules)
    if work.unit in ("percent", "percentage_points"):
        party = party_voters(after, before, rules)
        if party is not None:
            return party
        clause = _subgroup(text, work, prev_end, next_start, rules)
        if clause is not None:
            work.subgroup, group = clause
            return group
    found = _term_population(rules, rules.attach_after.match(after))
    # "是低绩效团队的两倍": the group before a multiple is what it is compared with.  Both
    # patterns name the group with a group word, so without one before there is none.
    if (found is None and work.unit != "multiple"
            and rules.term_gate.search(precheck_fold(before)) is not None):
        found = _widest_term(before, rules.attach_before.match(before), rules)
        if found is None:
            found = _term_population(rules, _term_right_before(before, rules))
    if found is None and work.unit in ("percent", "percentage_points"):
        found = _label_from_text(rules.label_after.match(after), rules)
        if found is None:  # "balıkçıların %27'si": the group the lexicon lacks comes first
            found = _label_from_text(rules.label_before.search(before), rules)
    if found in rules.count_only_populations and cand.kind != "count":
        return None
    return found


def _subgroup(text: str, work: _Work, prev_end: int, next_start: int,
              rules: LanguageRules) -> tuple[str, str] | None:
    """A subgroup a clause defines right next to a share, as (label with "base" where the
    group goes, the group the clause narrows): "Von den Unternehmen, die KI einsetzen,
    verwenden 58 Prozent" -> ("ai_using_base", "companies"); "among those who cancelled, 57%"
    -> ("base_who_cancelled", "respondents"), whom the survey asked once resolved."""
    if not (rules.subgroup_before or rules.subgroup_after):
        return None
    before = text[max(prev_end, work.lead - _SUBGROUP_CHARS) : work.lead]
    after = text[work.cand.end : next_start]
    tail = before[-_TAIL_CHARS:]
    matches = [m for regex in rules.subgroup_before if rules.subgroup_tail.search(tail)
               and (m := regex.search(before))]
    matches += [m for regex in rules.subgroup_after if (m := regex.match(after))]
    for match in matches:
        label = _subgroup_label(match.group("clause"), match.groupdict().get("rel"), rules)
        if label is None:
            continue
        term = match.groupdict().get("term")
        group = rules.population_of(term) if term else None
        return label, group or "respondents"
    return None


def _subgroup_label(clause: str, rel: str | None, rules: LanguageRules) -> str | None:
    """The label of a defining clause: a known one from the lexicon ("KI einsetzen" ->
    "ai_using_base"), else, in English, its own words ("took sickness absence" ->
    "base_who_took_sickness_absence"); a negated known clause ("keine KI nutzen") is no
    known one."""
    negated = rules.subgroup_negation.search(clause) is not None
    for name, regex in rules.subgroups:
        if regex.search(clause) and not negated:
            return name
    if not rules.subgroup_words:
        return None
    words = re.findall(r"[^\W_]+", clause.lower())
    if not words or len(words) > 6:
        return None
    return "_".join(["base", (rel or "who").lower(), *words])


def _share_subgroups(works: list[_Work]) -> None:
    """'Nine in ten (90%) of those who ...': a figure and its gloss in parentheses are one
    subgroup."""
    for work in works:
        if work.head is None:
            continue
        head = works[work.head]
        if head.subgroup and not work.subgroup:
            work.subgroup, work.population = head.subgroup, head.population
        elif work.subgroup and not head.subgroup:
            head.subgroup, head.population = work.subgroup, work.population


def _term_right_before(before: str, rules: LanguageRules) -> re.Match[str] | None:
    """A group written right before a figure ("Frauen 33,5 %", "kadınlarda %85,5"), looked
    for in the figure's own clause only (the group regex is costly to slide over a sentence)."""
    clause = _CLAUSE_START.match(before)
    tail = before[clause.end() :] if clause else before
    return rules.term_right_before.search(tail[-_NEAR_CHARS - 10 :])


def _label_from_text(match: re.Match[str] | None, rules: LanguageRules) -> str | None:
    """'41% of hospital pharmacists' -> 'hospital_pharmacists', '38 Prozent der
    Kleingärtner' -> 'kleingärtner'; a thing ('of orders', 'der Preise') gives no label."""
    known = rules.term_regex.search(match.group("label")) if match else None
    if match is None or (known and not rules.negated(match.group("label"), known.start())):
        return None  # a known group ("受访者中，64%") is the lexicon's to resolve, not a label
    label = match.group("label").strip()
    people = rules.people_after.match(label)
    bare = len(match.string[match.start() : match.start("label")].split()) <= 1
    if people is not None and people.end() == len(label) and bare:
        return _ANYONE  # "19,3 % der Personen": people, whoever they are ("person" is no group;
    return label_of_group(label, rules)  # "der jungen Menschen" only describes: no group)


def _count_population(text: str, work: _Work, after: str, before: str,
                      rules: LanguageRules) -> str | None:
    """The group a count is about; marks counts of survey participants as samples."""
    cand = work.cand
    # (a count of people in a sentence about the survey is its sample; a rule that reads a
    # sample says so itself: "We asked 2,006 adults", "Basis: n = 1.004")
    asked = cand.sample or rules.survey_cue.search(text) is not None
    if cand.term is not None:  # "the number of households was ...": the rule named it
        named = rules.term_regex.search(text, *cand.term)
        work.sample = False
        return rules.population_of(named.group(0)) if named else None
    # "bu hanelerde yaşayan 49 bin 802 bireyle": the noun a count is of beats a group
    # named before it.
    right_after = rules.term_regex.match(after, len(after) - len(after.lstrip()))
    named_after = rules.population_of(right_after.group(0)) if right_after else None
    if named_after and named_after not in rules.count_only_populations:
        work.sample = asked
        return named_after
    named_right_before = _term_population(rules, _term_right_before(before, rules))
    if named_right_before and named_right_before not in rules.count_only_populations:
        work.sample = asked  # "18 yaş ve üzeri 3 bin kişi"
        return named_right_before
    if rules.thing_after.match(after):  # "9,8 Millionen Übernachtungen meldeten die Betriebe"
        return None
    if rules.people_after.match(after):  # "1.500 kişi", "2 million people": nobody named
        # In a sentence about the survey they are its sample; elsewhere they are people.
        work.sample = asked
        return None if work.sample else _ANYONE
    found = _term_population(rules, rules.count_attach_after.match(after))
    if found is None:
        found = _term_population(rules, rules.attach_before.match(before))
    if found is not None:
        return found
    if cand.sample:  # "a survey of U.S. consumers (n = 2,047)": the group named before it
        work.sample = True
        return _last_term(text[: cand.start], rules)
    work.sample = rules.count_noun_after.match(after) is not None
    return None


def _last_term(text: str, rules: LanguageRules) -> str | None:
    name = None
    for match in rules.term_regex.finditer(text):
        found = rules.population_of(match.group(0))
        if found and found not in rules.count_only_populations and not rules.negated(
                text, match.start()):
            name = found
    return name


@lru_cache(maxsize=256)
def _subject_terms(text: str, rules: LanguageRules) -> tuple[tuple[int, str], ...]:
    """(end, population) of the terms of a sentence that can be a figure's group: not a
    prepositional object ("Empathie für die Mitarbeiter"), not a count-only group."""
    terms = []
    for match in rules.term_regex.finditer(text):
        name = rules.population_of(match.group(0))
        if name is None or name in rules.count_only_populations:
            continue
        if rules.not_after.search(text, 0, match.start()) or rules.negated(text, match.start()):
            continue
        terms.append((match.end(), name))
    return tuple(terms)


def _first_term(text: str, rules: LanguageRules, weak: bool, limit: int | None = None,
                ) -> str | None:
    """The first group of the sentence (ending before `limit`), weak or specific."""
    for end, name in _subject_terms(text, rules):
        if limit is not None and end > limit:
            break
        if (name in rules.weak_populations) == weak:
            return name
    return None


def _share_group_mates(works: list[_Work]) -> None:
    """Members of a comparison group share the head's population and age band."""
    for work in works:
        if work.group is None:
            continue
        if work.population is None:
            mates = [w for w in works if w.group == work.group and w.population]
            if mates:
                work.population = mates[0].population
        if work.age_band is None and work.cand.kind != "count":  # a count's band is its own
            banded = [w for w in works if w.group == work.group and w.age_band]
            if banded:
                work.age_band, work.band_base = banded[0].age_band, banded[0].band_base


def _parallel_groups(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'83% of IT leaders and 76% of executives agree; in 2021 the figures were 71% and 68%':
    the bare shares after the last share that names its group take, in order, the groups of
    as many shares before them ("... respectively")."""
    shares = [w for w in works if w.unit in ("percent", "percentage_points")]
    if len(shares) < 2 or rules.parallel_cue.search(text) is None:
        return
    named = [w for w in shares if w.attached]
    if named:
        bare = [w for w in shares[shares.index(named[-1]) + 1 :] if w.population is None]
        groups = [w.population for w in named]
    else:  # "Men and women reported 41% and 35% respectively", "男性和女性分别为62%和55%"
        bare = [w for w in shares if w.population is None]
        if not bare:
            return
        # A coordination names the groups ("男性和女性"): every term before the figures counts.
        terms = [(m.end(), rules.population_of(m.group(0)))
                 for m in rules.term_regex.finditer(text)]
        groups = [name for end, name in terms if end <= bare[0].cand.start
                  and name not in rules.weak_populations]
        if len(groups) != len(terms):
            return
    if len(bare) > 1 and len(bare) == len(groups) and len(set(groups)) == len(groups):
        for work, group in zip(bare, groups, strict=True):
            work.population, work.attached = group, True


def _resolve_populations(text: str, works: list[_Work], rules: LanguageRules) -> None:
    weak = rules.weak_populations
    _parallel_groups(text, works, rules)
    _share_subgroups(works)
    _share_group_mates(works)
    # A lone specific group in the sentence beats "respondents" ("yanıt verenlerin %24’ü").
    strong = [w.population for w in works if w.attached and w.population not in weak
              and w.population is not None
              and w.population not in rules.count_only_populations]
    for work in works:
        # "those who cancelled": the survey's people, resolved with the document
        if work.population not in weak or work.cand.kind == "count" or work.subgroup:
            continue
        if len(set(strong)) == 1:
            work.population = strong[0]
        else:  # "The share of service decision makers ... from 24% to 45% of respondents";
            # several groups are a breakdown ("(Männer: 41 %, Frauen: 33 %)"), not the whole's
            work.population = _first_term(text, rules, False, work.lead) or work.population
    sentence_group: list[str | None] = []  # computed once, only when needed
    for i, work in enumerate(works):
        if work.population is None and work.cand.kind != "count":
            _unattached_population(text, works, i, rules, sentence_group)


def _unattached_population(text: str, works: list[_Work], i: int, rules: LanguageRules,
                           sentence_group: list[str | None]) -> None:
    """A share with no group of its own takes the previous figure's group, or the previous
    figure's age band ("for people aged 16 to 64 was 74.6%, 0.3 points lower"), a group named
    before it ("Der Anteil der Frauen ... liegt bei 52 Prozent, bei den Männern bei 43"), the
    next figure's group, or else the sentence's first group, which is only a guess."""
    work = works[i]
    if work.size_band or work.of_things:  # a size class narrows the survey's companies;
        return  # a share of things ("12% of dwellings") has no group
    # "26 ilde ... yüzde 76": a group only a count can be about is no share's group; nor are
    # the people of a count that names nobody ("32 milyon 300 bin kişi, istihdam oranı %49,1").
    earlier = [w for w in works[:i] if w.population
               and w.population not in rules.count_only_populations
               and not (w.cand.kind == "count" and w.population == _ANYONE)]
    own = _own_clause_group(text, works, i, rules)
    if earlier and own and own != earlier[-1].population:  # "城镇地区…为86.1%，农村地区…为
        work.population = own  # 64.3%": the group its own clause names, not the one before
        return
    if earlier:  # a guess stays a guess when the next figure repeats it
        work.population, work.guessed = earlier[-1].population, earlier[-1].guessed
        work.subgroup = earlier[-1].subgroup  # "Among those who cancelled, 57% ..., 34% ..."
        if work.age_band is None:  # "15 yaş ve üstü obez bireylerin oranı ... %21,4 iken ... %20,5"
            work.age_band, work.band_base = earlier[-1].age_band, earlier[-1].band_base
        return
    banded = [w for w in works[:i] if w.age_band]
    if work.age_band is None and banded:
        work.age_band, work.band_base = banded[-1].age_band, banded[-1].band_base
        return
    named_before = _first_term(text, rules, False, work.lead)
    # A growth rate is about a thing unless a group is named before it or counted after it
    # ("grew 5% to 1,200 employees"): "Sales fell by 2%, and 30% of firms expect ..." gives
    # the firms' group to their share only.
    growth = work.unit == "percent_change"
    if growth and i > 0 and works[i - 1].unit == "count":  # "487 Millionen Übernachtungen,
        work.population = works[i - 1].population  # das waren 6,1 % mehr": the count's
        return
    later = [w.population for w in works[i + 1 :] if w.population and w.attached
             and w.population not in rules.count_only_populations
             and (not growth or w.unit == "count")
             and not rules.contrast_between.search(text, work.cand.end, w.lead)
             and not inside_brackets_after(text, work.cand.end, w.lead)]
    if growth and not later:
        work.population = named_before
        return
    if named_before or later:
        work.population = named_before or later[0]
        return
    # A group named somewhere else in the sentence is a guess ("fühlen sich ihrem
    # Unternehmen verbunden" names an object): the survey's population beats it.
    if not sentence_group:
        sentence_group.append(_first_term(text, rules, weak=False)
                              or _first_term(text, rules, weak=True))
    work.population = sentence_group[0]
    work.guessed = work.population is not None


def _own_clause_group(text: str, works: list[_Work], i: int, rules: LanguageRules
                      ) -> str | None:
    """The specific group a clause of its own opens with, between the figure before the
    i-th and its words ("，农村地区互联网普及率为64.3%", "；农村居民出游花费同比增长19.8%"): a
    group named later in the clause may be an object ("bir şirketle", "销售团队的协调").
    None when no clause opens with one."""
    if i == 0:
        return None
    brk = _CLAUSE_OPEN.search(text, works[i - 1].cand.end, works[i].lead)
    if brk is None:
        return None
    at = len(text) - len(text[brk.end():].lstrip())
    match = rules.term_regex.match(text, at, works[i].lead)
    name = rules.population_of(match.group(0)) if match else None
    if name is None or name in rules.weak_populations or name in rules.count_only_populations:
        return None
    return name


_CLAUSE_OPEN = re.compile(r"[，；;]")  # (an ASCII comma often opens a subordinate part)


def inside_brackets_after(text: str, start: int, end: int) -> bool:
    """Whether `end` (a figure) sits in a bracket opened between `start` (the end of a
    figure before it) and `end`, after words: it breaks that figure down ("37 %
    (Männer: 41 %, Frauen: 33 %)") and its group is not the whole's. A figure right after
    the bracket restates it ("Fast die Hälfte (48 %) der ..."), with its group."""
    opened: list[int] = []
    for at in range(start, end):
        if text[at] in "(（[":
            opened.append(at)
        elif text[at] in ")）]" and opened:
            opened.pop()
    return bool(opened) and any(ch.isalpha() for ch in text[opened[-1]:end])
