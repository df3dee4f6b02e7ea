"""Places named in a question: the citizen's district, or another city.

Citizens add places to their questions ("荣成市护照怎么办", "我在洪山区，结婚登记去哪"). A district
tells where to send them; another city means the question may be about that city's rules. Either
way the place names are taken out before matching, so they do not count as unknown words. The home
city stays: citizens and aliases use it (武汉户口, 迁到武汉).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.answering.text import normalize
from bot.knowledge.model import KnowledgeBase

_ROAD = re.compile(r"(?:路|街|大道|大街|道|巷|村|小区|站)")  # 青岛路, 中山大道: Wuhan streets named after cities
_HOME_CITY = ("武汉市", "武汉")
# Cities as expats write them. They stay in the text (places.txt, in Chinese, is what is taken out), but are
# never read as a typo of a pinyin alias: "shanghai" is not "shangpai" (上牌).
LATIN_CITIES = frozenset(
    "beijing shanghai guangzhou shenzhen hangzhou chengdu chongqing nanjing tianjin changsha zhengzhou hefei nanchang "
    "suzhou xiamen qingdao dalian shenyang harbin kunming xian sanya haikou yichang xiangyang wuhan".split())
HOME_CITY = re.compile("|".join(_HOME_CITY))
# What a place name becomes: a character no phrase contains, so "在上海工作" does not read as "在…工作"
# of "在武汉工作", and that bigrams do not span the gap.
PLACEHOLDER = "〇"


@cache
def other_places() -> frozenset[str]:
    """Provinces, cities and counties of mainland China outside the home city (see places.txt)."""
    text = resources.files("bot.answering").joinpath("places.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Places:
    """What a question says about places, and the question without them."""

    text: str  # the question with place names replaced by spaces
    district: str | None = None  # a district id of the knowledge base
    other: str | None = None  # another city or province, as written
    home: bool = False  # the home city itself was named


class PlaceFinder:
    """Finds district names (from the knowledge base) and other cities in a question."""

    def __init__(self, knowledge: KnowledgeBase):
        self.districts: dict[str, str] = {}
        for district in knowledge.districts.values():
            for name in (district.name.zh, district.name.en or "", *district.aliases):
                key = normalize(name)
                if len(key) >= 2:
                    self.districts[key] = district.id
        # Longest first, so that 东西湖区 wins over 东西湖 and "hongshan district" over "hongshan".
        latin = sorted((k for k in self.districts if k.isascii()), key=len, reverse=True)
        self._latin = re.compile(r"\b(" + "|".join(map(re.escape, latin)) + r")\b") if latin else None
        names = (*self.districts, *other_places(), *_HOME_CITY)
        self._longest = max(len(name) for name in names if not name.isascii())
        # Every name is two characters or more: a position whose first two are no name's is skipped at once.
        self._starts = frozenset(name[:2] for name in names if not name.isascii())

    def find(self, question: str) -> Places:
        text = normalize(question)
        district = other = None
        home = False
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(text):
            # Latin names are found by whole words below.
            if text[i].isascii() or text[i:i + 2] not in self._starts:
                i += 1
                continue
            for length in range(min(self._longest, len(text) - i), 1, -1):
                word = text[i:i + length]
                if word in self.districts:
                    district = district or self.districts[word]
                elif word in _HOME_CITY:
                    home = True  # kept in the text: aliases say 迁到武汉, 武汉户口
                    i += length - 1
                    break
                elif word in other_places() and not _ROAD.match(text, i + length):
                    other = other or word
                else:
                    continue
                spans.append((i, i + length))
                i += length - 1
                break
            i += 1
        if self._latin:
            for match in self._latin.finditer(text):
                district = district or self.districts[match.group(1)]
                spans.append(match.span())
        home = home or "wuhan" in text.split()
        for start, end in sorted(spans, reverse=True):
            text = text[:start] + PLACEHOLDER + text[end:]
        return Places(" ".join(text.split()), district, other, home)
