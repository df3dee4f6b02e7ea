"""Text normalisation shared by the matcher and the validator.

Questions arrive in simplified or traditional Chinese, English, full-width characters, with
emoji and control characters. Everything is folded to one form before matching.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

from opencc import OpenCC

_TO_SIMPLIFIED = OpenCC("t2s")
_NON_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-z]")
# A CJK run, a Latin word, or a number; the units that matching works on.
_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z]+|\d+")

ENGLISH_STOPWORDS = frozenset(
    """a an the of for to in on at by with from and or my me i we our you your it is are was be been am
    do does did can could should would will shall may might must how what where when which who whom why
    need needs needed want wants get getting got apply applying application please hi hello there this that
    these those some any about if so as into out up just also still have has had not no yes tell know
    documents document papers materials required require requirements bring wuhan china chinese
    process procedure procedures step steps""".split()
)


@cache
def _traditional(char: str) -> bool:
    return _TO_SIMPLIFIED.convert(char) != char


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Fold width, case and script; replace punctuation and controls with spaces."""
    text = unicodedata.normalize("NFKC", text)
    # OpenCC is pure Python and slow; most text is already simplified, so convert only when needed.
    if any(_traditional(ch) for ch in text if ch >= "\u3400"):
        text = _TO_SIMPLIFIED.convert(text)
    return " ".join(_NON_WORD.sub(" ", text.lower()).split())


@lru_cache(maxsize=1)
def _pinyin_dict() -> dict[int, str]:
    """pypinyin's character table, without importing the package, whose phrase tables take ~0.4 s."""
    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_pypinyin_characters", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


@cache
def _syllable(char: str) -> str:
    entry = _pinyin_dict().get(ord(char))
    if not entry:
        return char
    reading = unicodedata.normalize("NFKD", entry.split(",")[0])
    reading = "".join(c for c in reading if not unicodedata.combining(c))
    # One private-use character per toneless syllable keeps strings short for rapidfuzz.
    return _SYLLABLES.setdefault(reading, chr(0xE000 + len(_SYLLABLES)))


_SYLLABLES: dict[str, str] = {}


class _SyllableTable(dict):
    """str.translate's table from each character to its syllable (itself if not Chinese), filled as met."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        self[code] = _syllable(char) if _CJK.match(char) else char
        return self[code]


_SYLLABLE_TABLE = _SyllableTable()


def phonetic(text: str) -> str:
    """Chinese characters replaced by their toneless syllable, so that homophone miswritings
    (身分证, 户藉, 公基金, 低报) read the same as the right characters."""
    return text.translate(_SYLLABLE_TABLE)


def compact(normalized: str) -> str:
    """Drop spaces: Chinese has none, so phrases match across any the user typed."""
    return normalized.replace(" ", "")


def is_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> str:
    """'zh' when the text has any Chinese character, 'en' when it is Latin only, else 'zh'."""
    if _CJK.search(text):
        return "zh"
    return "en" if _LATIN.search(text.lower()) else "zh"


def stem(word: str) -> str:
    # Light English stemming: plural and possessive forms only; enough for service names.
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def english_words(normalized: str) -> list[str]:
    """Content words of the Latin part of a normalized text, stemmed."""
    return [stem(w) for w in re.findall(r"[a-z]+", normalized) if w not in ENGLISH_STOPWORDS and len(w) > 1]


def units(normalized: str) -> list[str]:
    """Indexing units: Chinese character bigrams (a lone character alone) and English content words."""
    result: list[str] = []
    for run in _RUNS.findall(normalized):
        if _CJK.match(run):
            result.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        elif run[0].isalpha() and run not in ENGLISH_STOPWORDS and len(run) > 1:
            result.append(stem(run))
    return result
