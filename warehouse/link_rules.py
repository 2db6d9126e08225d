"""The linker's rules: when two figures measure the same thing, and how strongly.

Each figure carries its claim and its study (`warehouse/link_claims.py`). Evidence that
two figures measure the same thing, strongest first:
  group        values of one sentence that compare the same measure over years
  paraphrase   a verbal share next to its exact figure ("less than half (48%)")
  anaphor      a figure that refers back to one of another year ("dieser Anteil", "bu
               oran", "这一比例", "(2022: 63%)"); in the same year it names a part
  headline     a headline figure and the one body figure with its value
  restatement  the same value and year again: in one document with similar words, or in
               another document of the same study (a summary, a translation; in another
               language only in the order of the study's figures, or with predicate ids
               in common (two for the survey year, one for an earlier year), or a
               headline's group); one document giving a near-identical claim two values
               (a slip, a conflict)
  edition      the same claim (similar words, a shorter wording will do) in another
               edition of the study
  claim        a near-identical claim in another study (same language)
  translation  claims in two languages whose English translations agree
  fingerprint  comparison groups sharing (year, value) points and a topic
  predicates   one study's claim in two languages without a translation: the same ids of
               predicate words (the concept lexicon), a conflict only with several
  concepts     one study across languages without a translation: same group, unit and
               concepts (two studies sharing topic words, "AI" and "training", are most
               often giving different findings: wanting training, being offered it)
  sample       counts of people, countries, ... describing a survey's sample
Equal values alone never link two observations; claims that grade an answer differently
("çok memnun" / "memnun", "非常满意" / "满意") never share a metric. `score_pair` scores one
pair; which pairs are scored, and how links become metrics, is `warehouse/linking.py`.
"""

from __future__ import annotations

from collections import defaultdict

from extract.claims import NUMBER_MARK, content_words, is_gloss, negating
from extract.rules import part_prefixes
from warehouse.link_claims import CLAUSE_BREAK, Node, claim_shingles, kept_apart, nearby, periods
from warehouse.link_forecasts import forecasts_apart
from warehouse.link_waves import other_waves, same_study

LINKER_VERSION = "linker-14"
LINK_THRESHOLD = 0.75
SAME_CLAIM = 0.5  # Jaccard of claim words: the same claim in one language
SAME_CLAIM_WORDS = SAME_CLAIM
RESTATED_CLAIM = 0.3  # ... enough when value, year and study are the same too
RESTATED_DIFFERENTLY = 0.75  # one document giving one claim two values (a slip)
MIN_PREDICATES = 2  # predicate ids two languages must share to be one claim of one study
CERTAIN_PREDICATES = 3  # ... to be one claim given two values (a conflict)
SAME_SENTENCE = 0.5  # Jaccard of sentence shingles: near-identical wording
MIN_WORDS = 3  # fewer claim words say too little to call two figures one claim
NEARBY = 4  # places before and after a figure where its neighbours in order are looked for
PEOPLE_SAMPLE_LABEL = "survey responses"
# Counts of these are not a survey's respondents (companies and organisations answering a
# survey are its respondents).
NON_PEOPLE_COUNTS = {"countries", "continents", "industries", "regions", "markets",
                     "households", "provinces"}


def jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def count_kind(node: Node) -> str | None:
    if node.unit != "count":
        return None
    if node.population in NON_PEOPLE_COUNTS:
        return node.population
    return PEOPLE_SAMPLE_LABEL if node.population else None


def _is_verbal(node: Node) -> bool:
    return is_gloss(node.surface)  # ("nearly half", "7 in 10")


def fingerprints(nodes: list[Node]) -> dict[str, set[tuple[int, float]]]:
    points: dict[str, set[tuple[int, float]]] = defaultdict(set)
    for node in nodes:
        if node.group_key and node.year is not None:
            points[node.group_key].add((node.year, round(node.value, 2)))
    return points


def compatible(a: str | None, b: str | None) -> bool:
    """Same group, or one a narrower kind of the other (it_decision_makers, decision_makers);
    a part of the other (uk_consumers, female_staff: a country's or a sex's part of a
    survey's people) is another group."""
    if a is None or b is None:
        return a == b
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    if not long.endswith("_" + short):
        return False
    return long[: -len(short) - 1].split("_", 1)[0] not in part_prefixes()


def _paraphrase(a: Node, b: Node) -> bool:
    """A verbal share glossing an exact figure next to it: "less than half (48%)"."""
    if a.doc_id != b.doc_id or a.claim_start != b.claim_start or not a.unit == b.unit == "percent":
        return False
    if _is_verbal(a) == _is_verbal(b) or abs(a.value - b.value) > 20:
        return False
    first, second = (a, b) if a.start < b.start else (b, a)
    between = first.claim[first.end - first.claim_start:second.start - second.claim_start]
    return len(between) <= 3 or (len(between) <= 30 and ("(" in between or "（" in between)
                                 and not CLAUSE_BREAK.search(between))


GENERIC_PEOPLE = {None, "respondents", "people", "adults"}


def _claim_similarity(a: Node, b: Node) -> float:
    return jaccard(a.words, b.words)


def _continued_similarity(a: Node, b: Node) -> float:
    """The claims' similarity where a figure without words of its own reads those of the
    figure it continues (`Node.continued_words`): one study's earlier value, restated."""
    return jaccard(a.words or a.continued_words, b.words or b.continued_words)


def _claim_containment(a: Node, b: Node) -> float:
    """How much of the shorter claim the other repeats (a headline restates a sentence
    of the body in fewer words)."""
    shared = len(a.words & b.words)
    return shared / min(len(a.words), len(b.words)) if shared >= 2 else 0.0


def _people_agree(a: Node, b: Node) -> bool:
    """Same kind of people, or one of them names nobody in particular."""
    return compatible(a.population, b.population) or (
        a.population in GENERIC_PEOPLE or b.population in GENERIC_PEOPLE)


def _translations_agree(a: Node, b: Node) -> bool:
    """Claims in two languages that say the same in English (a translation model is
    installed): near-identical English words."""
    if min(len(a.words_en), len(b.words_en)) < MIN_WORDS:
        return False
    return jaccard(a.words_en, b.words_en) >= SAME_CLAIM


def _anaphor_link(a: Node, b: Node) -> tuple[str, float] | None:
    """Figures a document itself ties together: a headline and the body figure it gives;
    "… 61 Prozent. Ein Jahr zuvor lag dieser Anteil bei 55 Prozent", the same measure in
    another year. In the same year an anaphor names a part ("in the UK the figure is
    73%"), another measure."""
    if a.headline_of == b.obs_id or b.headline_of == a.obs_id:
        return "headline", 0.9
    refers = b.antecedent == a.obs_id or a.antecedent == b.obs_id
    if refers and a.year is not None and b.year is not None and a.year != b.year:
        referring, referred = (b, a) if b.antecedent == a.obs_id else (a, b)
        if referring.frame - referred.words or _another_group(referring, referred):
            return None  # "In London, 61% said so in 2022", "Bei den Frauen waren es …": a part
        return "anaphor", 0.9
    return None


def _another_group(a: Node, b: Node) -> bool:
    """Two groups named, and not the same ("female_employees" is a part of "employees")."""
    return a.population is not None and b.population is not None and (
        a.population != b.population)


def _sentences_alike(a: Node, b: Node) -> bool:
    """Near-identical sentences (word stems or character pairs, figures left out)."""
    return jaccard(claim_shingles(a), claim_shingles(b)) >= SAME_SENTENCE


def _same_sentence_words(a: Node, b: Node) -> bool:
    """Whether two figures' sentences say the same beyond their clauses: a parallel
    sentence ("retail grew 5.3%, 1.1 points faster than in April"; "industry grew 6.4%,
    0.8 points faster") repeats a clause about another subject."""
    return jaccard(content_words(a.claim, a.lang or "en"),
                   content_words(b.claim, b.lang or "en")) >= RESTATED_DIFFERENTLY


def _lead_in_words(node: Node) -> frozenset[str]:
    """The words of a figure's sentence before its own clause ("In financial services,"
    before "61% of companies have deployed ...")."""
    at = node.claim.find(node.clause) if node.clause else -1
    return content_words(node.claim[:at], node.lang or "en") if at > 0 else frozenset()


def _framed_apart(a: Node, b: Node) -> bool:
    """Two figures of one document with the same words, one framed by a lead-in the other's
    sentence lacks ("In financial services, 61% of companies have deployed AI tools" beside
    "44% of companies have deployed AI tools"; "Im öffentlichen Dienst sind ..."): a part
    of the whole, or another period, not one claim restated differently (a conflict)."""
    sentence_a = content_words(a.claim, a.lang or "en")
    sentence_b = content_words(b.claim, b.lang or "en")
    return bool(_lead_in_words(a) - sentence_b or _lead_in_words(b) - sentence_a)


def _topics_clash(a: Node, b: Node) -> bool:
    """Claims about different things: topics, or predicate ids (the 41% who plan to use
    a technology and the 41% for whom it is no topic), that share nothing."""
    return bool((a.concepts and b.concepts and not a.concepts & b.concepts)
                or (a.predicates and b.predicates and not a.predicates & b.predicates))


def _predicates_fit(a: Node, b: Node) -> bool:
    """Whether two claims that share their topics may be one: when both name what they
    measure (predicate ids), they name the same."""
    return not (a.predicates and b.predicates and a.predicates != b.predicates)


def _restatement(a: Node, b: Node) -> tuple[str, float] | None:
    """The same figure given again: same value and year, in one document with similar
    words, or in another document of the same study (a summary, a translation) whose
    claim does not say something else."""
    if a.year != b.year or a.gloss != b.gloss:
        return None
    if abs(a.value - b.value) > 0.05:  # restated differently: the same words, in one source
        same_words = (a.doc_id == b.doc_id and min(len(a.words), len(b.words)) >= MIN_WORDS
                      and _claim_similarity(a, b) >= RESTATED_DIFFERENTLY
                      and _same_sentence_words(a, b) and not _framed_apart(a, b))
        return ("restatement", 0.8) if same_words and _people_agree(a, b) else None
    if _topics_clash(a, b) or not _people_agree(a, b):
        return None
    similarity = max(_claim_similarity(a, b), _claim_containment(a, b) - 0.2)
    if a.doc_id == b.doc_id:
        return ("restatement", 0.6 + 0.4 * similarity) if similarity >= SAME_CLAIM else None
    if a.study is None or a.study != b.study:
        return None
    if (a.lang == b.lang and similarity < RESTATED_CLAIM
            and _continued_similarity(a, b) < RESTATED_CLAIM):
        return None
    if a.lang != b.lang and not _restated_across_languages(a, b):
        return None
    return "restatement", 0.85


def _restated_across_languages(a: Node, b: Node) -> bool:
    """One study's figure restated in another language (its words are not compared): an
    equal value alone is no evidence (a dozen findings in each of two reports share one
    by chance). Coverage restates a study's figures in about their order, so their
    neighbours agree; else the claims share a predicate id, or a headline gives its key
    finding (out of the order of its text) of the same group."""
    headline = (a.heading or b.heading) and a.population is not None and (
        a.population == b.population)
    return _in_the_same_order(a, b) or _predicates_vouch(a, b) or headline


def _predicates_vouch(a: Node, b: Node) -> bool:
    """Whether the predicate ids of two claims in two languages, with an equal value, say
    they are one claim of one study (neither naming one the other lacks). A report gives
    a dozen findings for its survey year, many sharing one id ("use" of a technology):
    where the figures around both do not pair up, an equal value and one id in common is
    chance, so they need MIN_PREDICATES ids in common. One id will do for a lone figure
    (an article giving one finding: no neighbours to tell) and for an earlier year's
    figures, which are few (a previous edition's value quoted again)."""
    shared = a.predicates & b.predicates
    if not shared or (bool(a.predicates - b.predicates) and bool(b.predicates - a.predicates)):
        return False
    earlier = any(n.survey_year is not None and n.year != n.survey_year for n in (a, b))
    lone = not nearby(a, NEARBY) or not nearby(b, NEARBY)
    return earlier or lone or len(shared) >= MIN_PREDICATES


def _in_the_same_order(a: Node, b: Node) -> bool:
    """Whether the figures around two figures pair up, on the same side of each: the
    figures right next to them, or at least two within NEARBY places and more than
    stand on opposite sides (coverage may move a paragraph; a figure that merely
    shares a value with another has other neighbours, or the same ones on both sides)."""
    if nearby(a, 1) & nearby(b, 1):
        return True
    around_a, around_b = nearby(a, NEARBY), nearby(b, NEARBY)
    agree = len(around_a & around_b)
    crossed = len({(not after, figure) for after, figure in around_a} & around_b)
    return agree >= 2 and agree > crossed


# Links a document itself makes (a comparison, a gloss, a sample, a headline, an anaphor):
# their own words tie them, whatever periods their sentences name.
_TIED_BY_THE_TEXT = frozenset({"group", "paraphrase", "sample", "headline", "anaphor"})


def score_pair(a: Node, b: Node, points: dict[str, set[tuple[int, float]]]
               ) -> tuple[str, float] | None:
    """The strongest evidence that two observations measure the same thing, or None. Claims
    naming other periods are other claims (checked last: few pairs get this far, and
    reading a sentence's periods is the dearest test)."""
    found = _evidence(a, b, points)
    if found is not None and found[0] not in _TIED_BY_THE_TEXT and other_periods(a, b):
        return None
    return found


def _evidence(a: Node, b: Node, points: dict[str, set[tuple[int, float]]]
              ) -> tuple[str, float] | None:
    if a.group_key and a.group_key == b.group_key:
        return "group", 1.0
    if _paraphrase(a, b):
        return "paraphrase", 0.95
    if a.unit != b.unit or forecasts_apart(a, b):  # ("up 9,800": COUNT_CHANGE_UNIT)
        return None
    kind_a, kind_b = count_kind(a), count_kind(b)
    if (kind_a or kind_b) and not _both_findings(a, b):
        # One document may describe several sub-samples ("3,450 consumers and 1,200 leaders"):
        # inside a document only counts of the same group are one sample.
        same_sample = a.sample and b.sample and kind_a == kind_b and (
            a.doc_id != b.doc_id or a.population == b.population)
        return ("sample", 0.9) if same_sample else None
    if other_waves(a, b) and abs(a.value - b.value) > 0.05:
        return None  # two periods of one year (a monthly release, a weekly poll)
    anaphor = _anaphor_link(a, b)  # ("bu oran yüzde 80'di" need not repeat "emin değil")
    if anaphor:
        return anaphor
    if a.lang == b.lang and a.negated != b.negated:
        return None  # (negation words are told apart within a language only)
    if other_scale_points(a, b) or other_numbers(a, b):
        return None  # "sehr zufrieden" / "zufrieden", "past 12 months" / "past 3 months"
    if other_list_entries(a, b) or kept_apart(a, b):
        return None  # two items of a list; other referents; a reworded question
    found = _restatement(a, b) or _glossed_elsewhere(a, b)
    if found:
        return found
    if a.doc_id == b.doc_id or not compatible(a.population, b.population):
        return None  # different claims of one document never share a metric
    worded = min(len(a.words), len(b.words)) >= MIN_WORDS or (
        same_study(a, b) and (_named_in_full(a, b) or _said_again(a, b)))
    if a.lang == b.lang and worded and not _would_conflict(a, b) and not _substituted(a, b):
        if same_study(a, b):  # a shorter wording will do
            similarity = max(_claim_similarity(a, b), _claim_containment(a, b) - 0.1)
            if similarity >= SAME_CLAIM:
                return "edition", min(1.0, 0.8 + 0.2 * similarity)
        elif _claim_similarity(a, b) >= SAME_CLAIM:
            return "claim", 0.8
    if a.lang != b.lang and _translations_agree(a, b) and not _would_conflict(a, b):
        return "translation", 0.8
    if a.lang != b.lang and _predicates_agree(a, b):
        return "predicates", 0.8
    concept_score = jaccard(a.concepts, b.concepts)
    if a.group_key and b.group_key and concept_score > 0:
        shared = len(points[a.group_key] & points[b.group_key])
        if shared:
            return "fingerprint", min(1.0, 0.7 + 0.15 * shared)
    if (a.lang != b.lang and a.population and concept_score == 1.0 and same_study(a, b)
            and _predicates_fit(a, b) and not _would_conflict(a, b)
            and (len(a.concepts) > 1 or _one_topic_fits(a, b))):
        return "concepts", 0.8 if len(a.concepts) > 1 else 0.76
    return None


def finding(node: Node) -> bool:
    """A count of people that is a finding, not a sample ("12.6万人" newly employed, "3
    milyon 251 bin kişi" unemployed): its claim tells which measure it is, as any other
    figure's does."""
    return count_kind(node) == PEOPLE_SAMPLE_LABEL and not node.sample


def _both_findings(a: Node, b: Node) -> bool:
    return finding(a) and finding(b)


def other_scale_points(a: Node, b: Node) -> bool:
    """Claims naming different points of an answer scale: "very satisfied" and
    "satisfied", "eher zufrieden" and "sehr zufrieden", or the sum "zufrieden oder sehr
    zufrieden" and either point, in any two languages that declare their intensifiers."""
    return a.scale is not None and b.scale is not None and a.scale != b.scale


def other_numbers(a: Node, b: Node) -> bool:
    """Claims naming other numbers besides their figures: "in the past 12 months" and "in
    the past 3 months", "bis 2030" and "bis 2027" (the same words otherwise)."""
    numbers_a = {w for w in a.words if w.startswith(NUMBER_MARK)}
    numbers_b = {w for w in b.words if w.startswith(NUMBER_MARK)}
    return bool(numbers_a and numbers_b and numbers_a != numbers_b)


def other_periods(a: Node, b: Node) -> bool:
    """Claims of one language naming other periods or comparison bases besides their words:
    "im Oktober" and "im September", "in the third quarter" and "in September", "bir
    önceki aya göre" and "bir önceki yılın aynı ayına göre", "三季度" and "二季度" (a
    release gives one measure for several periods of its year). Across languages the names
    are not compared."""
    if a.lang != b.lang:
        return False
    periods_a, periods_b = periods(a), periods(b)
    return bool(periods_a and periods_b and periods_a != periods_b)


def other_list_entries(a: Node, b: Node) -> bool:
    """Figures of list items in one language that are not one entry of one list (their
    claims hold the words of their lists' lead-ins, which alone would make them alike):
    two items of one list ("Ruhe: 41 %", "Kosten: 17 %"), or one item word under two
    lead-ins ("Kosten" under "Gründe dafür" and "Gründe dagegen"). Lead-ins are alike
    when one repeats every word of the other, function words too ("für" is not "gegen"),
    and adds no negation ("不选择…的原因" is not "选择…的原因"); items when their own words
    are the same claim, or, with no words of their own, when each names its year (rows of
    a list of years). An item and a figure outside a list are one only if the other's
    claim names at least half the item's own words."""
    if a.lang != b.lang or not (a.lead_words or b.lead_words):
        return False
    if a.lead_words and b.lead_words:
        leads_alike = ((a.lead_words <= b.lead_words or b.lead_words <= a.lead_words)
                       and not negating(a.lead_words ^ b.lead_words, a.lang or "en"))
        if not (a.own_words or b.own_words):  # ("- 2023: 6 %": the lead-in is the claim)
            return not (leads_alike and _dated_row(a) and _dated_row(b))
        return not leads_alike or jaccard(a.own_words, b.own_words) < SAME_CLAIM
    item, other = (a, b) if a.lead_words else (b, a)
    return 2 * len(item.own_words & other.words) < len(item.own_words) or not item.own_words


def _dated_row(node: Node) -> bool:
    """Whether a list item without words of its own names its figure's year ("- 2023: 6
    %"): it is the lead-in's measure in that year. One that does not (a row whose year
    was not read) is no value of a known year."""
    return node.year is not None and str(node.year) in node.claim


def _substituted(a: Node, b: Node) -> bool:
    """Two claims each holding a word the other lacks say different things: another object
    ("for accounting" / "for payroll"), an antonym ("higher" / "lower"), another predicate
    ("own" / "plan to buy"), another frequency ("weekly" / "daily"). A shorter wording of
    the same claim drops words; it does not swap them."""
    return bool(a.words - b.words) and bool(b.words - a.words)


def _named_in_full(a: Node, b: Node) -> bool:
    """A list item's two words ("fehlendes Fachpersonal (59 Prozent)", a figure whose own
    parenthesis says nothing) that another edition's worded claim repeats in full
    ("Fehlendes Fachpersonal ... nennen 66 Prozent"): enough to be one claim of one study.
    A sentence of its own with two words ("Die Insolvenzen stiegen um 12 Prozent") is not:
    "Die Insolvenzen bei Kleinbetrieben stiegen" is a part."""
    short, long = sorted((a, b), key=lambda n: len(n.words))
    return (short.thin and len(short.words) == MIN_WORDS - 1  # ("(59 Prozent)" says nothing)
            and len(long.words) >= MIN_WORDS and short.words <= long.words)


def _said_again(a: Node, b: Node) -> bool:
    """The same sentence in another survey year's edition of a study, with that year's
    figures ("城镇化率为72.6%，比上年末提高0.8个百分点" one year, "城镇化率为73.3%，
    比上年末提高0.7个百分点" the next): one measure, however few words name it (an
    indicator is often one word, "城镇化率", "Arbeitslosenquote")."""
    return (bool(a.words) and a.words == b.words and a.survey_year != b.survey_year
            and _sentences_alike(a, b))


def _one_topic_fits(a: Node, b: Node) -> bool:
    """One topic word says little: in another study it is most often another finding on
    that topic ("prefer remote work", "remote work hurts teamwork"), and in one study too
    unless both claims name what they measure alike ("use" AI, not "raise the AI budget")."""
    return same_study(a, b) and bool(a.predicates) and a.predicates == b.predicates


def _predicates_agree(a: Node, b: Node) -> bool:
    """One study's claim in two languages, read without a translation: the same ids of
    predicate words (the concept lexicon: "planen oder diskutieren den Einsatz" and
    "计划或讨论引入" are plan, discuss, use), topics that do not clash, the same negation.
    Two values in one year make a conflict, so they need more: at least
    CERTAIN_PREDICATES ids and the same group."""
    if a.study is None or a.study != b.study or a.predicates != b.predicates:
        return False
    if len(a.predicates) < MIN_PREDICATES or a.negated != b.negated or a.gloss != b.gloss:
        return False
    if a.concepts and b.concepts and not a.concepts & b.concepts:
        return False
    if a.year == b.year and abs(a.value - b.value) > 1.0:
        return len(a.predicates) >= CERTAIN_PREDICATES and a.population == b.population
    return True


# How far from its number a verbal share may lie, by its qualifier: "近三成" (nearly 30) is
# 25 to 30, "七成" (about 70) 65 to 75, "过半" (more than half) 50 to 60.
GLOSS_RANGE = {"nearly": (-5.0, 0.0), "approx": (-5.0, 5.0), "exact": (-1.0, 1.0),
               "more_than": (0.0, 10.0), "at_least": (0.0, 10.0), "less_than": (-10.0, 0.0)}


def _glossed_elsewhere(a: Node, b: Node) -> tuple[str, float] | None:
    """A verbal share in one document of a study and the exact figure it rounds in another
    (coverage's "近三成受访职工 ... 超过一小时" of the release's "28.6%的受访职工 ..."): the same
    claim in one language, year and group, the figure inside the gloss's range. A
    paraphrase, as next to its figure: never a conflict (a gloss makes no value)."""
    if a.gloss == b.gloss or a.doc_id == b.doc_id or not same_study(a, b):
        return None
    gloss, exact = (a, b) if a.gloss else (b, a)
    low, high = GLOSS_RANGE.get(gloss.qualifier, (0.0, 0.0))
    fits = gloss.value + low <= exact.value <= gloss.value + high
    if (not fits or a.unit != "percent" or a.year != b.year or a.lang != b.lang
            or a.population != b.population or not _predicates_fit(a, b)):
        return None
    similarity = max(_claim_similarity(a, b), _claim_containment(a, b) - 0.1)
    return ("paraphrase", 0.8) if similarity >= SAME_CLAIM else None


def _would_conflict(a: Node, b: Node) -> bool:
    """Topic words alone may draw a trend (other years) or agreement (same value), but a
    conflict (same year, other value) also needs near-identical wording: a report that
    gives two values in one year is far more often measuring two things."""
    if a.year != b.year or abs(a.value - b.value) <= 1.0:
        return False
    if a.lang != b.lang:
        return True
    return not _sentences_alike(a, b)
