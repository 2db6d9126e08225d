"""Lists that name their entries on one side of a respectively word and give their figures
on the other ("台式电脑、笔记本电脑和平板电脑上网的比例分别为31.0%、28.4%和24.6%", "bilgisayar
ve internet kullanım oranları sırasıyla %57,8 ve %86,2", "分别占小学和初中专任教师的12.7%和
18.4%"): the k-th figure is about the k-th name only, so its claim is the names' clause with
the other names cut out. Pure: text in, text out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

Span = tuple[int, int]
Tokens = Callable[[str], list[Span]]  # the words of a text, as (start, end) offsets


def last_cue(sentence: str, start: int, words: Iterable[str]) -> re.Match[str] | None:
    """The last of the respectively `words` before `start`, if any."""
    cues = [found for word in words
            if (found := re.search(re.escape(word), sentence[:start], re.IGNORECASE))]
    return max(cues, key=lambda found: found.start(), default=None)


def respective_level(sentence: str, figure: Span, spans: Sequence[Span], cue: re.Match[str],
                     breaks: re.Pattern[str]) -> tuple[str, str] | None:
    """"A为91.3%，B为92.3%，C为59.8%，分别比上年提高0.9、0.6和1.5个百分点": the k-th change
    listed after a respectively word is the change of the k-th figure before that word,
    when the sentence gives as many before it as after. Returns the words that name that
    figure ("B为") and the list's verb without the respectively word ("比上年提高"), else
    None (a nearest subject would pair the first change with the last level)."""
    ordered = sorted(spans)
    before = [span for span in ordered if span[1] <= cue.start()]
    after = [span for span in ordered if span[0] >= cue.end()]
    if len(after) < 2 or len(before) != len(after) or figure not in after:
        return None
    level_start, _ = before[after.index(figure)]
    named = max((end for _, end in ordered if end <= level_start), default=0)
    for found in breaks.finditer(sentence, named, level_start):
        named = found.end()
    verb = sentence[cue.end():after[0][0]]
    return sentence[named:level_start].strip(" ,，"), verb.strip(" ,，")


# What ends the clause that names a list's entries: not a comma, which may join them
# ("A, B ve C"; an entry takes only its last words, so a clause opened too early is cut).
_BREAKS = re.compile(r"[;；:：，。]")


def respective_names(sentence: str, figure: Span, spans: Sequence[Span], cue: re.Match[str],
                     joins: re.Pattern[str], tokens: Tokens, gap: str) -> str | None:
    """The claim text of `figure`, the k-th of the figures listed right after the
    respectively word `cue`: the clause that names the entries (the text between the cue
    and the first figure when the names stand there, else the clause before the cue) with
    every other entry and its join cut out, followed by the list's verb. None when the
    names do not split into as many entries as there are figures."""
    after = sorted(span for span in spans if span[0] >= cue.end())
    if len(after) < 2 or figure not in after:
        return None
    k, n = after.index(figure), len(after)
    verb = sentence[cue.end():after[0][0]]
    named = _cut(verb, k, n, joins, tokens)
    if named is not None:  # "分别占小学和初中专任教师的12.7%和18.4%"
        return sentence[_clause_start(sentence, cue.start(), spans):cue.start()] \
            + named
    floor = _clause_start(sentence, cue.start(), spans)
    named = _cut(sentence[floor:cue.start()], k, n, joins, tokens)
    if named is None:
        return None
    # a frame that opens the sentence says what the entries are ("从出游目的看，休闲度假、探亲
    # 访友和商务出行分别占…"); after a figure, the text before the names is that figure's
    frame = "" if any(end <= floor for _, end in spans) else sentence[:floor].strip()
    return gap.join(part for part in (frame, named.strip(), verb.strip()) if part)


def _clause_start(sentence: str, at: int, spans: Sequence[Span]) -> int:
    """Where the clause holding `at` starts: after the last break before it that follows
    the last figure before it."""
    floor = max((end for _, end in spans if end <= at), default=0)
    for found in _BREAKS.finditer(sentence, floor, at):
        floor = found.end()
    return floor


def _cut(names: str, k: int, n: int, joins: re.Pattern[str], tokens: Tokens) -> str | None:
    """`names` ("同时使用台式电脑、笔记本电脑和平板电脑上网的比例") with all entries but the k-th
    of n cut out, each with its join ("同时使用笔记本电脑上网的比例"). The first entry may
    carry words before it and the last words after it (the list's verb, its head noun):
    an entry is as many words as a middle one has (one where there is none)."""
    found = list(joins.finditer(names))
    if len(found) < n - 1:
        return None
    found = found[len(found) - (n - 1):] if n > 1 else []
    bounds = [0, *(j for m in found for j in (m.start(), m.end())), len(names)]
    regions = [(bounds[2 * i], bounds[2 * i + 1]) for i in range(n)]
    words = [[(s + lo, e + lo) for s, e in tokens(names[lo:hi])] for lo, hi in regions]
    if any(not entry for entry in words):
        return None
    first, last = _entry(words[0], words[1:-1], True), _entry(words[-1], words[1:-1], False)
    entries = [first, *((w[0][0], w[-1][1]) for w in words[1:-1]), last]
    kept, at = [], 0
    for i, (lo, hi) in enumerate(entries):
        if i == k:
            continue
        cut = (lo, found[i].end()) if i < k else (found[i - 1].start(), hi)
        kept.append(names[at:cut[0]])
        at = cut[1]
    kept.append(names[at:])
    return "".join(kept)


def _entry(region: list[Span], middle: list[list[Span]], at_end: bool) -> Span:
    """The entry in the first region (its last words, `at_end`) or the last one (its first
    words): as long as the shortest middle entry, in characters and whole words (words are
    not spaced everywhere: "台式电脑" is two of the segmenter's, "笔记本电脑" one), else
    one word."""
    size = min((entry[-1][1] - entry[0][0] for entry in middle), default=0)
    words = region[::-1] if at_end else region
    taken = [words[0]]
    for word in words[1:]:
        if max(taken[0][1], word[1]) - min(taken[0][0], word[0]) > size:
            break
        taken.append(word)
    return min(w[0] for w in taken), max(w[1] for w in taken)
