"""Text a TTS voice would misread, made speakable (the TTS QA stage's local route).

Numbers, times, percentages, ordinals, years, symbols, abbreviations and ALL-CAPS words are
spelled out; ellipses and em/en dashes become explicit ``[pause 1s]`` markup. Existing
``[pause Ns]`` markup passes through untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["speakable", "speakable_with_changes", "number_words", "PAUSE_RE"]

#: the pause markup shared by the writer, the editors and the voice
PAUSE_RE = re.compile(r"\[pause\s+\d+(?:\.\d+)?\s*s\]", re.IGNORECASE)

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"))
_ORDINAL_WORDS = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}

_ABBREVIATIONS = (
    (r"\be\.\s?g\.,?", "for example,"),
    (r"\bi\.\s?e\.,?", "that is,"),
    (r"\betc\.", "and so on."),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\bapprox\.", "approximately"),
    (r"\bDr\.(?=\s)", "Doctor"),
    (r"\bMrs\.(?=\s)", "Missus"),
    (r"\bMr\.(?=\s)", "Mister"),
    (r"\bMs\.(?=\s)", "Miz"),
    (r"\bSt\.(?=\s[A-Z])", "Saint"),
    (r"\bmins?\.", "minutes"),
    (r"\bsecs?\.", "seconds"),
    (r"\bhrs?\.", "hours"),
)
#: units that follow a number: (pattern, singular, plural)
_UNITS = (
    (r"min(?:ute)?s?", "minute", "minutes"),
    (r"sec(?:ond)?s?", "second", "seconds"),
    (r"hrs?|hours?", "hour", "hours"),
    (r"kg", "kilogram", "kilograms"),
    (r"km", "kilometre", "kilometres"),
    (r"cm", "centimetre", "centimetres"),
    (r"x", "time", "times"),
)
_SPELLED_ACRONYMS = frozenset({"TV", "UK", "USA", "US", "DJ", "CD", "DVD", "BBC", "ASMR", "ID"})
_CAPS_WORDS = {"OK": "okay"}

_Sub = Callable[[re.Match[str]], str]


def number_words(n: int) -> str:
    """An integer in words: 42 → "forty-two", 1500 → "one thousand five hundred"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    for value, name in _SCALES:
        if n >= value:
            high, rest = divmod(n, value)
            tail = ""
            if rest:
                tail = (" and " if rest < 100 else " ") + number_words(rest)
            return f"{number_words(high)} {name}{tail}"
    raise AssertionError("unreachable")


def _ordinal_words(n: int) -> str:
    words = number_words(n)
    cut = max(words.rfind(" "), words.rfind("-"))
    head, sep, last = (words[:cut], words[cut], words[cut + 1:]) if cut >= 0 else ("", "", words)
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def _year_words(n: int) -> str:
    if 2000 <= n < 2010:
        return number_words(n)
    high, low = divmod(n, 100)
    if low == 0:
        return f"{number_words(high)} hundred"
    if low < 10:
        return f"{number_words(high)} oh {number_words(low)}"
    return f"{number_words(high)} {number_words(low)}"


def _decimal_words(text: str) -> str:
    whole, _, frac = text.replace(",", "").partition(".")
    words = number_words(int(whole))
    if frac:
        words += " point " + " ".join(_ONES[int(d)] for d in frac)
    return words


def _time_words(hour: int, minute: int) -> str:
    if minute == 0:
        return f"{number_words(hour)} o'clock"
    if minute < 10:
        return f"{number_words(hour)} oh {number_words(minute)}"
    return f"{number_words(hour)} {number_words(minute)}"


def _day_part(hour: int, suffix: str) -> str:
    if suffix.lower().startswith("a"):
        return "in the morning"
    if hour == 12 or hour < 5:
        return "in the afternoon"
    return "in the evening" if hour < 9 else "at night"


def _sub_time(m: re.Match[str]) -> str:
    hour, minute = int(m["h"]), int(m["m"])
    words = _time_words(hour, minute)
    if m["ampm"]:
        words += " " + _day_part(hour, m["ampm"])
    return words


def _sub_clock_hour(m: re.Match[str]) -> str:
    hour = int(m["h"])
    return f"{number_words(hour)} {_day_part(hour, m['ampm'])}"


def _sub_range(m: re.Match[str]) -> str:
    return f"{_decimal_words(m['a'])} to {_decimal_words(m['b'])}"


def _sub_sequence(m: re.Match[str]) -> str:
    return " ".join(number_words(int(d)) for d in m[0].split("-"))


def _sub_fraction(m: re.Match[str]) -> str:
    num, den = int(m["a"]), int(m["b"])
    if den == 2:
        return "one half" if num == 1 else f"{number_words(num)} halves"
    if den == 4:
        return f"{number_words(num)} quarter{'s' if num != 1 else ''}"
    name = _ordinal_words(den)
    return f"{number_words(num)} {name}{'s' if num != 1 else ''}"


def _sub_percent(m: re.Match[str]) -> str:
    return f"{_decimal_words(m['n'])} percent"


def _sub_money(m: re.Match[str]) -> str:
    amount = m["n"].replace(",", "")
    dollars, _, cents = amount.partition(".")
    words = f"{number_words(int(dollars))} dollar{'s' if int(dollars) != 1 else ''}"
    if cents and int(cents):
        words += f" and {number_words(int(cents.ljust(2, '0')[:2]))} cents"
    return words


def _sub_unit(singular: str, plural: str) -> _Sub:
    def sub(m: re.Match[str]) -> str:
        value = m["n"]
        unit = singular if value in ("1", "1.0") else plural
        return f"{_decimal_words(value)} {unit}"
    return sub


def _sub_ordinal(m: re.Match[str]) -> str:
    return _ordinal_words(int(m["n"]))


def _sub_decade(m: re.Match[str]) -> str:
    words = _year_words(int(m["n"]))
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _sub_year(m: re.Match[str]) -> str:
    return _year_words(int(m[0]))


def _sub_number(m: re.Match[str]) -> str:
    return _decimal_words(m[0])


def _sub_caps(m: re.Match[str]) -> str:
    word = m[0]
    if word in _SPELLED_ACRONYMS:
        return word
    before = m.string[:m.start()].rstrip()
    sentence_start = not before or before[-1] in ".!?\n]" or before[-1] >= chr(_SENTINEL_BASE)
    word = _CAPS_WORDS.get(word, word.lower())
    return word[:1].upper() + word[1:] if sentence_start else word


def _fixed(text: str) -> _Sub:
    return lambda m: text


#: a new one-second pause, kept out of the later passes until the end
_NEW_PAUSE = chr(0xF8FF)
_PAUSE = f" {_NEW_PAUSE} "
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"

#: the passes, in order: (what it is, pattern, replacement)
_PASSES: tuple[tuple[str, re.Pattern[str], _Sub], ...] = (
    ("ellipsis", re.compile(r"\s*(?:\.{3,}|…)\s*"), _fixed(_PAUSE)),
    ("time", re.compile(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)\b"
                        r"(?:\s?(?P<ampm>[ap]\.?m\.?)(?![a-z]))?", re.I), _sub_time),
    ("time", re.compile(r"\b(?P<h>1[0-2]|[1-9])\s?(?P<ampm>[ap]\.?m\.?)(?![a-z])", re.I),
     _sub_clock_hour),
    ("sequence", re.compile(r"\b\d(?:-\d){2,}\b"), _sub_sequence),
    ("range", re.compile(rf"(?<![\d.])(?P<a>{_NUM})\s?[–—-]\s?(?P<b>{_NUM})(?![\d])"), _sub_range),
    ("dash", re.compile(r"\s*(?:—|–|--)\s*|\s+-\s+"), _fixed(_PAUSE)),
    ("fraction", re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})\b"), _sub_fraction),
    ("percent", re.compile(rf"(?P<n>{_NUM})\s?(?:%|per ?cent\b)"), _sub_percent),
    ("money", re.compile(rf"\$(?P<n>{_NUM})"), _sub_money),
    *(("abbreviation", re.compile(p), _fixed(r)) for p, r in _ABBREVIATIONS),
    *(("unit", re.compile(rf"(?<![\w.])(?P<n>{_NUM})\s?(?:{p})\b\.?"), _sub_unit(s, pl))
      for p, s, pl in _UNITS),
    ("ordinal", re.compile(r"\b(?P<n>\d+)(?:st|nd|rd|th)\b", re.I), _sub_ordinal),
    ("decade", re.compile(r"\b(?P<n>1[1-9]\d0|20\d0)'?s\b"), _sub_decade),
    ("year", re.compile(r"(?<![\d,.])\b(?:1[1-9]\d\d|20\d\d)\b(?![,.]\d)"), _sub_year),
    ("number", re.compile(r"(?<![\w.])(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"),
     _sub_number),
    ("symbol", re.compile(r"\s*&\s*"), _fixed(" and ")),
    ("symbol", re.compile(r"\s*\+\s*"), _fixed(" plus ")),
    ("symbol", re.compile(r"\s*=\s*"), _fixed(" equals ")),
    ("symbol", re.compile(r"\s*@\s*"), _fixed(" at ")),
    ("symbol", re.compile(r"\s?%"), _fixed(" percent")),
    ("symbol", re.compile(r"°"), _fixed(" degrees")),
    ("symbol", re.compile(r"#(?=\s*\w)"), _fixed("number ")),
    ("symbol", re.compile(r"(?<=[A-Za-z])\s*/\s*(?=[A-Za-z])"), _fixed(" or ")),
    ("symbol", re.compile(r"[*_~^|<>{}\\]+"), _fixed(" ")),
    ("capitals", re.compile(r"\b[A-Z]{2,}\b"), _sub_caps),
)

_SENTINEL_BASE = 0xE000


def _protect(text: str) -> tuple[str, list[str]]:
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m[0])
        return f" {chr(_SENTINEL_BASE + len(kept) - 1)} "
    return PAUSE_RE.sub(hide, text), kept


def _restore(text: str, kept: list[str]) -> str:
    for i, markup in enumerate(kept):
        text = text.replace(chr(_SENTINEL_BASE + i), markup)
    return text.replace(_NEW_PAUSE, "[pause 1s]")


def _tidy(text: str) -> str:
    text = _restore(text, [])
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:]) *(\[pause)", r" \2", text)
    text = re.sub(r"(\[pause [^\]]+\])(?:\s*\[pause 1s\])+", r"\1", text)
    text = re.sub(r"\[pause 1s\]\s*(\[pause [^\]]+\])", r"\1", text)
    text = re.sub(r" *\n *", "\n", text)
    return text.strip()


def speakable_with_changes(text: str) -> tuple[str, list[str]]:
    """The text made speakable, and one line per change (``'7:30' -> 'seven thirty'``)."""
    changes: list[str] = []
    work, kept = _protect(text)
    for kind, pattern, sub in _PASSES:
        def record(m: re.Match[str], kind: str = kind, sub: _Sub = sub) -> str:
            new = sub(m)
            if new != m[0]:
                shown = new.strip().replace(_NEW_PAUSE, "[pause 1s]")
                changes.append(f"{kind}: {m[0].strip()!r} -> {shown!r}")
            return new
        work = pattern.sub(record, work)
    return _tidy(_restore(work, kept)), changes


def speakable(text: str) -> str:
    """The text with everything a TTS voice would misread spelled out."""
    return speakable_with_changes(text)[0]
