"""A compact Whisper-style English text normaliser, applied to reference and hypothesis before scoring.

Modelled on the normaliser the Open ASR Leaderboard uses (openai-whisper's ``EnglishTextNormalizer``),
cut down to what matters for short English clips: lowercase; drop bracketed asides and fillers
(``uh``, ``um``, ``hmm``...); expand contractions and common titles; spell simple numbers as words
(``10`` -> ``ten``, ``3.5`` -> ``three point five``, ``21st`` -> ``twenty first``, ``$5`` ->
``five dollars``, ``50%`` -> ``fifty percent``); strip accents, punctuation and symbols; collapse
whitespace. Spelling variants (British/American) are not unified. Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

FILLERS = re.compile(r"\b(?:hmm+|mm+|mhm|uh+|um+|erm|uh-huh)\b")
BRACKETED = re.compile(r"[<\[][^>\]]*[>\]]|\([^)]*\)")

# Order matters: specific forms before the general suffix rules (as in Whisper's normaliser).
CONTRACTIONS: tuple[tuple[str, str], ...] = (
    (r"\bwon't\b", "will not"),
    (r"\bcan't\b", "can not"),
    (r"\bcannot\b", "can not"),
    (r"\bshan't\b", "shall not"),
    (r"\blet's\b", "let us"),
    (r"\bain't\b", "aint"),
    (r"\by'all\b", "you all"),
    (r"\bma'am\b", "madam"),
    (r"\bwanna\b", "want to"),
    (r"\bgonna\b", "going to"),
    (r"\bgotta\b", "got to"),
    (r"'d been\b", " had been"),
    (r"'s been\b", " has been"),
    (r"'d gone\b", " had gone"),
    (r"'s gone\b", " has gone"),
    (r"'d done\b", " had done"),
    (r"'s got\b", " has got"),
    (r"n't\b", " not"),
    (r"'re\b", " are"),
    (r"'s\b", " is"),
    (r"'d\b", " would"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'m\b", " am"),
)
TITLES: dict[str, str] = {
    "mr": "mister",
    "mrs": "missus",
    "dr": "doctor",
    "prof": "professor",
    "st": "saint",
    "jr": "junior",
    "sr": "senior",
    "capt": "captain",
    "gen": "general",
    "lt": "lieutenant",
}
SYMBOLS: dict[str, str] = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at "}
CURRENCY: dict[str, tuple[str, str]] = {
    "$": ("dollar", "dollars"),
    "£": ("pound", "pounds"),
    "€": ("euro", "euros"),
}

ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
MAX_SPELLED = 10**15


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    if n >= 100:
        words += [ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(TENS[n // 10])
        n %= 10
        if n:
            words.append(ONES[n])
    elif n or not words:
        words.append(ONES[n])
    return words


def spell_integer(n: int) -> str:
    """``1234`` -> ``one thousand two hundred thirty four`` (no "and", as Whisper-normalised text)."""
    if n < 0:
        return "minus " + spell_integer(-n)
    if n < 1000:
        return " ".join(_below_thousand(n))
    words: list[str] = []
    for value, name in SCALES:
        if n >= value:
            words += [*_below_thousand(n // value), name]
            n %= value
    if n:
        words += _below_thousand(n)
    return " ".join(words)


def spell_ordinal(n: int) -> str:
    words = spell_integer(n).split()
    last = words[-1]
    if last in ORDINAL_WORDS:
        words[-1] = ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _spell_number_token(digits: str) -> str:
    if len(digits) > 1 and digits.startswith("0"):  # "007", "0800": read digit by digit
        return " ".join(ONES[int(d)] for d in digits)
    value = int(digits)
    return spell_integer(value) if value < MAX_SPELLED else " ".join(ONES[int(d)] for d in digits)


def _spell_decimal(match: re.Match[str]) -> str:
    whole, frac = match.group(1), match.group(2)
    return f" {_spell_number_token(whole)} point {' '.join(ONES[int(d)] for d in frac)} "


def _spell_currency(match: re.Match[str]) -> str:
    singular, plural = CURRENCY[match.group(1)]
    amount = match.group(2).replace(",", "")
    if "." in amount:
        whole, cents = amount.split(".", 1)
        words = f"{_spell_number_token(whole)} {plural if int(whole) != 1 else singular}"
        if int(cents or "0"):
            words += f" {_spell_number_token(cents.lstrip('0') or '0')} cents"
        return f" {words} "
    return f" {_spell_number_token(amount)} {plural if int(amount) != 1 else singular} "


def spell_numbers(text: str) -> str:
    """Spell currency amounts, ordinals, decimals and integers found in lowercase text as words."""
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    text = re.sub(r"([$£€])\s?(\d+(?:\.\d+)?)", _spell_currency, text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: f" {spell_ordinal(int(m.group(1)))} ", text)
    text = re.sub(r"\b(\d+)\.(\d+)\b", _spell_decimal, text)
    text = re.sub(r"\d+", lambda m: f" {_spell_number_token(m.group(0))} ", text)
    return text


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Whisper-style English normalisation for WER/CER scoring (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = BRACKETED.sub(" ", text)
    text = FILLERS.sub(" ", text)
    for pattern, replacement in CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    text = re.sub(r"\b(" + "|".join(TITLES) + r")\b\.?", lambda m: f" {TITLES[m.group(1)]} ", text)
    text = spell_numbers(text)
    for symbol, words in SYMBOLS.items():
        text = text.replace(symbol, words)
    text = _strip_accents(text)
    text = re.sub(r"[^\w\s]|_", " ", text)  # punctuation, symbols, leftover apostrophes
    return " ".join(text.split())
