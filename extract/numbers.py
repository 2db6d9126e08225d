"""Read numbers written with digits or words, per language.

The vocabulary (separators, number words, scale words) comes from
``extract/lang/<lang>/numbers.toml``; this module only holds the logic of
combining them.  Three ways of composing number words are known:

- ``additive``: words follow each other, scales multiply what came before
  ("sixty-two", "seven thousand", "altmış iki", "bin beş yüz").
- ``german``: one compound word, units before tens joined by "und"
  ("zweiundfünfzig", "siebentausendfünfhundert").
- ``chinese``: 十/百/千/万 positional characters ("六十二", "七千零九十五").

Large amounts are also written as digits or words plus a scale word ("1.2 million",
"1,2 Millionen", "zwei Millionen", "4,5 milyon", "120 万", "1.2 亿"); the table
``[numbers.big_scales]`` lists those words and ``number_pattern`` / ``parse`` read them.
Where ``chain_scales`` is set, smaller groups may follow a scale word, as Turkish writes
large counts ("4 bin 215" = 4,215; "24 milyon 610 bin" = 24,610,000).
``digits_pattern`` / ``parse_digits`` stay plain digits (the translation check relies on it).

A language's separators are a habit, not a law: a group separator is always followed by
exactly three digits, so one followed by one or two digits ("yüzde 34.7", "%12.5",
"1,5 million") can only be a decimal point, whatever the language's convention.
Likewise a no-break or narrow no-break space between groups of three digits ("231\u202f000")
groups thousands in every language; a plain space ("231 000 Menschen", as statistics offices
write) only where ``space_groups`` says the language's writers use it.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from extract.lexicon import load

_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10_000, "亿": 100_000_000}
# Spaces that may stand between groups of three digits (for a regex character class).
_NO_BREAK_GROUPS = "\u00a0\u202f"
_SPACE_GROUPS = " \u00a0\u202f"
_SPACE_GROUP_RE = re.compile(f"[{_SPACE_GROUPS}]")


class NumberGrammar:
    """Number vocabulary of one language, compiled once."""

    def __init__(self, lang: str, data: dict[str, Any]) -> None:
        self.lang = lang
        self.group_separator: str = data.get("group_separator", ",")
        self.decimal_separator: str = data.get("decimal_separator", ".")
        self.compound: str = data.get("compound", "additive")
        self.words: dict[str, float] = {k.lower(): float(v) for k, v in
                                        data.get("words", {}).items()}
        self.scales: dict[str, float] = {k.lower(): float(v) for k, v in
                                         data.get("scales", {}).items()}
        self.big_scales: dict[str, float] = {k.lower(): float(v) for k, v in
                                             data.get("big_scales", {}).items()}
        self.chain_scales: bool = bool(data.get("chain_scales", False))
        self.space_groups: bool = bool(data.get("space_groups", False))
        self.digits_pattern = self._digits_pattern()
        self._foreign_decimal = self._foreign_decimal_pattern()
        self._digits = re.compile(self.digits_pattern)
        self.words_pattern = self._words_pattern()
        big = self._big_scale_pattern()
        # Digits, or number words, optionally followed by a scale word ("1.2 million");
        # in chaining languages smaller groups may follow ("4 bin 215", "24 milyon 610 bin").
        chain = rf"(?:\s+\d{{1,3}}(?:\s?{big})?(?![\d.,]\d))*" if self.chain_scales else ""
        self.number_pattern = f"(?:{self.digits_pattern})(?:\\s?{big}{chain})?"
        self._big = re.compile(big)
        self.scaled_words_pattern = f"(?:{self.words_pattern})(?:\\s+{big})?"
        self._big_suffix = re.compile(rf"^(?P<head>.*?)\s?{big}$", re.IGNORECASE | re.DOTALL)

    def _big_scale_pattern(self) -> str:
        """Scale words after a number; Latin words must end at a word boundary."""
        if not self.big_scales:
            return r"(?!x)x"
        alts = []
        for word in sorted(self.big_scales, key=len, reverse=True):
            last = word[-1]
            latin_letter = last.isalpha() and not "\u2e80" <= last <= "\u9fff"
            alts.append(re.escape(word) + (r"(?!\w)" if latin_letter else ""))
        return "(?i:" + "|".join(alts) + ")"

    def _digits_pattern(self) -> str:
        group = re.escape(self.group_separator)
        dec = re.escape(self.decimal_separator)
        spaces = _SPACE_GROUPS if self.space_groups else _NO_BREAK_GROUPS
        # Grouped thousands first ("7.095", "1,500", "231 000"), then the group separator
        # used as a decimal point ("34.7" in Turkish, "1,5" in English: never three digits
        # after it), then plain ("7095", "45,5").
        # Not the tail of a spaced group ("000" of "231 000"), but "2023 150 Befragte" is
        # a year and a count.
        tail = "".join(rf"(?<!(?<![\d.,])\d{{{n}}}[{spaces}])" for n in (1, 2, 3))
        # A digit first: the lookbehinds are then tried only where a number can start
        # (bench/extract.py: the pattern is in most figure forms).
        return (rf"(?=\d)(?<!\d)(?<!\d[.,]){tail}"
                rf"(?:\d{{1,3}}(?:{group}\d{{3}})+(?:{dec}\d+)?"
                rf"|\d{{1,3}}(?:[{spaces}]\d{{3}})+(?:{dec}\d+)?"
                rf"|\d+{group}\d{{1,2}}"
                rf"|\d+(?:{dec}\d+)?)(?![\d]|[.,]\d)")

    def _foreign_decimal_pattern(self) -> re.Pattern[str]:
        """'34.7' where the decimal mark is ',' (and '1,5' where it is '.')."""
        return re.compile(rf"\d+{re.escape(self.group_separator)}\d{{1,2}}")

    def _words_pattern(self) -> str:
        if self.compound == "chinese":
            chars = "".join([*_ZH_DIGITS, *_ZH_UNITS, *_ZH_BIG])
            digits = "".join(_ZH_DIGITS)
            return f"[{chars}]+(?:点[{digits}]+)?"  # "三十七点二" = 37.2
        vocab = sorted([*self.words, *self.scales], key=len, reverse=True)
        if not vocab:
            return r"(?!x)x"
        alt = "|".join(re.escape(w) for w in vocab)
        # A class of the words' first letters first: the engine then skips every other
        # position without trying each word (the pattern is tried all over a sentence).
        firsts = sorted({c for w in vocab for c in (w[0].lower(), w[0].upper())})
        start = "(?=[" + "".join(re.escape(c) for c in firsts) + "])(?<!\\w)"
        if self.compound == "german":
            return rf"{start}(?:{alt})(?:(?:und)?(?:{alt}))*(?!\w)"
        return rf"{start}(?:{alt})(?:[\s-]+(?:{alt}))*(?!\w)"

    def parse_digits(self, text: str) -> float | None:
        """'7.095' -> 7095 in de/tr, '1,500' -> 1500 in en; None if malformed."""
        if not self._digits.fullmatch(text):
            return None
        if self._foreign_decimal.fullmatch(text):
            return float(text.replace(self.group_separator, "."))
        plain = _SPACE_GROUP_RE.sub("", text)
        plain = plain.replace(self.group_separator, "").replace(self.decimal_separator, ".")
        try:
            return float(plain)
        except ValueError:
            return None

    def parse_words(self, text: str) -> float | None:
        """Number words in this language's composition style, or None."""
        # Turkish dotted capital İ lowers to "i" + a combining dot ("İki" would be no word);
        # the regexes already match it case-insensitively.
        text = text.strip().replace("\u0130", "i").lower()
        if self.compound == "chinese":
            return parse_chinese(text)
        if self.compound == "german":
            return self._parse_german(text)
        return self._parse_additive(re.split(r"[\s-]+", text))

    def _parse_additive(self, words: list[str]) -> float | None:
        total, current = 0.0, 0.0
        seen = False
        for word in words:
            if word in self.words:
                current += self.words[word]
            elif word in self.scales:
                scale = self.scales[word]
                current = (current or 1.0) * scale
                if scale >= 1000:
                    total, current = total + current, 0.0
            elif word in ("and", "und", "ve"):
                continue
            else:
                return None
            seen = True
        return total + current if seen else None

    def _parse_german(self, word: str) -> float | None:
        """'zweiundfünfzig' = 2 + 50; 'siebentausend' = 7 * 1000."""
        if not word:
            return None
        if word in self.words:
            return self.words[word]
        for scale_word, scale in sorted(self.scales.items(), key=lambda kv: -kv[1]):
            head, sep, tail = word.partition(scale_word)
            if sep:
                left = self._parse_german(head) if head else 1.0
                right = self._parse_german(tail) if tail else 0.0
                if left is None or right is None:
                    return None
                return left * scale + right
        head, sep, tail = word.partition("und")
        if sep and head and tail:
            unit, tens = self.words.get(head), self.words.get(tail)
            if unit is not None and tens is not None:
                return unit + tens
        return None

    def parse(self, text: str) -> float | None:
        """A number written with digits or with words, optionally with a scale word."""
        value = self.parse_digits(text)
        if value is None:
            value = self.parse_words(text)
        if value is None:
            value = self._parse_scaled(text)
        if value is None and self.chain_scales:
            value = self._parse_chained(text)
        return value

    def _parse_chained(self, text: str) -> float | None:
        """'4 bin 215' -> 4215, '24 milyon 610 bin' -> 24610000: each group times the scale
        word after it; the scales fall from left to right and later groups stay below 1000."""
        total, last_scale, position = 0.0, float("inf"), 0
        for match in self._big.finditer(text):
            value = self.parse_digits(text[position : match.start()].strip())
            scale = self.big_scales.get(match.group(0).lower())
            if (value is None or scale is None or scale >= last_scale
                    or (total and value >= 1000)):
                return None
            total += value * scale
            last_scale, position = scale, match.end()
        tail = text[position:].strip()
        if last_scale == float("inf"):
            return None
        if tail:
            value = self.parse_digits(tail)
            if value is None or value >= 1000:
                return None
            total += value
        return total

    def _parse_scaled(self, text: str) -> float | None:
        """'1.2 million' -> 1200000, '1,2 Millionen' -> 1200000, '120 万' -> 1200000."""
        match = self._big_suffix.match(text.strip())
        if not match:
            return None
        head = match.group("head").strip()
        scale = self.big_scales.get(text.strip()[len(match.group("head")):].strip().lower())
        if not head or scale is None:
            return None
        value = self.parse_digits(head)
        if value is None:
            value = self.parse_words(head)
        return None if value is None else value * scale


def parse_chinese(text: str) -> float | None:
    """Chinese numerals: '六' -> 6, '六十二' -> 62, '七千零九十五' -> 7095, '十' -> 10,
    '三十七点二' -> 37.2 (digits after 点 are read one by one)."""
    whole, point, decimals = text.partition("点")
    if point:
        if not decimals or any(ch not in _ZH_DIGITS for ch in decimals):
            return None
        head = parse_chinese(whole)
        tail = "".join(str(_ZH_DIGITS[ch]) for ch in decimals)
        return None if head is None else float(f"{int(head)}.{tail}")
    if not text or any(ch not in _ZH_DIGITS and ch not in _ZH_UNITS and ch not in _ZH_BIG
                       for ch in text):
        return None
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (1 if digit is None else digit) * _ZH_UNITS[ch]
            digit = None
        else:
            total += (section + (digit or 0)) * _ZH_BIG[ch]
            section, digit = 0, None
    return float(total + section + (digit or 0))


@cache
def grammar(lang: str) -> NumberGrammar:
    """The number grammar of `lang`, built once."""
    return NumberGrammar(lang, load(lang).get("numbers", {}))
