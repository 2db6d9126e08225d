"""Compile one language's vocabulary files into ready-to-use regular expressions.

The data lives in ``extract/lang/<lang>/*.toml`` (see ``extract/lang/README.md``);
this module only fills the placeholders of the templates and compiles them once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from extract import languages
from extract.lexicon import LexiconError, load
from extract.numbers import NumberGrammar, grammar

YEAR = r"(?:19|20)\d\d"
_NEVER = r"(?!x)x"
# Right before a group term: the group is negated ("non-managers", "Nicht-Raucher").
def precheck_fold(text: str) -> str:
    """The text as pre-checks read it: lower case, one i.  A case-sensitive scan is several
    times faster than a case-insensitive one, and a pre-check only has to let through
    every sentence its figure form could match.  Every i of Turkish (I, İ, ı) reads as
    "i"; İ, the one letter whose lower case is longer, goes first, so folding keeps every
    offset."""
    return text.replace("İ", "i").lower().replace("ı", "i")


_PATTERN_TOKENS = re.compile(r"\(\?P|\\.|.", re.DOTALL)


def _precheck(source: str) -> re.Pattern[str]:
    """A pattern as it reads folded text (a `needs` pre-check, the qualifier words): its
    literals folded, case-insensitive groups plain, escapes (\\d, \\S, \\x27) as written.
    Whatever the written pattern finds in a text, case-insensitively or not, this one finds
    in the folded text; a negated class ("[^A-Z]") would break that, so it is refused."""
    if "[^" in source or "\\N{" in source:
        raise re.error("a pre-check cannot use a negated class or a \\N{} name")
    # An escape ("\\S", "\\x27") and a named group's "(?P" are kept as written.
    parts = [token if len(token) > 1 else precheck_fold(token)
             for token in _PATTERN_TOKENS.findall(source)]
    return re.compile("".join(parts).replace("(?i:", "(?:").replace("(?i)", ""))


@dataclass(frozen=True)
class FigureRule:
    """One figure form: a compiled pattern and how to read its value."""

    rule: str
    kind: str  # number | range | fraction | ratio | multiple | count
    unit: str
    regex: re.Pattern[str]
    value: float | None = None
    denominator: float | None = None
    # A cheap pre-check before the full pattern, read over precheck_fold(sentence).
    needs: re.Pattern[str] | None = None
    # The figure is dropped when the text right before / after its surface matches
    # ("500 to 999 employees" is a size band, "Unternehmen mit 500 Mitarbeitern" a size class).
    not_before: re.Pattern[str] | None = None
    not_after: re.Pattern[str] | None = None
    sample: bool = False  # a survey's sample size ("n = 2,047")
    # A four-digit count such as 2000 is a count in this form, not a year ("2000名受访者").
    yearlike_counts: bool = False
    # An absolute change of a count ("up 9,800", "um 12.400 gestiegen"), never its level.
    change: bool = False


@dataclass(frozen=True)
class PopulationTerm:
    name: str
    regex: re.Pattern[str]


def _alternation(items: list[str]) -> str:
    """Regex alternation, longest first so that longer phrases win."""
    ordered = sorted(set(items), key=len, reverse=True)
    return "|".join(f"(?:{item})" for item in ordered) if ordered else _NEVER


def _words_alternation(words: list[str]) -> str:
    return _alternation([re.escape(w) for w in words])


class LanguageRules:
    """Everything the extractor needs for one language."""

    def __init__(self, lang: str, data: dict[str, Any]) -> None:
        self.lang = lang
        self.numbers: NumberGrammar = grammar(lang)
        qualifiers = data.get("qualifiers", {})
        self.qualifiers_before: dict[str, str] = qualifiers.get("before", {})
        self.qualifiers_after: dict[str, str] = qualifiers.get("after", {})
        population = data.get("population", {})
        self.weak_populations = frozenset(population.get("weak", []))
        self.count_only_populations = frozenset(population.get("count_only", []))
        self.terms = [
            PopulationTerm(name, re.compile(_alternation(patterns), re.IGNORECASE))
            for name, patterns in population.get("terms", {}).items()
        ]
        term_alt = _alternation(
            [p for patterns in population.get("terms", {}).values() for p in patterns]
        )
        self.term_regex = re.compile(term_alt, re.IGNORECASE)
        # Prefixes that negate the group word they are joined to ("non-", "nicht-").
        prefixes = [str(p) for p in population.get("negating_prefixes", [])]
        negated_term = "".join(f"(?<!{re.escape(p)})" for p in prefixes)
        self._negated_before = re.compile(
            f"(?i:{_words_alternation(prefixes)})$" if prefixes else _NEVER)
        self._negation_reach = max(map(len, prefixes), default=0)
        # Whether a text may hold a group word at all, read over precheck_fold(text): most
        # windows around a figure hold none, and the group patterns are costly to try.
        self.term_gate = _precheck(term_alt)
        people = population.get("people_nouns", [])
        count_nouns = population.get("count_nouns", [])
        # Things a report counts as a finding ("1.843 Wohnungen", "38,200 vacancies"): a
        # count of them is about no group.
        things = data.get("counts", {}).get("things", [])
        countable = _alternation([term_alt, *count_nouns, *people, *things])
        denominators = data.get("fractions", {}).get("denominators", {})
        self.fractions: dict[str, float] = {k.lower(): float(v) for k, v in denominators.items()}
        self.one_words = frozenset(data.get("fractions", {}).get("one_words", []))
        self.multiple_words: dict[str, float] = {
            k.lower(): float(v) for k, v in data.get("multiples", {}).get("words", {}).items()
        }
        self.partitive: dict[str, float] = {
            k.lower(): float(v) for k, v in data.get("numbers", {}).get("partitive", {}).items()
        }
        self.placeholders = {
            "NUM": self.numbers.digits_pattern,
            "WORDS": f"(?i:{self.numbers.words_pattern})",
            # With a scale word ("1.2 million", "zwei Millionen", "120 万"): for counts.
            "BIGNUM": self.numbers.number_pattern,
            "BIGWORDS": f"(?i:{self.numbers.scaled_words_pattern})",
            "DEN": _words_alternation(list(self.fractions)),
            "MULT": _words_alternation(list(self.multiple_words)),
            "PARTITIVE": f"(?i:{_words_alternation(list(self.partitive))})",
            "QB": f"(?i:{_alternation(list(self.qualifiers_before))})",
            "QA": f"(?i:{_alternation(list(self.qualifiers_after))})",
            "COUNTABLE": f"(?i:{countable})",
            # "non-managers", "Nicht-Raucher": a negated group is not the group (checked in
            # the small windows these patterns read; a lookbehind on every position of
            # `term_regex` would cost a third of its scan, so its users call `negated`).
            "TERM": f"(?i:{negated_term}(?:{term_alt}))",
            "THINGS": f"(?i:{_alternation(things)})",
            "YEAR": YEAR,
        }
        self.figures = [self._figure(entry) for entry in data.get("figures", [])]
        # The distinct pre-checks of the figure forms, keyed by pattern: forms share them.
        self.prechecks = {fig.needs.pattern: fig.needs for fig in self.figures
                          if fig.needs is not None}
        self._figures_for: dict[frozenset[str], list[tuple[int, FigureRule]]] = {}
        self.attach_after = self._compile(population.get("attach_after", "^" + _NEVER))
        self.attach_before = self._compile(population.get("attach_before", _NEVER))
        # Terms in a prepositional object ("Empathie für die Mitarbeiter") are not the group
        # a figure is about.
        self.not_after = self._compile(population.get("not_after", _NEVER) + r"\s*$")
        self.count_attach_after = self._compile(
            population.get("count_attach_after", "^" + _NEVER)
        )
        # "1.500 kişi", "2 million people": a count of people that names no group.
        self.people_after = self._compile(r"^\s*(?:" + _alternation(people) + ")")
        # "9,8 Millionen Gästeübernachtungen meldeten die Betriebe": a count of things is
        # about no group, whatever group the words after it name.
        self.thing_after = self._compile(
            r"^\s*(?:[\w-]+\s+)?(?i:" + _alternation(things) + ")" if things else "^" + _NEVER)
        # "12% of dwellings", "2.9 vacancies per 100 jobs": a share or rate of things is about
        # no group (`things_of`: the words that make the share one of them, "of", "der").
        self.things_of_after = self._compile(
            r"^\s*(?:" + population["things_of"] + r")\s*(?:[\w-]+\s+)?(?i:"
            + _alternation(things) + ")" if things and population.get("things_of")
            else "^" + _NEVER)
        self.quantity_share_before = self._compile(
            population.get("quantity_share_before", _NEVER))
        # "12,000+ interviews", "7000 beantworteten Fragebögen": units of a survey.
        self.count_noun_after = self._compile(
            r"^\+?\s*(?:\S+\s+)?(?i:" + _alternation(count_nouns) + ")")
        self.survey_cue = self._compile(population.get("survey_cue", _NEVER))
        # "Base: all employed adults", "Basis: alle Befragten": the base note of a chart or
        # table, matched at the start of a line.
        self.base_line = self._compile(population.get("base_line", _NEVER))
        # "Männer 41,0 %, Frauen 33,5 %", "kadınlarda %85,5", "接待游客3.2亿人次": a group
        # written right before its figure, with nothing but blank space or a colon between
        # (where words are not spaced, the group needs no word boundary before it).
        start = r"(?:^|(?<=\W))" if languages.info(lang).spaces_between_words else ""
        self.term_right_before = self._compile(start + r"(?P<term>{TERM})[\s:：=]*$")
        # Age bands that narrow a group: "18-34-year-olds", "aged 55 and over", "18-34 yaş
        # grubunda", "55 岁及以上"; named groups low + high (a_to in "aged 16 to 64"), plus, under.
        self.age_bands = self._compile_all(population.get("age_bands", []))
        self.age_bands_after = self._compile_all(population.get("age_bands_after", []))
        # Firm-size classes that narrow a group of companies ("bei den Unternehmen mit 100
        # bis 499 Beschäftigten", "在员工人数为100至499人的企业中"); groups low + high, plus,
        # under.  A cheap per-sentence check comes first.
        self.size_bands = self._compile_all(population.get("size_bands", []))
        self.size_cue = self._compile(population.get("size_cue", _NEVER))
        # ... and classes named by words ("große Unternehmen", "mikro işletmelerde",
        # "小微企业"): code -> pattern; a class with numbers beats one named by words.
        self.size_classes = [(code, re.compile(_alternation(patterns))) for code, patterns
                             in population.get("size_classes", {}).items()]
        self.size_class_cue = re.compile(_alternation(
            [p for patterns in population.get("size_classes", {}).values() for p in patterns]))
        self.income_bands = self._compile_all(population.get("income_bands", []))
        self.income_cue = self._compile(population.get("income_cue", _NEVER))
        # Countries a multi-country survey reports apart, in a locative frame ("In the UK",
        # "İngiltere'de", "在英国"): code -> patterns; a cheap check of all of them first.
        # A country named right before its figure ("followed by Japan (40%)") is one too:
        # `place_at`, with {NAME} the country's `place_names`.
        places = {code: list(patterns) for code, patterns in
                  population.get("places", {}).items()}
        names = population.get("place_names", {})
        cues = [p for patterns in places.values() for p in patterns]
        spaced = languages.info(lang).spaces_between_words
        if population.get("place_at"):
            for code, named in names.items():
                places.setdefault(code, []).append(
                    population["place_at"].replace("{NAME}", _alternation(named)))
                cues += [rf"\b(?:{name})\b" if spaced else name for name in named]
        self.places = [(code, re.compile(_alternation(patterns))) for code, patterns in
                       places.items()]
        self.place_cue = re.compile(_alternation(cues))
        # Parts of one country ("In Ostdeutschland", "in rural areas"): code -> patterns.
        regions = population.get("regions", {})
        self.regions = [(code, re.compile(_alternation(patterns)))
                        for code, patterns in regions.items()]
        self.region_cue = re.compile(_alternation(
            [p for patterns in regions.values() for p in patterns]))
        # Words that give a figure for all of a survey's countries ("weltweit", "overall"):
        # it is not the country's part the sentence before spoke of.
        self.whole_cue = self._compile(population.get("whole_cue", _NEVER))
        # A cheap word check per sentence before the age bands are tried per figure.
        self.age_cue = self._compile(population.get("age_cue", _NEVER))
        self._population_cache: dict[str, str | None] = {}
        self.age_after = self._compile(population.get("age_after", r"\s*"))
        # A party's voters named next to a share ("45% of Conservative voters").
        self.party_after = self._compile(population.get("party_after", "^" + _NEVER))
        self.party_before = self._compile(population.get("party_before", _NEVER))
        # A group the lexicon lacks, named right after a share ("41% of pharmacists"): its
        # words become the label.  Only where the language's words are English.
        self.label_after = self._compile(population.get("label_after", "^" + _NEVER))
        self.label_stop = frozenset(w.lower() for w in population.get("label_stop", []))
        # Elsewhere the group is written before the share ("balıkçıların %27'si"); its head
        # names people or organisations by its form (`label_head`, on the head's dictionary
        # form), found by simplemma, by dropping `label_inflection`, or by jieba's words
        # (`label_lemmas`; extract/context/group_labels.py).
        self.label_before = self._compile(population.get("label_before", _NEVER))
        self.label_lemmas = str(population.get("label_lemmas", "words"))
        self.label_head = self._compile(population.get("label_head", ""))
        self.label_inflection = self._compile(population.get("label_inflection", _NEVER))
        # "Bu oranlar sırasıyla %90,9 ve %83,3", "the figures were 71% and 68%": bare figures
        # that follow, in order, the groups named before them.
        self.parallel_cue = self._compile(population.get("parallel_cue", _NEVER))
        # Between a share and a later one, words that set them against each other ("49%,
        # compared with 37% of non-managers"): the later group is the contrast, not the first
        # share's group.
        self.contrast_between = self._compile(population.get("contrast_between", _NEVER))
        # "Of those, 44% ...", "Davon ...", "Bunların ...", "其中...": a sentence about the
        # people the sentence before counted; in English the predicate after that figure
        # ("said they had experienced bullying") labels them.
        self.anaphor_cue = self._compile(r"\W*(?:" + population.get("anaphor_cue", _NEVER) + ")")
        self.predicate_after = self._compile(population.get("predicate_after", "^" + _NEVER))
        # A subgroup a clause defines, next to its share: "Von den Unternehmen, die KI
        # einsetzen, verwenden 58 Prozent", "Abonelik iptal edenlerin %57'si", "在取消过订阅的
        # 受访者中，57%".  The clause's label comes from `subgroups` (a name with the word
        # "base" where the group goes: "ai_using_base"), or, where the words are English
        # (`subgroup_words`), from its own words ("base_who_took_sickness_absence").
        self.subgroup_before = self._compile_all(population.get("subgroup_before", []))
        # What the last characters before a share must look like for a frame before it to
        # be tried at all (the frames are costly to slide over a window).
        self.subgroup_tail = self._compile(population.get("subgroup_tail", ""))
        self.subgroup_after = self._compile_all(population.get("subgroup_after", []))
        self.subgroup_negation = self._compile(population.get("subgroup_negation", _NEVER))
        self.subgroup_words = bool(population.get("subgroup_words", False))
        self.subgroups = [(name, re.compile(_alternation(patterns), re.IGNORECASE))
                          for name, patterns in population.get("subgroups", {}).items()]
        self.people_before_band = self._compile(
            r"(?i:" + _alternation(people) + r")\s*(?:aged\s+|im Alter (?:von\s+)?)?$")
        years = data.get("years", {})
        self.year_before = self._compile_all(years.get("value_before", []))
        self.year_after = self._compile_all(years.get("value_after", []))
        self.year_baseline = self._compile_all(years.get("baseline", []))
        self.change_year_before = self._compile_all(years.get("change_before", []))
        self.previous_year_before = self._compile_all(years.get("previous_before", []))
        self.previous_year_after = self._compile_all(years.get("previous_after", []))
        self.previous_comparison = self._compile_all(years.get("previous_comparison", []))
        self.fieldwork = self._compile_all(years.get("fieldwork", []))
        self.years_ago_before = self._compile_all(years.get("years_ago_before", []))
        self.years_ago_after = self._compile_all(years.get("years_ago_after", []))
        # A period that opens the sentence ("In April 2025, ...") dates every figure of it.
        self.year_frame = self._compile_all(years.get("frame", []))
        # A time phrase anywhere in the clause ("lag im Jahr 2023 in den ländlichen Regionen
        # bei 41 Prozent"): when it is the clause's only year and the clause plans nothing
        # ("plan_cue"), it dates the figures no nearer cue dated.
        self.year_clause = self._compile_all(years.get("clause", []))
        self.plan_cue = self._compile(years.get("plan_cue", _NEVER))
        self.since_then = self._compile(years.get("since_then", _NEVER))
        self.clause_not_before = self._compile(years.get("clause_not_before", _NEVER))
        # A cheap word check per sentence before the patterns above are tried per figure.
        self.previous_year_cue = self._compile(years.get("previous_cue", ""))
        growth = data.get("growth", {})
        self.growth_before = self._compile_all(growth.get("before", []))
        self.growth_after = self._compile_all(growth.get("after", []))
        self.decline_before = self._compile_all(growth.get("decline_before", []))
        self.decline_after = self._compile_all(growth.get("decline_after", []))
        self.level_before = self._compile_all(growth.get("level_before", []))
        self.earlier_between = self._compile_all(growth.get("earlier_between", []))
        self.level_between = self._compile_all(growth.get("level_between", []))
        # Between the change of a count and a percent: the change in percent ("um 9.000
        # Personen (−0,4 %)", "rose by 12,000, or 0.4%").
        self.change_share_between = self._compile_all(growth.get("change_share_between", []))
        # Between two changes, a second subject without its verb ("Heizöl verbilligte sich um
        # 2,2 %, Kraftstoffe um 4,9 %"): the second goes the way of the first.
        self.elliptic_between = self._compile_all(growth.get("elliptic_between", []))
        from_to = data.get("from_to", {})
        self.from_before = self._compile_all(from_to.get("before", []))
        self.from_between = self._compile_all(from_to.get("between", []))
        self.from_period = self._compile_all(from_to.get("period", []))
        self.pair_before = self._compile_all(from_to.get("pair_before", []))
        # A unit written once for two values: "von 21 auf 27 Prozent" (the bare number before
        # a figure), "yüzde 3,9'dan 4,4'e" (the bare number after it); group `num`.
        self.bare_from = self._compile_all(from_to.get("bare_before", []))
        self.bare_to = self._compile_all(from_to.get("bare_after", []))
        self.count_partner = self._compile_all(from_to.get("count_partner", []))
        # After the change of a count, the level it reached ("rose by 1.2 million to 3.4
        # million", "um 162 000 Personen (−6,5 %) auf 2,34 Millionen").
        self.change_level = self._compile_all(from_to.get("change_level", []))
        # Figures listed with one verb: "rose by 2.4%, 3.1% and 5.6%", "分别增长7.2%、9.9%和21.4%".
        enumeration = data.get("enumeration", {})
        self.list_separator = self._compile_all(enumeration.get("separator", []))
        self.list_last = self._compile_all(enumeration.get("last", []))
        self.list_end = self._compile_all(enumeration.get("end", []))
        self.negative_sentence = self._compile_all(data.get("negatives", {}).get("sentence", []))
        # Right before a percent after a share of the same sentence: a threshold that defines
        # whom the share counts ("16 % ... hatten eine Mietbelastung von mehr als 40 %").
        self.threshold_before = self._compile(
            data.get("negatives", {}).get("threshold_before", _NEVER) + r"\s*$")
        # A rate per thousand or more ("per 100,000 people", "je 100.000 Einwohner"): no figure.
        self.rate_after = self._compile(r"^(?:" + data.get("negatives", {}).get(
            "rate_after", _NEVER) + ")")
        self.rate_before = self._compile(
            "(?:" + data.get("negatives", {}).get("rate_before", _NEVER) + r")\s*$")
        # Chinese writes no spaces, so a qualifier there needs no word boundary.
        boundary = r"(?:^|(?<=[\W]))" if qualifiers.get("word_boundary", True) else ""
        # One regex per side; the named group that matched says which qualifier it is.
        self._qualifier_names: dict[str, str] = {}
        self.qualifier_before_regex = self._qualifier_regex(
            self.qualifiers_before, rf"{boundary}(?:{{alt}})\s*$")
        self.qualifier_after_regex = self._qualifier_regex(
            self.qualifiers_after, r"^\s*(?:{alt})" + (r"(?!\w)" if boundary else ""))

    def _qualifier_regex(self, table: dict[str, str], frame: str) -> re.Pattern[str]:
        branches = []
        for key, qualifier in sorted(table.items(), key=lambda kv: -len(kv[0])):
            name = f"q{len(self._qualifier_names)}"
            self._qualifier_names[name] = qualifier
            branches.append(f"(?P<{name}>{key})")
        alt = "|".join(branches) or _NEVER
        # Read over precheck_fold(text), as case-insensitive matching would, only faster:
        # the window before every figure is tried.
        return _precheck(frame.replace("{alt}", alt))

    def qualifier_named(self, match: re.Match[str]) -> str:
        """The qualifier of the branch that matched in a qualifier regex."""
        return self._qualifier_names[str(match.lastgroup)]

    def fill(self, template: str) -> str:
        """Replace {NAME} placeholders (and nothing else) in a regex template."""
        return re.sub(r"\{([A-Z]+)\}", lambda m: self.placeholders.get(m.group(1), m.group(0)),
                      template)

    def _compile(self, template: str) -> re.Pattern[str]:
        try:
            return re.compile(self.fill(template))
        except re.error as exc:
            raise LexiconError(f"{self.lang}: bad pattern {template!r}: {exc}") from exc

    def _compile_all(self, templates: list[str]) -> list[re.Pattern[str]]:
        return [self._compile(t) for t in templates]

    def _figure(self, entry: dict[str, Any]) -> FigureRule:
        try:
            return FigureRule(
                rule=entry["rule"],
                kind=entry["kind"],
                unit=entry["unit"],
                regex=self._compile(entry["pattern"]),
                value=entry.get("value"),
                denominator=entry.get("denominator"),
                needs=_precheck(entry["needs"]) if entry.get("needs") else None,
                not_before=(self._compile(f"(?:{entry['not_before']})$")
                            if entry.get("not_before") else None),
                not_after=(self._compile(f"^(?:{entry['not_after']})")
                           if entry.get("not_after") else None),
                sample=bool(entry.get("sample", False)),
                yearlike_counts=bool(entry.get("yearlike_counts", False)),
                change=bool(entry.get("change", False)),
            )
        except KeyError as exc:
            raise LexiconError(f"{self.lang}: figure entry {entry!r} lacks {exc}") from exc
        except re.error as exc:
            raise LexiconError(f"{self.lang}: figure {entry.get('rule')!r}: bad needs "
                               f"{entry.get('needs')!r}: {exc}") from exc

    def negated(self, text: str, start: int) -> bool:
        """Whether the group word at `start` is negated ("non-managers", "Nicht-Raucher")."""
        return self._negated_before.search(
            text, max(0, start - self._negation_reach), start) is not None

    def figures_for(self, present: frozenset[str]) -> list[tuple[int, FigureRule]]:
        """(order, form) of the figure forms whose pre-check is among `present` (or that
        have none); a document has few distinct sets, so each is worked out once."""
        forms = self._figures_for.get(present)
        if forms is None:
            forms = [(order, fig) for order, fig in enumerate(self.figures)
                     if fig.needs is None or fig.needs.pattern in present]
            self._figures_for[present] = forms
        return forms

    def qualifier_of(self, phrase: str) -> str | None:
        """The qualifier a phrase (a qb/qa group of a verbal figure) expresses."""
        phrase = phrase.strip()
        for table in (self.qualifiers_before, self.qualifiers_after):
            for key, qualifier in table.items():
                if re.fullmatch(key, phrase, re.IGNORECASE):
                    return qualifier
        return None

    def population_of(self, term_text: str) -> str | None:
        """Which population a matched term names (the longest matching term wins).  The same
        few words recur in every document, so each is looked up once."""
        found = self._population_cache.get(term_text, self)
        if found is self:
            found = self._population_cache[term_text] = self._population_of(term_text)
        return found  # type: ignore[return-value]

    def _population_of(self, term_text: str) -> str | None:
        best: tuple[int, str] | None = None
        for term in self.terms:
            match = term.regex.match(term_text)
            if match and (best is None or match.end() > best[0]):
                best = (match.end(), term.name)
        return best[1] if best else None


SEX_PARTS = {"women": "female", "men": "male"}  # a sex's part of a survey's people


@cache
def part_prefixes() -> frozenset[str]:
    """The first words of a group's name that make it a part of a survey's people, not a
    kind of them: a sex ("female_staff") or a country ("uk_consumers", the codes of every
    supported language's `[population.places]`), or a part of a country (its
    `[population.regions]`: "east_germany_respondents")."""
    places: set[str] = set()
    for lang in languages.supported():
        try:
            population = load(lang).get("population", {})
            places |= set(population.get("places", {})) | set(population.get("regions", {}))
        except LexiconError:
            continue
    return frozenset(SEX_PARTS.values()) | frozenset(places)


@cache
def rules_for(lang: str) -> LanguageRules:
    """The compiled rules of `lang`, built once per process."""
    return LanguageRules(lang, load(lang))
