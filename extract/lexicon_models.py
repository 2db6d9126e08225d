"""Typed models of the language data files (extract/lang/<code>/*.toml).

One model per file kind, each forbidding unknown keys: a typo such as
`not_befor` in figures.toml is an error naming the file, the entry and the key,
never a setting that is silently dropped. Every key is optional, because a
user folder (POLYSTAT_LEXICON_DIR) may add a few entries to one table; the
keys each file kind holds are described in extract/lang/README.md.

The models only check: `extract/lexicon.py` keeps merging the files' own
mappings, so validation changes nothing about what the extractor reads.
"""

from __future__ import annotations

import re
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from extract.records import COUNT_CHANGE


def _compiles(pattern: str) -> str:
    """A plain regex (no {PLACEHOLDER}s): it must compile as written."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression ({exc})") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_compiles)]
# A regex, maybe with {PLACEHOLDER}s: compiled (and its errors reported) where it is used;
# compiling each one here as well would double the cost of loading a language.
Template = str
def _snake_case(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError("expected a snake_case English name such as service_professionals")
    return name


Snake = Annotated[str, AfterValidator(_snake_case)]  # population and concept names
Qualifier = Literal["exact", "approx", "more_than", "less_than", "nearly", "at_least"]
Words = list[str]
Templates = list[Template]


class _Table(BaseModel):
    # strict: TOML has its own types, so "3" where a number belongs is a mistake, not a 3.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)


# --------------------------------------------------------------------------- segment.toml

class SegmentTable(_Table):
    abbreviations: Words = []


class SegmentFile(_Table):
    segment: SegmentTable | None = None


# --------------------------------------------------------------------------- numbers.toml

class NumbersTable(_Table):
    group_separator: str | None = None
    decimal_separator: str | None = None
    compound: Literal["additive", "german", "chinese"] | None = None
    words: dict[str, int] = {}
    scales: dict[str, int] = {}
    big_scales: dict[str, int] = {}
    partitive: dict[str, int] = {}
    chain_scales: bool | None = None  # scale words chain groups: "4 bin 215", "24 milyon 610 bin"
    space_groups: bool | None = None  # a plain space groups thousands too: "231 000 Menschen"


class NumbersFile(_Table):
    numbers: NumbersTable | None = None


# --------------------------------------------------------------------------- figures.toml

class FigureEntry(_Table):
    rule: str
    kind: Literal["number", "count", "fraction", "ratio", "multiple", "range"]
    unit: Literal["percent", "count", "percent_change", "percentage_points", "multiple"]
    pattern: Template
    needs: Regex | None = None
    not_before: Template | None = None
    not_after: Template | None = None
    value: float | None = None
    denominator: int | None = None
    sample: bool = False
    # A count in this form may look like a year ("2000名受访者"): the form itself (a measure
    # word after it) says it is none.
    yearlike_counts: bool = False
    # The count is an absolute change of a level ("up 9,800", "um 12.400 gestiegen"); a
    # group `down` in the pattern says it falls.  Its rule id names it so
    # (extract.records.COUNT_CHANGE): the linker reads that from the stored rule.
    change: bool = False

    @model_validator(mode="after")
    def _change_is_named(self) -> FigureEntry:
        if self.change and not self.rule.split(".", 1)[-1].startswith(COUNT_CHANGE):
            raise ValueError(f"a figure with change = true needs a rule id "
                             f"'<lang>.{COUNT_CHANGE}...', not {self.rule!r}")
        return self


class FractionsTable(_Table):
    denominators: dict[str, int] = {}
    one_words: Words = []


class MultiplesTable(_Table):
    words: dict[str, float] = {}


class CountsTable(_Table):
    things: Templates = []  # counted things that are findings ("Wohnungen", "işyeri", "户")


class FiguresFile(_Table):
    figures: list[FigureEntry] = []
    fractions: FractionsTable | None = None
    multiples: MultiplesTable | None = None
    counts: CountsTable | None = None


# --------------------------------------------------------------------------- qualifiers.toml

class QualifiersTable(_Table):
    before: dict[Template, Qualifier] = {}
    after: dict[Template, Qualifier] = {}
    word_boundary: bool | None = None


class QualifiersFile(_Table):
    qualifiers: QualifiersTable | None = None


# --------------------------------------------------------------------------- population.toml

class PopulationTable(_Table):
    terms: dict[Snake, Templates] = {}
    weak: list[Snake] = []
    count_only: list[Snake] = []
    not_after: Template | None = None
    attach_after: Template | None = None
    attach_before: Template | None = None
    count_attach_after: Template | None = None
    count_nouns: Templates = []
    people_nouns: Templates = []
    survey_cue: Template | None = None
    base_line: Template | None = None
    # Narrower groups: age bands, firm-size classes, countries (extract/lang/README.md).
    age_cue: Template | None = None
    age_bands: Templates = []
    age_bands_after: Templates = []
    age_after: Template | None = None
    size_cue: Template | None = None
    size_bands: Templates = []
    # Firm-size classes named by words ("Großunternehmen", "mikro işletmeler", "小微企业"):
    # code -> patterns; a share of one is the `<code>_<group>` part of the companies.
    size_classes: dict[Snake, Templates] = {}
    # Income bands that narrow a group ("mit einem Haushaltsnettoeinkommen unter 2.000 Euro",
    # "geliri 20 bin TL'nin altında olanlarda", "月收入5000元以下"): groups `under`, `plus`,
    # `low` + `high` hold amounts (extract/context/incomes.py); `income_cue` is the cheap
    # per-sentence check before they are tried.
    income_cue: Template | None = None
    income_bands: Templates = []
    places: dict[Snake, Templates] = {}
    # Parts of one country a survey reports apart, in a locative frame ("In Ostdeutschland",
    # "in Bayern", "in rural areas", "kırsal kesimde", "中心城区"): code -> patterns; a share
    # of one is the `<code>_<group>` part of the survey's group, in any survey.
    regions: dict[Snake, Templates] = {}
    # A country named right before its figure without a locative frame ("followed by Japan
    # (40%)", "the UK leads with 53%"): `place_at` with {NAME} replaced by the names of
    # `place_names` (code -> name regexes); it must end in $ (it is tried on the text
    # between the figure before and this one).
    place_names: dict[Snake, Templates] = {}
    place_at: Template | None = None
    # Words that give a figure for all of a survey's countries ("weltweit", "overall").
    whole_cue: Template | None = None
    # A party's voters next to a share, group `party` (extract/context/parties.py): right
    # after it ("45% of Conservative voters") or in its clause before it ("Unter den
    # Anhängern der Grünen würden 64 Prozent"; it must end in $).
    party_after: Template | None = None
    party_before: Template | None = None
    # A group the lexicon lacks, named right after a share ("41% of hospital pharmacists").
    label_after: Template | None = None
    label_stop: Words = []
    # ... or right before it ("balıkçıların %27'si"); how its head's dictionary form is found
    # (words | simplemma | inflection | segments), the form a group's head has, and the
    # endings dropped (extract/context/group_labels.py).
    label_before: Template | None = None
    label_lemmas: Literal["words", "simplemma", "inflection", "segments"] = "words"
    label_head: Template | None = None
    label_inflection: Template | None = None
    # Figures given in the order of groups named before ("respectively", "sırasıyla").
    parallel_cue: Template | None = None
    # Prefixes joined to a group word that negate it ("non-managers", "Nicht-Raucher"):
    # such a group is not the group.
    negating_prefixes: list[str] = []
    # Between a share and a later one: they are set against each other ("49%, compared with
    # 37% of non-managers"), so the later group is not the first share's.
    contrast_between: Template | None = None
    # The words after a share that make it a share of things ("of", "der"): "12% of dwellings"
    # is about no group, nor is "2.9 vacancies per 100 jobs" (figures.toml [counts] things).
    things_of: Template | None = None
    # Before a share in its clause: the share is one of a quantity, not of people ("Der
    # Anteil des Onlinehandels am Einzelhandelsumsatz", "market share", "genel ticaret
    # içindeki payı", "渗透率"): about no group, whoever the report asked.
    quantity_share_before: Template | None = None
    # A sentence about the people the sentence before counted ("Of those,", "Davon"), and
    # (English) the predicate after that figure that labels them.
    anaphor_cue: Template | None = None
    predicate_after: Template | None = None
    # Subgroups a clause defines ("Von den Unternehmen, die KI einsetzen, ...", "among those
    # who cancelled"): frames around a share with a `clause` (and optional `term`) group,
    # the clause's negation, and labels for known clauses (extract/lang/README.md).
    subgroup_before: Templates = []
    subgroup_tail: Template | None = None  # cheap check of the text right before the share
    subgroup_after: Templates = []
    subgroup_negation: Template | None = None
    subgroup_words: bool = False
    subgroups: dict[Snake, Templates] = {}


class PopulationFile(_Table):
    population: PopulationTable | None = None


# --------------------------------------------------------------------------- cues.toml

class YearsTable(_Table):
    value_before: Templates = []
    value_after: Templates = []
    baseline: Templates = []
    change_before: Templates = []
    previous_before: Templates = []
    previous_after: Templates = []
    previous_cue: Template | None = None
    # Some years before the survey: "vor zwei Jahren", "four years ago", "iki yıl önce",
    # "两年前"; group `n` is the number of years (digits or number words).
    years_ago_before: Templates = []
    years_ago_after: Templates = []
    frame: Templates = []  # a period opening a sentence dates its figures ("In April 2025,")
    # A time phrase anywhere in a clause (group `year`): the clause's only year dates the
    # figures no nearer cue dated ("lag im Jahr 2023 in den ländlichen Regionen bei 41
    # Prozent"), unless the clause plans or forecasts (`plan_cue`: "planen", "by 2030").
    clause: Templates = []
    plan_cue: Template | None = None
    # A forecast (extract/forecasts.py): a forecast word or horizon between the clause's
    # start and the figure ("expects ... to reach", "Bis 2030", "预计"), a forecast verb after
    # it where the verb ends the clause ("çıkmasını bekliyor"), unless right after the figure
    # it is the clause's subject ("yüzde 44'ü"). Its year is the one its clause names.
    forecast_before: Template | None = None
    forecast_after: Template | None = None
    forecast_not_after: Template | None = None
    # Before a figure: it counts from the clause's year ("seitdem", "since then"), so that
    # year is not its own.
    since_then: Template | None = None
    # Right before a figure: it is a value of another time ("up from 41%", "nach 2,4 %"), so
    # the clause's year is not its own.
    clause_not_before: Template | None = None
    # The sentence compares with the year before ("gegenüber dem Vorjahr", "önceki yıla göre",
    # "比上年", "year on year"): the first value of "from X to Y" is that year's.
    previous_comparison: Templates = []
    # When the document says its survey was fielded (group `year`): "Die im Frühjahr 2025
    # durchgeführte Befragung", "interviewed between February and April 2025", "本次调查于
    # 2023年10月开展". The survey year of a document listed without one whose title names
    # none (a press release), when the text names one such year only.
    fieldwork: Templates = []


class GrowthTable(_Table):
    before: Templates = []
    after: Templates = []
    decline_before: Templates = []
    decline_after: Templates = []
    # Right before a figure, a word that makes it the new level, not the change ("ist auf
    # 8,1 Prozent gesunken"): the cues after the figure then say nothing about it.
    level_before: Templates = []
    # Between a change and a percent after it, words that make that percent the change's
    # earlier rate ("rose 3.2%, down from 3.4%", "um 2,2 % nach 2,4 %"): a change too.
    earlier_between: Templates = []
    # Between a change and a figure after it, words that make that figure the level the
    # change reached ("1,4 puan azalarak yüzde 10,4", "增0.2个百分点至4.4%"): it shares the
    # change's time ("2022'de ... 1,4 puan azalarak yüzde 10,4 oldu" is all 2022).
    level_between: Templates = []
    # Between the change of a count and a percent, words that make the percent that change
    # in percent ("um 9.000 Personen (−0,4 %)", "rose by 12,000, or 0.4%").
    change_share_between: Templates = []
    # Between two changes, a second subject without its verb: the second goes the way of the
    # first ("Heizöl verbilligte sich um 2,2 %, Kraftstoffe um 4,9 %").
    elliptic_between: Templates = []


class FromToTable(_Table):
    before: Templates = []
    between: Templates = []
    bare_before: Templates = []  # a unitless first value before the figure ("von 21 auf")
    bare_after: Templates = []  # ... or after it ("%3,9'dan 4,4'e")
    # Read right after a count: a bare number (group `num`) that is the count at another
    # time or its change ("compared with 1,420 in 2024", "up 9,800 (0.8%)").
    count_partner: Templates = []
    # Read right after the change of a count: the level it reached (group `num`): "rose by
    # 1.2 million to 3.4 million", "um 162 000 Personen (−6,5 %) auf 2,34 Millionen".
    change_level: Templates = []
    # The sentence names a period by its first and last year (groups `start` and `end`):
    # "fell between 2004 and 2022 (19% to 13% among men ...)" -> each pair "X to Y" is
    # the start's and the end's; such a pair needs no "from" (`pair_before` instead).
    period: Templates = []
    pair_before: Templates = []


class EnumerationTable(_Table):
    """Figures listed under one verb ("sank um 27,8 %, 22,5 % bzw. 16,1 %")."""

    separator: Templates = []
    last: Templates = []
    end: Templates = []


class NegativesTable(_Table):
    sentence: Templates = []
    # Right before a percent that follows a share of the same sentence: the percent is a
    # threshold defining whom the share counts, no statistic ("16 % der Haushalte hatten eine
    # Mietbelastung von mehr als 40 %", "12% of renters had a cost burden of over 40%").
    threshold_before: Template | None = None
    # A rate per thousand or more is no figure (no unit says "per 100,000"): what follows
    # its number ("412 cases per 100,000 people", "412 Fälle je 100.000 Einwohner") or
    # ends right before it ("Je 100.000 Einwohner wurden 412 Fälle").
    rate_after: Template | None = None
    rate_before: Template | None = None


class CuesFile(_Table):
    years: YearsTable | None = None
    growth: GrowthTable | None = None
    from_to: FromToTable | None = None
    enumeration: EnumerationTable | None = None
    negatives: NegativesTable | None = None


# --------------------------------------------------------------------------- concepts.toml

class ClausesTable(_Table):
    conjunctions: Words = []


class ConceptsFile(_Table):
    concepts: dict[Snake, Templates] = {}
    clauses: ClausesTable | None = None
    # predicate words (claim lemmas; substrings of words where words are not spaced) ->
    # language-independent ids the linker compares across languages
    predicates: dict[Snake, Words] = {}


# --------------------------------------------------------------------------- layout.toml

class HyphenationTable(_Table):
    suspended_before: Words = []
    lowercase_compounds: bool | None = None


class LayoutFile(_Table):
    hyphenation: HyphenationTable | None = None


# --------------------------------------------------------------------------- claims.toml

class ClaimsTable(_Table):
    """What a figure's clause claims (extract/claims.py)."""

    stopwords: Words = []
    negations: Words = []
    # A word form that negates its verb, where a suffix does ("güvenmiyor", "kullanmadığını"):
    # matched against each whole folded word of the clause.
    negating_forms: Regex = ""
    respectively: Words = []
    # What joins the names of a list that a respectively word pairs with its figures
    # ("台式电脑、笔记本电脑和平板电脑 ... 分别为", "bilgisayar ve internet ... sırasıyla"): the
    # k-th figure's claim keeps the k-th name only (extract/respective.py).
    list_joins: Regex = ""
    anaphors: Words = []
    # A count of people describes a survey's sample only when its sentence holds one of
    # these (word beginnings); a count whose own clause holds a `sample_bases` word is the
    # base the sample was drawn from ("7,262 colleagues we invited"), not the sample.
    samples: Words = []
    sample_bases: Words = []
    # ... and a count whose own clause holds a `sample_parts` word is a part of the sample
    # ("davon 150 aus der Industrie", "其中大学生820人"), not a second sample.
    sample_parts: Words = []
    # Words that give a change its direction ("上涨", "下降"): the figure's sign, dropped from
    # the claim of a change so that a rise and a fall of one measure are one claim.
    directions: Words = []
    # Phrases of a sentence saying its question was newly worded or its figure cannot be
    # set beside earlier editions ("neu gestellt", "on the new wording", "yeni soruya
    # göre", "口径调整"): its figures start a series of their own.
    new_wording: Words = []
    # Words that name a point of an answer scale, by the point they name ("sehr" and
    # "very" are `very`; "eher" and "somewhat" are `somewhat`): "very satisfied" and
    # "satisfied" are two points of one scale, never one claim. A language without the
    # table does not tell its scale points apart.
    intensifiers: dict[str, Words] | None = None
    # Regexes naming the period a figure covers or the base a change is measured against,
    # by the period's kind ("im Oktober": month, "gegenüber dem Vormonat": previous_month);
    # a named group `n` completes the name (month + "oktober"). Two claims of one language
    # naming other periods ("im Oktober" / "im September", "bir önceki aya göre" / "bir
    # önceki yılın aynı ayına göre", "三季度" / "二季度") are two claims.
    periods: dict[str, list[Regex]] | None = None


class CitationsTable(_Table):
    """How coverage cites the survey it reports (extract/citations.py)."""

    # Regular expressions with a group `name` (the institute or survey cited) and
    # optionally `year` (an edition: "the 2024 edition of X"); a figure of a document
    # without an edition belongs to the study its sentence, or the coverage before it, cites.
    patterns: list[Regex] = []
    # Regular expressions of a word that says what kind of body a cited name opens with
    # ("des Meinungsforschungsinstituts YouGov", "Institut Waldmann"): the name without it
    # names the same study, as a publisher entry often gives it alone.
    kinds: list[Regex] = []


class ClaimsFile(_Table):
    claims: ClaimsTable | None = None
    citations: CitationsTable | None = None


# --------------------------------------------------------------------------- language.toml


class ScriptTable(_Table):
    letters: str  # a regex character class of letters only this language uses
    confidence: float = Field(gt=0, le=1)
    min_letters: int = Field(1, ge=1)
    overrules_detector: float | None = Field(None, gt=0, le=1)
    shared_letters: str | None = None
    shared_with: list[str] = []


class LanguageTable(_Table):
    # Optional here because a user's folder may override one key; after the merge every
    # language has a name (`_info` says so when it has not).
    name: str | None = None
    langdetect: list[str] | None = None
    lowercase: dict[str, str] = {}
    spaces_between_words: bool = True
    script: ScriptTable | None = None


class LanguageFile(_Table):
    """The model of one language.toml file (for a checker of every language file)."""

    language: LanguageTable | None = None


FILE_MODELS: dict[str, type[_Table]] = {
    "segment.toml": SegmentFile, "numbers.toml": NumbersFile, "figures.toml": FiguresFile,
    "qualifiers.toml": QualifiersFile, "population.toml": PopulationFile,
    "cues.toml": CuesFile, "concepts.toml": ConceptsFile, "layout.toml": LayoutFile,
    "language.toml": LanguageFile, "claims.toml": ClaimsFile,
}


def problems(path: Path, data: dict[str, Any]) -> list[str]:
    """What is wrong with one parsed language file, one line per problem (empty: valid)."""
    model = FILE_MODELS.get(path.name)
    if model is None:
        return [f"{path}: not a language file name; use one of {', '.join(FILE_MODELS)} "
                "(extract/lang/README.md says what each holds)"]
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [f"{path}: {_describe(model, data, error)}" for error in exc.errors()]
    return []


def _describe(model: type[BaseModel], data: dict[str, Any], error: Any) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        return (f"{_where(data, loc[:-1])}unknown key `{loc[-1]}`; expected one of: "
                f"{', '.join(known)}")
    if error["type"] == "missing":
        return f"{_where(data, loc[:-1])}missing key `{loc[-1]}`"
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    if loc[-1] == "[key]":  # the name of an entry, not its value
        return f"{_where(data, loc[:-2])}key {error['input']!r}: {message}"
    return f"{_where(data, loc[:-1])}`{_key(loc)}` = {error['input']!r}: {message}"


def _key(loc: tuple[Any, ...]) -> str:
    """The key a value sits under, with a list index or a dict key after it if any."""
    named = [str(part) for part in loc if isinstance(part, str) and part != "[key]"]
    return named[-1] if named else "?"


def _where(data: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """`[[figures]] #12 rule=en.points: `, `[population.terms] `: the entry or table."""
    tables: list[str] = []
    node: Any = data
    for position, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list):
            entry = node[part] if part < len(node) else None
            label = f"[[{'.'.join(tables)}]] #{part + 1}"
            if isinstance(entry, dict) and isinstance(entry.get("rule"), str):
                label += f" rule={entry['rule']}"
            rest = ".".join(str(p) for p in loc[position + 1:])
            return f"{label}{' ' + rest if rest else ''}: "
        tables.append(str(part))
        node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict | list):
            break
    return f"[{'.'.join(tables)}] " if tables else ""


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The keys the model allows at `loc` (a table inside a file)."""
    current: Any = model
    for part in loc:
        current = _item_type(current, part)
    current = _without_none(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _item_type(annotation: Any, part: Any) -> Any:
    """The type found one step into `annotation` (a model field, a list item, a dict value)."""
    annotation = _without_none(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(str(part))
        return field.annotation if field else None
    origin = get_origin(annotation)
    if origin is list:
        return get_args(annotation)[0]
    if origin is dict:
        return get_args(annotation)[1]
    return None


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not type(None)]
        return kept[0] if len(kept) == 1 else annotation
    return annotation
