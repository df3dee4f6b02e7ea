"""Question -> Decision: answer one service, clarify between 2-4, refer to the office of a catalogue
matter, or escalate to staff. Small talk and commands never get this far.

Two signals are scored for every service and the stronger one counts:

* phrase score: how well one of the service's names or aliases occurs in the question, with
  rapidfuzz's partial_ratio so that miswritten characters still match. When the question is
  only a fragment of the phrase ("身份证" of "身份证丢了") the score shrinks with the share
  covered, which is what turns one-word questions into clarifications.
* coverage score: how much of the question's information (IDF-weighted Chinese bigrams and
  English words, filler removed) the service's own vocabulary (names, aliases, examples)
  explains. Words that no service knows count against every service, so questions about
  things outside the knowledge base fall below the thresholds and go to staff.

A wrong checklist sends a citizen on a useless trip, so when two services score close together
the matcher clarifies instead of guessing. Three things keep it from answering the wrong service:

* a sound-alike match must get most of the phrase's distinctive characters right, and words like
  证, 登记, 办理 never decide on their own;
* the city's catalogue of other matters (结婚证补领, 购房提取公积金 ...) competes with the services,
  so a neighbour the knowledge base has no checklist for is referred to its office instead;
* a long message is read sentence by sentence: the request is found inside the story, and what
  the citizen already did ("出生证明已经拿到") counts for less than what they ask.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.answering import smalltalk
from bot.answering.places import HOME_CITY, LATIN_CITIES, PLACEHOLDER, PlaceFinder, Places
from bot.answering.second_opinion import NOT_OURS, SecondOpinion, second_opinion
from bot.answering.text import compact, english_words, is_cjk, normalize, phonetic, units
from bot.config import Thresholds
from bot.knowledge.model import MATTER_PREFIX, KnowledgeBase

ANSWER, CLARIFY, ESCALATE, REFER, SMALLTALK = "answer", "clarify", "escalate", "refer", "smalltalk"
# Actions that make a request one of a service's sibling matters when the service's names never use them.
SIBLING_ACTIONS = ("注销", "补办", "补领", "补证", "遗失", "丢失", "丢了", "被偷", "被盗", "损坏", "变更", "更正",
                   "延续", "续期", "迁出", "迁走", "转学", "stolen", "lost", "cancel", "deregist", "replace", "transfer")
STRONG_PHRASE = 90.0  # a phrase that occurs whole (or nearly) in the question
NAMED_PHRASE = 80.0  # a service named with words in between ("宝宝刚出生一个月，怎么上户口")
MAX_TARGETS = 40  # targets kept per question: decisions look at the top few, explanations at five
TYPO_CACHE_SIZE = 8192  # English words whose typo lookups a matcher remembers
# An answer is withheld when the second opinion gives its service less than this probability. Chosen by 5-fold
# cross-validation on knowledge/questions/ (2,287 questions; train on four fifths, judge the fifth): at 0.05 it
# withheld 21 of 45 wrong answers and 2 of 1,472 right ones; at 0.1, 31 wrong and 6 right; at 0.15, 35 wrong
# and 12 right. 0.1 is the highest at which each right answer lost still saves at least two wrong ones.
DOUBTFUL = 0.1
# In a long post, the rules' choice is answered with an option the second opinion gives at least this. On the
# same cross-validation with folds of consecutive questions (a writer's batch is mostly judged by a model that has
# not seen it), right answers on long posts rose from 83.2% to 88.8%, 87.0% and 84.4% at 0.7, 0.8 and 0.9, and
# none of the answers it gave was wrong. 0.8 leaves a margin for posts written unlike ours.
SURE = 0.8
EVENT_PREFIX = "event:"  # events are scored alongside services under this prefix
# Characters of words that name no service by themselves: 证, 登记, 备案, 办理, 申请, 补, 换.
GENERIC_CHARACTERS = frozenset("证登记备案办理申请补换")
# Characters that turn a phrase's meaning around or name what is done to a thing (补 replace, 换
# exchange); a match must have them as written: 不 sounds like 补, and 无房提取 is not 有房提取.
MEANING_CHARACTERS = frozenset("无没未不非补换")

# Words that say how someone asks, not what they ask about. Removed before coverage scoring.
CHINESE_FILLERS = sorted(
    """请问 你好 您好 麻烦 问一下 咨询 一下 我想 我要 想要 想问 打算 准备 需要 要带 带什么 带啥 什么 哪些 啥 哪里 哪儿 在哪 去哪
    怎么办 怎么 怎样 如何 咋办 咋 能不能 可不可以 可以 能否 是否 有没有 流程 手续 材料 资料 办理 办 弄 搞 申请 多久 多长时间
    多少钱 费用 收费 吗 呢 啊 吧 呀 了 的 得 地 我 你 他 她 们 谢谢 一个 一下子 现在 已经 还 就 都 也 和 跟 给 让 被 要 想 该
    去 到 在 是 会 能 这 那 个 么 网上 线上 在线 手机上 现场 本人 亲自 么子 么样""".split(),
    key=len,
    reverse=True,
)
_FILLER_PATTERN = re.compile("|".join(map(re.escape, CHINESE_FILLERS)))
# Ways of saying the same thing that aliases cannot all list: "never had one" is a first application.
_SAME_MEANING = (
    (re.compile(r"冇"), "没"),  # Wuhan speech: 冇得 is 没有, 冇办过 is 没办过
    (re.compile(r"(?:从来|从|一直|还|都)?没有?(?:办|申请|领|弄)过"), "第一次办"),
    (re.compile(r"头一[回次]|首次"), "第一次"),
    # Pinyin for the ID card, as citizens (sfz) and expats (shenfenzheng) write it.
    (re.compile(r"\bsfz\b|(?<=[\u4e00-\u9fff])sfz|sfz(?=[\u4e00-\u9fff])", re.IGNORECASE), "身份证"),
    (re.compile(r"\bshen ?fen ?zheng\b", re.IGNORECASE), "ID card"),
    # The 把 construction puts the thing before the act; names put it after: 把公司彻底关掉 is 关掉公司.
    (re.compile(r"把(?P<thing>[\u4e00-\u9fff]{1,6}?)(?:彻底|全部|都|给|先)?(?P<act>关掉|关了|注销|过户)"),
     r"\g<act>\g<thing>"),
    # Stolen is lost, for a replacement: "钱包被偷了，身份证在里面".
    (re.compile(r"被(?:人)?(?:偷|扒|抢)(?:走)?了?"), "丢了"),
    # "not lost, it's right here", "没丢": a loss denied is no loss.
    (re.compile(r"\b(?:not|never|wasn\W?t|isn\W?t|hasn\W?t|haven\W?t) (?:been )?(?:lost|stolen|damaged)\b|没有?(?:弄)?丢|不是丢了?",
                re.IGNORECASE), " "),
    # "养老保险怎么转到长沙去": insurance moved to another place is transferred (转移).
    (re.compile(r"(?<=保险|社保|医保)(?:关系)?(?:怎么|如何|能不能|可以|要)?转(?:到|去|回)"), "转移到"),
    # "把户口迁去深圳": a hukou going away from here (迁往 elsewhere, not 迁到武汉) is moved out.
    (re.compile(r"迁(?:去|往)(?![\u4e00-\u9fff]{0,3}武汉)"), "迁出"),
    # What a bracket after something had says is had too: 营业执照已经办下来了（个体户）.
    (re.compile(r"了[（(][^）)]{1,10}[）)]"), "了"),
    # "股东变了、地址也变了": a thing that changed is a change (变更) to register.
    (re.compile(r"(?<=[\u4e00-\u9fff])(?:也|都)?(?:变了|改了)"), "变更"),
)


_SAME_MEANING_HINT = re.compile(r"冇|了[（(]|过|头一|首次|sfz|shen ?fen|变了|改了|被|把|丢|迁去|迁往|lost|stolen|damaged|转", re.IGNORECASE)  # one search for most texts


# A couple going to 领证 (领证, 扯证) get a marriage certificate: "和男朋友准备520去领证".
_COUPLE = re.compile(r"男朋友|女朋友|男友|女友|对象|未婚夫|未婚妻|另一半|boyfriend|girlfriend|fianc", re.IGNORECASE)
_GET_CERTIFICATE = re.compile(r"(?<![结离])(?:领|扯)证")


# A baby's parents putting it "on the hukou" (给伢上户口) register a newborn.
_BABY = re.compile(r"宝宝|孩子|小孩|小伢|伢|娃|婴儿|新生儿|儿子|女儿|孙子|孙女|外孙|baby|newborn|was born|gave birth",
                   re.IGNORECASE)
_ON_THE_HUKOU = re.compile(r"(?<!新生儿)(?:上|报)户口(?!都?要用|用|的时候|时)"
                           r"|\b(?:register(?:ing)?|add(?:ing)?|put(?:ting)?|get(?:ting)?) (?:him|her|them|the baby|(?:our|my) (?:son|daughter|baby))"
                           r"(?: [a-z]+){0,2} (?:in|on|to|into|under) (?:[a-z]+ ){0,3}?(?:hukou|household)\b",
                           re.IGNORECASE)


# A graduate settling their hukou (毕业…户口迁过来, settle my hukou after my master's) settles as a graduate.
_GRADUATE = re.compile(r"毕业|应届|本科|硕士|研究生|大专|专科|博士|graduat|master s|masters|bachelor", re.IGNORECASE)
_SETTLE = re.compile(r"户口迁过来|户口落|(?<![生靠房])落户|落护|迁户口|\bsettle (?:[a-z]+ ){0,2}hukou\b|\bget (?:a )?wuhan hukou\b", re.IGNORECASE)


# A home's 过户 is a second-hand home's transfer, a car's a used car's.
_HOME = re.compile(r"房子|二手房|房产证|不动产|买房|卖房|房东|房主|老房")
_CAR = re.compile(r"二手车|车主|车管所|号牌|牌照|汽车|轿车|买车|卖车")
_TRANSFER = re.compile(r"(?<!二手房)(?<!二手车)过户")


# Money for someone aged 80 or more (八九十岁的老人国家每个月都给钱) is the old-age allowance.
_EIGHTY = re.compile(r"(?:[89]\d|八十|九十|八九十)(?:多)?(?:岁|周岁)|满(?:[89]\d|八十|九十)(?![\d分平万元块米%％])|\b(?:over|turned|turns|turning|aged) [89]\d\b|\b[89]\d years? old\b"
                     r"|\b[89]\d (?:and (?:above|over|up)|or (?:older|above|over))",
                     re.IGNORECASE)
_MONEY = re.compile(r"(?<!高龄)(?:补贴|津贴|补助)|(?:发|给|有|领)(?:一笔|点|一点)?(?:[^，。？！\s]{0,4}?的)?钱"
                    r"|\b(?<!old-age )(?<!elderly )(?:allowance|subsidy)\b", re.IGNORECASE)
# A pregnancy's 登记 (怀孕了…社区让去做个登记) is the childbirth registration.
_PREGNANT = re.compile(r"怀孕|怀了|怀[二三]胎|怀[二三]宝|孕\d+周|孕[早中晚]期|建档|建小卡|pregnan")
_REGISTRATION = re.compile(r"(?<![生育结婚离婚户口出生])登记")


# A renter taking provident fund money out (租房…公积金…取出来付房租) withdraws it for rent, unless the message
# is about buying, a loan or leaving work, which are other withdrawals.
_FUND = re.compile(r"公[积基]金|公积今|gongjijin|provident|housing fund|\bhpf\b", re.IGNORECASE)
_RENTING = re.compile(r"房租|租房|租的房|租了|\brent", re.IGNORECASE)
_OTHER_WITHDRAWAL = re.compile(r"(?<![没不])(?<!没有)(?<!不打算)(?<!不想)(?<!不准备)(?:买房|购房|买了房)"
                               r"|房子买了|贷款|还贷|商贷|退休|离职|辞职|retir"
                               # not 没买房, 不打算买房, "not buying", "no plan to buy"
                               r"|(?<!not )(?<!n't )(?<!plan to )(?<!plans to )(?<!planning to )\b(?:buy|purchas|mortgage)",
                               re.IGNORECASE)
_TAKE_OUT = re.compile(r"(?:取|提|拿)(?:出来|钱)|\b(?:rent )?withdraw(?:al|ing)?\b|\btake (?:the )?(?:money |it )?out\b",
                       re.IGNORECASE)


# A driver's licence that "expires in a couple of months" is due for renewal.
_DRIVING = re.compile(r"驾照|驾驶证|车管所|\bdriv(?:ing|er'?s?)\b|chesuo", re.IGNORECASE)
_LICENCE_EXPIRES = re.compile(r"\blicen[cs]e\b[^.?!;]{0,80}?\b(?:expires?|expiring|expired|runs out)\b", re.IGNORECASE)


# Each rule: the cues the message must have, the cue that stops it, the words it rewrites, and their name in
# Chinese and (for English words) in English. In order: each rule reads what the rules before it wrote.
_IN_CONTEXT = (
    ((_COUPLE,), None, _GET_CERTIFICATE, "领结婚证", None),
    ((_BABY,), None, _ON_THE_HUKOU, "新生儿上户口", "register newborn hukou"),
    ((_GRADUATE,), None, _SETTLE, "毕业生落户", "graduate settlement"),
    ((_HOME,), _CAR, _TRANSFER, "二手房过户", None),
    ((_CAR,), _HOME, _TRANSFER, "二手车过户", None),
    ((_EIGHTY,), None, _MONEY, "高龄津贴", "elderly allowance"),
    ((_PREGNANT,), None, _REGISTRATION, "生育登记", None),
    ((_FUND, _RENTING), _OTHER_WITHDRAWAL, _TAKE_OUT, "租房提取公积金", "withdraw provident fund for rent"),
    ((_DRIVING,), None, _LICENCE_EXPIRES, "驾照到期", "driving licence expires"),
)


def in_context(question: str) -> str:
    """Words a whole message gives a meaning to, in the name that meaning has: a couple's 领证 is 领结婚证, a
    baby's 上户口 is 新生儿上户口, a home's 过户 is 二手房过户, a renter's 取出来 a rent withdrawal.
    Only for questions: an alias is not a message."""
    for cues, unless, words, chinese, english in _IN_CONTEXT:
        if all(cue.search(question) for cue in cues) and not (unless and unless.search(question)):
            question = words.sub(lambda m, zh=chinese, en=english: en if en and m.group().isascii() else zh, question)
    return question


def _read(question: str) -> str:
    """A question as the matcher reads it: clauses broken where a long post breaks lines with spaces, words read
    in the message's context, and one wording for what means the same."""
    return same_meaning(in_context(_spaces_as_breaks(question)))


def same_meaning(text: str) -> str:
    """One wording for phrasings that mean the same (一直没办过身份证 -> 第一次办身份证)."""
    if not _SAME_MEANING_HINT.search(text):
        return text
    for pattern, wording in _SAME_MEANING:
        text = pattern.sub(wording, text)
    return text


@dataclass(frozen=True)
class Candidate:
    service_id: str
    score: float


@dataclass(frozen=True)
class Decision:
    action: str
    service_id: str | None = None
    options: tuple[str, ...] = ()  # service ids, or "matter:<id>" for a catalogue matter
    score: float = 0.0
    candidates: tuple[Candidate, ...] = field(default=(), compare=False)
    event_id: str | None = None  # a life event: the options are its services, answered as one bundle
    matter_id: str | None = None  # REFER: the catalogue matter whose office handles the question
    smalltalk: str | None = None  # SMALLTALK: greeting, thanks, ack, command or person
    district: str | None = None  # a district named in the question
    other_place: str | None = None  # another city named in the question (the assistant serves one city)
    second_opinion: float | None = None  # its probability for the service it withheld or chose (see _second_look)

    def as_dict(self) -> dict:
        result = {"action": self.action, "service": self.service_id, "options": list(self.options),
                  "score": round(self.score, 1)}
        for key, value in (("event", self.event_id), ("matter", self.matter_id), ("smalltalk", self.smalltalk),
                           ("district", self.district), ("other_place", self.other_place)):
            if value:
                result[key] = value
        if self.second_opinion is not None:
            result["second_opinion"] = round(self.second_opinion, 3)
        return result


class _Evidence(NamedTuple):
    """What a message's parts say about each target (see Matcher._scores)."""

    scores: dict[str, float]
    phrases: dict[str, float]
    named_in_asking: set[str]
    support: dict[str, float]  # stories only


class _Window(NamedTuple):
    """A part of a message to score."""

    text: str  # normalized
    weight: float  # what it counts for: less when it tells or says what is done
    whole: bool  # the whole message
    fragments: bool  # may be a fragment of a name: the whole message, or a clause that asks
    follow_up: bool = False  # in a story, after the first question: details of the request (要不要办健康证)


@dataclass(frozen=True)
class _Phrase:
    service_id: str
    excludes: bool  # a matter the service does not cover
    text: str  # phonetic keys of compact normalized Chinese, or normalized English
    words: tuple[str, ...]  # English content words; empty for Chinese phrases
    cjk: bool
    raw: str = ""  # compact normalized Chinese, as written
    distinctive: str = ""  # each character of raw that names something, once (see _distinctive)
    meaning: str = ""  # each character of raw that must be written as is (MEANING_CHARACTERS)


class Matcher:
    """Scores questions against one knowledge-base version. Build once per version; thread-safe."""

    def __init__(self, knowledge: KnowledgeBase, thresholds: Thresholds | None = None):
        self.knowledge = knowledge
        self.thresholds = thresholds or Thresholds()
        self._phrases: list[_Phrase] = []
        self._vocabulary: dict[str, set[str]] = {}
        document_frequency: Counter[str] = Counter()
        for service in knowledge.services.values():
            names = [service.name.zh, *( [service.name.en] if service.name.en else []), *service.aliases]
            for name in names:
                self._add_phrase(service.id, name)
            for phrase in service.excludes:
                self._add_phrase(service.id, phrase, excludes=True)
            self._add_vocabulary(service.id, (*names, *service.examples), document_frequency)
        for event in knowledge.events.values():
            target = EVENT_PREFIX + event.id
            names = [event.name.zh, *([event.name.en] if event.name.en else []), *event.aliases]
            for name in names:
                self._add_phrase(target, name)
            self._add_vocabulary(target, (*names, *event.examples), document_frequency)
        for matter in knowledge.matters.values():
            target = MATTER_PREFIX + matter.id
            names = [matter.name.zh, *([matter.name.en] if matter.name.en else []), *matter.aliases]
            for name in names:
                self._add_phrase(target, name)
            self._add_vocabulary(target, names, document_frequency)
        self._sibling_actions = self._build_sibling_actions(knowledge)
        self.places = PlaceFinder(knowledge)
        self._second_opinion = _second_opinion_for(knowledge)
        # Writers some services are never the answer to: a foreigner (their passport is their own country's), a
        # landlord (the 居住证 they tell of is their tenant's).
        self._not_for_writer = (
            (_FOREIGN_WRITER, frozenset(s.id for s in knowledge.services.values() if not s.for_foreigners)),
            (_LANDLORD_WRITER, frozenset(s.id for s in knowledge.services.values() if not s.for_landlords)))
        # Each family word as written and by sound (公积今 for 公积金), longest first.
        self._family_words = sorted(((normalize(word), phonetic(compact(normalize(word))), family)
                                     for family in knowledge.families.values() for word in family.words),
                                    key=lambda item: -len(item[0]))
        total = max(len(knowledge.services), 1)
        self._idf = {u: math.log((total + 1) / df) for u, df in document_frequency.items()}
        # An English name is not meant unless its rarest word is there: "medical check" is not a
        # "premarital medical check".
        self._rarest_word = [max(p.words, key=lambda w: self._idf.get(w, 0.0)) if p.words else "" for p in self._phrases]
        self._build_indexes()
        # A character or word no service knows weighs like a rare word: it is evidence that the
        # question is about something else.
        self._unknown_weight = 0.5 * math.log(total + 1)
        self._minimum_mass = 1.2 * math.log(total + 1)

    def _build_indexes(self) -> None:
        """Inverted indexes, so that a question is scored only against phrases and services it shares
        something with: cost grows with what matches, not with the size of the knowledge base."""
        by_char: dict[str, list[int]] = defaultdict(list)
        by_word: dict[str, list[int]] = defaultdict(list)
        for pid, p in enumerate(self._phrases):
            for key in (set(p.text) if p.cjk else set(p.words)):
                (by_char if p.cjk else by_word)[key].append(pid)
        self._phrases_by_char = {k: np.array(v, dtype=np.int32) for k, v in by_char.items()}
        self._phrases_by_word = {k: np.array(v, dtype=np.int32) for k, v in by_word.items()}
        self._english_words = list(by_word)
        # A message's words recur in its windows, and citizens' words in each other's questions. A plain dict,
        # not functools.lru_cache: the matcher is pickled from the process that checks a reload.
        self._typo_cache: dict[str, list[str]] = {}
        # What a phrase must share with the question to score at all (see _chinese_phrase_score):
        # all its distinct characters but the misses allowed; an English phrase, half its words.
        self._needed = np.array([max(1, len(set(p.text)) - _allowed_misses(len(p.text))) if p.cjk
                                 else (len(p.words) + 1) // 2 for p in self._phrases], dtype=np.int32)
        # A fragment question ("户口", "business licence") shares all of itself with the phrase instead.
        # Only our services' names count fragments: "护照" alone is a question about passports, not
        # about the catalogue's 护照挂失, which needs its own words to be meant.
        fragments = [not p.excludes and not p.service_id.startswith(MATTER_PREFIX) for p in self._phrases]
        self._fragments = fragments
        self._chinese_fragment = np.array([p.cjk and f for p, f in zip(self._phrases, fragments, strict=True)])
        self._english_fragment = np.array([not p.cjk and f for p, f in zip(self._phrases, fragments, strict=True)])
        self._targets = list(self._vocabulary)
        self._position = {target: i for i, target in enumerate(self._targets)}
        self._phrase_target = [self._position[p.service_id] for p in self._phrases]
        self._is_matter = np.array([t.startswith(MATTER_PREFIX) for t in self._targets])
        by_unit: dict[str, list[int]] = defaultdict(list)
        for target, vocabulary in self._vocabulary.items():
            for unit in vocabulary:
                by_unit[unit].append(self._position[target])
        self._targets_by_unit = {u: np.array(v, dtype=np.int32) for u, v in by_unit.items()}

    def _candidate_phrases(self, question_compact: str, core: str, question_words: list[str],
                           word_matches: dict[str, float]) -> np.ndarray:
        counts = self._counts([self._phrases_by_char.get(char) for char in set(question_compact)]
                              + [self._phrases_by_word[known] for known in word_matches])
        candidates = counts >= self._needed
        # A short question may be part of a name ("户口" of "新生儿户口登记"): every character of it in the phrase.
        if len(set(core)) >= 2:
            counts_in_core = self._counts([self._phrases_by_char.get(char) for char in set(core)])
            candidates |= self._chinese_fragment & (counts_in_core >= len(set(core)))
        if question_words:
            candidates |= self._english_fragment & (counts >= len(set(question_words)))
        return np.nonzero(candidates)[0]

    def _counts(self, postings: list[np.ndarray | None]) -> np.ndarray:
        """How many of these posting lists (one per character or word) each phrase is in."""
        found = [p for p in postings if p is not None]
        if not found:
            return np.zeros(len(self._phrases), dtype=np.int64)
        return np.bincount(np.concatenate(found), minlength=len(self._phrases))

    def _word_matches(self, question_words: list[str]) -> dict[str, float]:
        """Each known English word that a question word equals (1.0) or is a typo of (less)."""
        matches: dict[str, float] = {}
        for word in set(question_words):
            for known in self._similar_words(word):
                matches[known] = max(matches.get(known, 0.0), _word_similarity(known, word))
        return matches

    def _similar_words(self, word: str) -> list[str]:
        found = self._typo_cache.get(word)
        if found is None:
            if len(self._typo_cache) >= TYPO_CACHE_SIZE:
                self._typo_cache.clear()
            found = self._typo_cache[word] = self._typos_of_known_words(word)
        return found

    def _typos_of_known_words(self, word: str) -> list[str]:
        """English phrase words equal to a question word, or close enough to be a typo of it."""
        exact = [word] if word in self._phrases_by_word else []
        if len(word) < 5 or word in LATIN_CITIES:
            return exact
        return exact + [known for known, _, _ in process.extract(word, self._english_words, scorer=fuzz.ratio,
                                                                  score_cutoff=85, limit=10)
                        if known != word and _word_similarity(known, word)]

    @staticmethod
    def _build_sibling_actions(knowledge: KnowledgeBase) -> dict[str, dict[str, tuple[str, ...]]]:
        """Per service, the action words (注销, 补办, stolen ...) that none of its own names and examples use
        but a sibling matter's names do, and those matters: 食品经营许可证注销 is its sibling's."""
        actions: dict[str, dict[str, list[str]]] = {}
        own: dict[str, str] = {}  # each service's own words, normalized once
        for matter in knowledge.matters.values():
            service = knowledge.services.get(matter.sibling or "")
            if service is None:
                continue
            if service.id not in own:
                own[service.id] = " ".join(normalize(t) for t in (service.name.zh, service.name.en or "",
                                                                  *service.aliases, *service.examples))
            names = " ".join(normalize(t) for t in (matter.name.zh, matter.name.en or "", *matter.aliases))
            for word in SIBLING_ACTIONS:
                if word in names and word not in own[service.id]:
                    actions.setdefault(service.id, {}).setdefault(word, []).append(MATTER_PREFIX + matter.id)
        return {s: {w: tuple(m) for w, m in words.items()} for s, words in actions.items()}

    def _add_vocabulary(self, target: str, texts, document_frequency: Counter) -> None:
        vocabulary = set()
        for text in texts:
            vocabulary.update(units(_strip_fillers(normalize(same_meaning(text)))))
        self._vocabulary[target] = vocabulary
        document_frequency.update(vocabulary)

    def _add_phrase(self, service_id: str, raw: str, excludes: bool = False) -> None:
        text = normalize(same_meaning(raw))
        if not text:
            return
        if is_cjk(text):
            raw = compact(text)
            self._phrases.append(_Phrase(service_id, excludes, phonetic(raw), (), True, raw,
                                         "".join(set(_distinctive(raw))), "".join(MEANING_CHARACTERS.intersection(raw))))
        else:
            words = tuple(english_words(text))
            if words:
                self._phrases.append(_Phrase(service_id, excludes, text, words, False))

    # -- scoring -----------------------------------------------------------------------

    def scores(self, question: str) -> dict[str, float]:
        """Score every target 0-100 for a question (one sentence or a whole message)."""
        return self._scores(self._windows(_without_documents(_read(question)))).scores

    def _scores(self, windows: list[_Window]) -> _Evidence:
        """Score and best phrase score per target, the best over the message's windows; the targets
        named outright in a clause that asks ("她这种情况能办社保卡吗"); and in a story, each target's
        support: its scores over all the story's parts added up.

        When the question names a matter that a service explicitly excludes (结婚证补领), that
        service drops out, and every other service without a strong name match is capped below
        the answer threshold: the question is probably about something else, so at most it is
        offered as a choice.
        """
        best = np.zeros(len(self._targets))
        best_phrase = np.zeros(len(self._targets))
        named = np.zeros(len(self._targets))  # the best phrase score wherever it occurs, told or asked
        excluded: set[int] = set()
        asked = np.zeros(len(self._targets), dtype=bool)
        asked_outright = set()  # named whole where the citizen asks, and not excluded there
        support = np.zeros(len(self._targets))
        for text, weight, whole, fragments, follow_up in windows:
            phrase, coverage, window_excluded = self._signal_arrays(text, whole, fragments)
            if fragments and not whole:
                asked |= phrase >= STRONG_PHRASE
                asked_outright.update(set(np.nonzero(phrase >= 100.0)[0]) - window_excluded)
            # A name in the question is the strongest evidence; coverage separates services that match the
            # same words, and alone counts for less.
            score = weight * (0.8 * np.maximum(phrase, coverage) + 0.2 * np.minimum(phrase, coverage))
            support += score
            if len(windows) > 1 and (whole or not fragments or follow_up):
                score[self._is_matter] *= MATTER_TOLD_WEIGHT
            np.maximum(best, score, out=best)
            np.maximum(best_phrase, weight * phrase, out=best_phrase)
            np.maximum(named, phrase, out=named)
            excluded |= window_excluded
        story = not any(window.whole for window in windows)
        if excluded:
            capped = (named < STRONG_PHRASE) & ~self._is_matter
            best[capped] = np.minimum(best[capped], self.thresholds.answer - 1)
            # In a story, an exclusion in another part ("要不要先拿到报到证") does not undo the request.
            best[list(excluded - asked_outright if story else excluded)] = 0.0
        hits = np.nonzero(best)[0]
        if len(hits) > MAX_TARGETS:  # only the best few can decide anything
            hits = hits[np.argpartition(-best[hits], MAX_TARGETS)[:MAX_TARGETS]]
        return _Evidence({self._targets[i]: float(best[i]) for i in hits},
                         {self._targets[i]: float(best_phrase[i]) for i in hits},
                         {self._targets[i] for i in hits if asked[i]},
                         {self._targets[i]: float(support[i]) for i in hits} if story else {})

    def _windows(self, question: str) -> list[_Window]:
        """The parts of a message to score. A part weighs as little as its least weighty clause: what the
        citizen asks counts fully, what they have already done least ("出生证明已经拿到了"), and in a
        long message, what they tell in between. Only the whole message and a clause that asks can be
        a fragment of a name ("想问武汉的护照怎么办"); a clause that tells ("她户口是武汉的") is the
        citizen's situation, not the service they ask about."""
        clauses = _clauses(question)
        whole = normalize(question)
        if len(clauses) <= 1:
            return [_Window(whole, 1.0, True, True)]
        short = _size(question) <= SHORT_MESSAGE
        asking = [_asks(clause) for clause in clauses]
        weights = [_weight(clause, any(asking) and not short) for clause in clauses]
        windows = [_Window(whole, min(weights), True, True)] if short else []
        first_question = len(clauses) if short else next((i for i, asks in enumerate(asking) if asks), len(clauses))
        for i, clause in enumerate(clauses):
            follow_up = i > first_question
            windows.append(_Window(normalize(clause), weights[i], False, asking[i] or _required_request(clause),
                                   follow_up))
            # A request often names its subject in the clause before ("一直没办过身份证，第一次办要什么").
            if i + 1 < len(clauses) and (weights[i + 1] == 1.0 or weights[i] == 1.0):
                windows.append(_Window(normalize(clause + "，" + clauses[i + 1]), min(weights[i:i + 2]), False, False,
                                       follow_up))
        # The same words twice (two clauses are the whole message; "我在〇区，" adds none) are scored once,
        # as the whole; a clause of only such words ("我在〇区") not at all.
        best: dict[str, _Window] = {}
        for window in windows:
            words = compact(_strip_fillers(window.text)).replace(PLACEHOLDER, "")
            if words:
                best[words] = max(best.get(words, window), window, key=lambda w: (w.whole, w.weight, w.fragments))
        return list(best.values())

    def signals(self, normalized: str, whole: bool = True) -> dict[str, tuple[float, float, bool]]:
        """(phrase score, coverage score, excluded) per target, for one part of a question (for explaining)."""
        phrase, coverage, excluded = self._signal_arrays(normalized, whole, whole)
        return {self._targets[i]: (float(phrase[i]), float(coverage[i]), i in excluded)
                for i in set(np.nonzero(phrase + coverage)[0]) | excluded}

    def _signal_arrays(self, normalized: str, whole: bool = True, fragments: bool = True
                       ) -> tuple[np.ndarray, np.ndarray, set[int]]:
        """Phrase and coverage scores of every target, and the targets the text excludes.

        A part of a longer message needs more information before its coverage counts: three
        words of a story ("第一次办需要什么材料") say little about which service is meant."""
        phrase = np.zeros(len(self._targets))
        excluded: set[int] = set()
        normalized = normalize(normalized)
        if not normalized:
            return phrase, phrase, excluded
        question_raw = compact(normalized)
        question_compact = phonetic(question_raw)
        # Without the asking words and the home city, so that "武汉户口怎么弄" counts as the fragment "户口".
        # A fragment must name something: 办证 or 登记 alone is part of every name and says nothing.
        raw_core = compact(_strip_fillers(HOME_CITY.sub(" ", normalized).replace(PLACEHOLDER, " ")))
        question_core = phonetic(raw_core) if fragments and _distinctive(raw_core) else ""
        question_words = english_words(normalized)
        word_matches = self._word_matches(question_words)
        for pid in self._candidate_phrases(question_compact, question_core, question_words, word_matches):
            p, fragment = self._phrases[pid], self._fragments[pid] and fragments
            target = self._phrase_target[pid]
            if not p.excludes and phrase[target] >= 100.0:
                continue  # named whole already: another alias cannot add to it
            if p.cjk:
                score = _chinese_phrase_score(p, question_compact, question_raw, question_core if fragment else "")
            else:
                # An English clause of one or two words ("what do I do first") says too little to be a fragment.
                score = _english_phrase_score(p.words, question_words, word_matches, self._rarest_word[pid],
                                              fragments=fragment and whole)
            if p.cjk and score and _not_asked(p.raw, normalized):
                continue  # "出生证明已经拿到了", "公司注册地址": what they have, or a thing's attribute
            if p.excludes:  # an exclusion must occur whole: being a fragment of one says nothing
                if score >= STRONG_PHRASE and _occurs_whole(p, question_compact):
                    excluded.add(target)
            elif score > phrase[target]:
                phrase[target] = score
        coverage = self._coverage(normalized, self._minimum_mass if whole else 2 * self._minimum_mass)
        return phrase, coverage, excluded

    def _coverage(self, normalized: str, minimum_mass: float) -> np.ndarray:
        content = _strip_fillers(normalized)
        question_units = set(units(content))
        known = {u for u in question_units if u in self._idf}
        # Chinese characters not covered by any known bigram, and unknown English words.
        covered_chars = set()
        for unit in known:
            if is_cjk(unit):
                covered_chars.update(unit)
        unknown = sum(1 for ch in compact(content) if is_cjk(ch) and ch not in covered_chars)
        unknown += sum(1 for u in question_units - known if not is_cjk(u))
        mass = sum(self._idf[u] for u in known) + self._unknown_weight * unknown
        # A question made only of common words ("户口") is not fully explained by any one service.
        mass = max(mass, minimum_mass)
        explained = np.zeros(len(self._targets))
        for unit in known:
            explained[self._targets_by_unit[unit]] += self._idf[unit]
        return explained * (100.0 / mass)

    def decide(self, question: str) -> Decision:
        """Turn a question into answer, clarify, refer, escalate, or small talk.

        A life event ("孩子出生了要办哪些手续") wins when it scores better than every single
        service, unless the question names a service outright ("孩子出生了怎么上户口") and does
        not ask for everything. It comes back as a clarification whose options are the event's
        services, with event_id set so channels can send the merged checklist.
        """
        kind = smalltalk.classify(question)
        if kind:
            return Decision(SMALLTALK, smalltalk=kind)
        places, asked = _find_places(_read(question), self.places)
        asked = _without_documents(asked)
        family = self._family_only(places.text)
        if family is not None:
            return Decision(CLARIFY, None, family.services[: self.thresholds.max_options], 100.0,
                            district=places.district, other_place=None if places.home else places.other)
        scores, phrases, named_in_asking, support = self._scores(self._windows(asked))
        everything = {k: v for k, v in scores.items() if not k.startswith(EVENT_PREFIX)}
        targets = self._neighbours_with_evidence(everything, asked)
        for writer, not_theirs in self._not_for_writer:
            if writer.search(places.text):
                targets = {t: v for t, v in targets.items() if t not in not_theirs}
        decision = self._decide_targets(targets)
        together = self._named_together(phrases, targets, question, asked, places.text)
        if len(together) >= 2 and decision.action in (ANSWER, CLARIFY, REFER):
            decision = Decision(CLARIFY, None, tuple(together[: self.thresholds.max_options]),
                                max(targets.get(n, 0.0) for n in together),
                                decision.candidates)
        events = sorted(((v, k[len(EVENT_PREFIX):]) for k, v in scores.items() if k.startswith(EVENT_PREFIX)),
                        reverse=True)
        services = {k: v for k, v in targets.items() if not k.startswith(MATTER_PREFIX)}
        if events:
            best, event_id = events[0]
            best_service = max(services, key=services.get, default=None)
            named = best_service is not None and phrases[best_service] >= NAMED_PHRASE
            asks_everything = _asks_for_everything(question)
            # In a story, a life event told ("we moved back to Wuhan last summer") is context, not the request.
            only_told = support and EVENT_PREFIX + event_id not in named_in_asking and not asks_everything
            if best >= self.thresholds.answer and best > max(targets.values(), default=0.0) - self.thresholds.margin \
                    and best > services.get(best_service, 0.0) and (not named or asks_everything) and not only_told:
                event = self.knowledge.events[event_id]
                decision = Decision(CLARIFY, None, event.service_ids[: self.thresholds.max_options], best,
                                    decision.candidates, event_id=event_id)
        decision = self._within_family(decision, scores, places.text, question)
        decision = self._asked_by_name(decision, targets, named_in_asking, len(together) >= 2)
        if len(together) < 2:
            decision = self._borne_out_by_the_story(decision, support, targets)
        decision = self._sibling_asked(decision, asked)
        decision = self._second_look(decision, question, asks_for_both=len(together) >= 2)
        return replace(decision, district=places.district, other_place=None if places.home else places.other)

    def _second_look(self, decision: Decision, question: str, asks_for_both: bool) -> Decision:
        """The second opinion reads the whole message. An answer it finds very unlikely is not given: the citizen
        chooses between it and the second opinion's service, or, where that thinks it is none of ours, staff
        take the question. In a long post, a choice the rules offer is answered with the option it is sure of
        (a story's many names make the rules hesitate where the whole post is clear), unless the citizen asks
        about two services at once."""
        if self._second_opinion is None or decision.event_id:
            return decision
        if decision.action == CLARIFY and _size(question) > SHORT_MESSAGE and not asks_for_both:
            chances = self._second_opinion.probabilities(question)
            surest = max(decision.options, key=lambda option: chances.get(option, 0.0))
            if chances.get(surest, 0.0) >= SURE:
                return Decision(ANSWER, surest, score=decision.score, candidates=decision.candidates,
                                second_opinion=chances[surest])
            return decision
        if decision.action != ANSWER:
            return decision
        chances = self._second_opinion.probabilities(question)
        chance = chances.get(decision.service_id, 1.0)  # a service it has not learnt: no opinion
        if chance >= DOUBTFUL:
            return decision
        likeliest = max(chances, key=chances.get)
        if likeliest in self.knowledge.services and likeliest != decision.service_id:
            return Decision(CLARIFY, None, (decision.service_id, likeliest), decision.score, decision.candidates,
                            second_opinion=chance)
        return Decision(ESCALATE, None, (), decision.score, decision.candidates, second_opinion=chance)

    def _borne_out_by_the_story(self, decision: Decision, support: dict[str, float],
                                scores: dict[str, float]) -> Decision:
        """A story that keeps coming back to one service (协议离 ... 冷静期 ... 反悔; 驾照 ... 到期 ... 体检)
        is answered with it, when its support over the whole story is well above every other option's,
        or, where no part scored enough to offer a choice, every other target's."""
        if decision.event_id or not support:
            return decision
        needed = STORY_SUPPORT
        if decision.action == CLARIFY:
            leader = max(decision.options, key=lambda t: support.get(t, 0.0))
            others = [t for t in decision.options if t != leader]
            if leader != decision.options[0]:
                needed = STORY_OVERTURN  # the story outweighs the best-scoring option only by a wider margin
        elif decision.action == ESCALATE:
            ranked = sorted((t for t in support if not t.startswith(EVENT_PREFIX)), key=lambda t: -support[t])
            if not ranked or scores.get(ranked[0], 0.0) < STORY_FLOOR:
                return decision
            leader, *others = ranked
        else:
            return decision
        if leader.startswith(MATTER_PREFIX):
            return decision
        if all(support[leader] >= needed * support.get(other, 0.0) for other in others):
            return Decision(ANSWER, leader, score=scores.get(leader, decision.score), candidates=decision.candidates)
        return decision

    def _sibling_asked(self, decision: Decision, asked: str) -> Decision:
        """A service named together with an action only a sibling matter has (食品的证要不要单独注销, her
        passport was stolen) is offered with that matter: the citizen may want the cancellation, not the licence."""
        actions = self._sibling_actions.get(decision.service_id or "") if decision.action == ANSWER else None
        if not actions:
            return decision
        for clause in _PUNCTUATION.split(asked)[::2]:
            clause = normalize(clause)
            words = [w for w in actions if w in clause]
            if not words:
                continue
            phrase, _, _ = self._signal_arrays(clause, False, False)
            if phrase[self._position[decision.service_id]] >= NAMED_PHRASE:
                matters = list(dict.fromkeys(m for w in words for m in actions[w]))
                options = (decision.service_id, *matters)[: self.thresholds.max_options]
                return Decision(CLARIFY, None, options, decision.score, decision.candidates)
        return decision

    def _asked_by_name(self, decision: Decision, targets: dict[str, float], named_in_asking: set[str],
                       together: bool) -> Decision:
        """A story that mentions one service and asks about another by name ("交的是居民医保 ... 她这种情况
        能办社保卡吗") is answered with the one asked about, when it is the only one so named."""
        if decision.action != CLARIFY or decision.event_id or together \
                or any(o.startswith(MATTER_PREFIX) for o in decision.options):
            return decision  # a neighbour matter on offer: the name may be that matter's (护照 of 护照挂失)
        asked = [t for t in named_in_asking if t in targets and not t.startswith(MATTER_PREFIX)]
        if len(asked) == 1 and targets[asked[0]] >= self.thresholds.answer and asked[0] in decision.options:
            return Decision(ANSWER, asked[0], score=targets[asked[0]], candidates=decision.candidates)
        return decision

    def _within_family(self, decision: Decision, scores: dict[str, float], text: str, question: str) -> Decision:
        """A short question that names a family (民政局婚姻登记处要带什么, 公积金办里流程) but is too unclear
        to answer or clarify is clarified among the family's members, not sent to staff."""
        if decision.action != ESCALATE or _size(question) > FAMILY_QUESTION:
            return decision
        families = self._families_named(text)
        if not families:
            return decision
        members = sorted(families[0].services, key=lambda s: -scores.get(s, 0.0))
        return Decision(CLARIFY, None, tuple(members[: self.thresholds.max_options]), decision.score, decision.candidates)

    def _families_named(self, text: str) -> list:
        """The families a text names by their word, as written or by sound (公积今), longest word first;
        户口本 and 身份证号 name a document and a number, not the family."""
        content = phonetic(compact(text))
        named = []
        for _, word, family in self._family_words:
            at = content.find(word)
            while at >= 0 and family not in named:
                if content[at + len(word):at + len(word) + 1] not in _NOT_THE_FAMILY:
                    named.append(family)
                at = content.find(word, at + 1)
        return named

    def _family_only(self, text: str):
        """The family whose word is all that a question says (身份证怎么办, 公积金, 上户口), if any."""
        content = _strip_fillers(HOME_CITY.sub(" ", text))
        for word, _, family in self._family_words:
            if word and word in content:
                rest = content.replace(word, " ")
                if not any(is_cjk(ch) for ch in _distinctive(compact(rest))) and not english_words(rest):
                    return family
        return None

    def _named_together(self, phrases: dict[str, float], targets: dict[str, float], question: str,
                        asked: str, text: str) -> list[str]:
        """Services a message names side by side ("身份证快到期了，顺便想办个护照", "先办营业执照还是
        先办食品经营许可证"): the citizen gets to choose each, never just one of them. A family named
        by its word (营业执照) stands for its services, unless one of them is named itself."""
        if not _TOGETHER.search(question):
            return []  # "办护照要带身份证吗" names the ID card as a document, not as a second request
        if _size(question) > SHORT_MESSAGE:
            # In a story, 还是 joins what its own sentence names ("协议书自己写还是有模板" joins no services).
            joined = set()
            for sentence in _SENTENCE_END.split(asked):
                if _TOGETHER.search(sentence):
                    joined.update(np.nonzero(self._signal_arrays(sentence, False, False)[0] >= NAMED_PHRASE)[0])
            phrases = {t: v for t, v in phrases.items() if self._position[t] in joined}
        named = sorted((t for t, v in phrases.items()
                        if v >= NAMED_PHRASE and t in targets and not t.startswith(MATTER_PREFIX)),
                       key=lambda t: -targets[t])
        things = len(named)
        # In a longer message a family word is more often the situation (户口是武汉的) than a request.
        for family in self._families_named(text) if _size(question) <= FAMILY_QUESTION else []:
            members = [s for s in family.services if not s.startswith(MATTER_PREFIX)]
            if not set(members) & set(named):
                named += sorted(members, key=lambda s: -targets.get(s, 0.0))
                things += 1
        return named if things >= 2 else []

    def _neighbours_with_evidence(self, scores: dict[str, float], question: str) -> dict[str, float]:
        """Leave out catalogue matters that the question gives no word of their own for.

        A matter like 结婚证补领 shares most of its words with the service 结婚登记; only the
        question's words that the matter knows and the best service does not (丢了, 补办) can
        make it the better answer."""
        services = [k for k in scores if not k.startswith(MATTER_PREFIX)]
        if not services:
            return scores
        best = self._vocabulary[max(services, key=scores.get)]
        asked = set(units(_strip_fillers(normalize(question))))
        return {k: v for k, v in scores.items()
                if not k.startswith(MATTER_PREFIX) or (asked & self._vocabulary[k]) - best}

    def _decide_targets(self, scores: dict[str, float]) -> Decision:
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        candidates = tuple(Candidate(s, round(v, 1)) for s, v in ranked[:5])
        if not ranked:
            return Decision(ESCALATE, candidates=candidates)
        t = self.thresholds
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best_id.startswith(MATTER_PREFIX):
            best_service = max((v for k, v in ranked if not k.startswith(MATTER_PREFIX)), default=0.0)
            if best >= t.answer and best - best_service >= t.margin:
                return Decision(REFER, None, (), best, candidates, matter_id=best_id[len(MATTER_PREFIX):])
        elif best >= t.answer and best - runner_up >= t.margin:
            return Decision(ANSWER, best_id, score=best, candidates=candidates)
        if best < t.clarify:
            return Decision(ESCALATE, None, (), best, candidates)
        options = tuple(s for s, v in ranked[: t.max_options] if v >= best - t.clarify_band)
        if len(options) >= 2:
            return Decision(CLARIFY, None, options, best, candidates)
        return Decision(ESCALATE, None, (), best, candidates)


def _second_opinion_for(knowledge: KnowledgeBase) -> SecondOpinion | None:
    """A second opinion on the services that have labelled questions, trained on those questions and on the
    services' names, aliases and examples. Names alone are too little to doubt an answer with, so a service
    without labelled questions is answered on the rules alone; it also keeps the classifier's size (n-grams
    times services) to what has been labelled, not to the whole catalogue."""
    labelled = [(q.text, q.label or NOT_OURS) for q in knowledge.questions if q.label is not None]
    known = {label for _, label in labelled} & set(knowledge.services)
    if not known:
        return None
    named = [(text, service.id) for service in knowledge.services.values() if service.id in known
             for text in (service.name.zh, service.name.en, *service.aliases, *service.examples) if text]
    return second_opinion(named + labelled)


# Families named in a question.
_NOT_THE_FAMILY = frozenset(phonetic(ch) for ch in "本簿页号")  # after a family's word: 户口本, 身份证号
FAMILY_QUESTION = 20  # characters (see _size): a question this short that names a family is about it

# Long messages: split at sentence ends (and at commas inside long sentences).
SHORT_MESSAGE = 60  # characters (see _size); a message this short is also scored whole
LONG_SENTENCE = 40  # a longer sentence is read clause by clause
TOLD_WEIGHT = 0.88  # a sentence that tells rather than asks, in a message that asks somewhere
DONE_WEIGHT = 0.8  # a sentence about something already done ("出生证明已经拿到")
# A catalogue matter named only where the citizen tells their situation ("学校说中考报名要用",
# "中介说要先解押") is context; it is referred to when asked about.
MATTER_TOLD_WEIGHT = 0.88
# A story's leading service is the answer when its support is this many times every other option's (chosen
# on the tuning sets: at 1.5 no wrong answers, at 2 fewer right ones).
STORY_SUPPORT = 1.5
# Support that points to another option than the best-scoring one must be this many times every other's (at
# 1.8 on stories_dev: 7 more right answers and 1 more wrong one; at 2.3: 1 more right one).
STORY_OVERTURN = 1.8
# A story no part of which scored enough to offer a choice is answered by its support only when its best part
# for that service scores at least this.
STORY_FLOOR = 35.0
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|(?<!\d)\.(?!\d)")
_COMMA = re.compile(r"[，,、]+")
# Sentence and clause punctuation, kept apart when places are blanked; an English full stop too.
_PUNCTUATION = re.compile(f"((?:{_SENTENCE_END.pattern}|{_COMMA.pattern})+)")
_TOGETHER = re.compile(r"还是|或者|顺便|同时|以及|然后|另外|再办|还要办|一起办|\b(?:or|and also|as well as)\b",
                       re.IGNORECASE)
_ASKS = re.compile(
    r"[?？吗呢]|怎么|怎样|如何|咋|哪|什么|啥|多少|多久|能不能|能否|可不可以|可以吗|是否|要不要|需不需要|需要|请问|想问|想咨询|是不是|么样|么子|行不行|"
    r"\b(?:how|what|where|which|when|can|could|do|does|need|should|is|are|any)\b", re.IGNORECASE)
# Something already done; "没办过", "还没拿到" are not.
_DONE = re.compile(r"(?<![没未])(?:已经|已|刚[上办领拿迁落交]了|办好|办完|拿到|领到|办过|有了|上过|交过|都下来了|批下来|过来了)|"
                   r"\b(?:al+re?ady (?:have|got|has|had|paid|did|done)|have (?:the \w+ )?al+re?ady|got (?:married|divorced|my|our|the)|"
                   r"married (?:my|a|an|our)|(?:were|was|we|i) married|"
                   r"have (?:got|obtained|received))\b",
                   re.IGNORECASE)


# What someone told the citizen they need (学校说家长要有居住证, 派出所说得先办出生医学证明): the request.
_REQUIRED = re.compile(r"说.{0,12}?(?:要|需要|得|必须)(?:有|办|先办|提供|开)"
                       r"|\b(?:says?|said|told(?: (?:me|us|her|him))?|tells? (?:me|us))(?: that)?(?: i| we| she| he)?"
                       r" (?:(?:must|have to|need to|has to|needs to|to) (?:apply|register|get|file)|needs? (?:a|an|the))\b",
                       re.IGNORECASE)
_PRECONDITION = re.compile(r"才能|才可以|才行|\bbefore (?:i|we|you|she|he|they) can\b|\bin order to\b", re.IGNORECASE)


def _required_request(clause: str) -> bool:
    """Someone told the citizen to get it (朋友说还必须办食品经营许可证): a request as much as a question is,
    unless it is only the condition of something else (说要有居住证才能参保)."""
    return bool(_REQUIRED.search(clause)) and not _PRECONDITION.search(clause)


_REQUIRED_REACH = 13  # characters before 要提供: 说 and the twelve _REQUIRED allows


# A worry or a reason in a story (怕以后退休领不到养老金, 免得当天白跑): why the citizen asks, not what.
_WORRY = re.compile(r"^(?:怕|担心|生怕|免得|以免|省得|不然|否则)|(?:怕|担心)以后|会不会(?:有|受)?影响|影不影响"
                    r"|^[^办申领开]*(?:要|得|需要)用到?$")  # what a paper is for: 孩子上学报名要用 (not 办社保卡，说…要用)


# A writer who says they are a foreigner ("I'm German", "as a foreigner", "my embassy"), in the matcher's normalized
# English (I'm -> i m).
_NATIONALITIES = (
    "american|british|english|scottish|irish|welsh|german|french|italian|spanish|portuguese|dutch|belgian|swiss|austrian|"
    "swedish|norwegian|danish|finnish|polish|czech|russian|ukrainian|greek|turkish|canadian|mexican|brazilian|argentinian|"
    "colombian|chilean|australian|kiwi|new zealander|south african|nigerian|kenyan|ghanaian|ethiopian|egyptian|moroccan|"
    "indian|pakistani|bangladeshi|sri lankan|nepali|korean|japanese|vietnamese|thai|filipino|filipina|indonesian|"
    "malaysian|singaporean|cambodian|burmese|mongolian|kazakh|uzbek|iranian|israeli|lebanese|syrian|saudi")
_COUNTRIES = (
    "us|usa|uk|germany|france|italy|spain|canada|australia|russia|korea|japan|india|nigeria|kenya|brazil|mexico|"
    "vietnam|thailand|philippines|indonesia|malaysia|singapore|pakistan|egypt")
_FOREIGN_WRITER = re.compile(
    rf"\b(?:i m|i am|we are|we re|are both|we both|as|me)(?: an?)? (?:{_NATIONALITIES}|foreigner|expat|foreign national|non chinese)\b"
    rf"|\b(?:i m|i am|we are|we re|are both|we both)(?: both)? from (?:the )?(?:{_COUNTRIES})\b"
    r"|\b(?:my|our) (?:embassy|consulate|home country)\b|\b(?:as|for) (?:a )?foreigners?\b"
    rf"|\b(?:{_NATIONALITIES}) (?:guy|girl|man|woman|dude|lady|expat|citizen) here\b"
    rf"|\b(?:{_NATIONALITIES}) (?:lecturer|teacher|engineer|professor) (?:at|in|here)\b"
    rf"|\bbecame an? (?:{_NATIONALITIES}) citizen\b|\b(?:my|on (?:my|a)) (?:{_NATIONALITIES}) passport\b"
    r"|\bwork(?: type)? residence permit\b"
    r"|\b(?:z|x1|x2|s1|s2|q1|q2) visa\b"
    r"|\bforeign (?:teacher|student|employee|worker|national|wife|husband|lecturer|engineer|professor|expert|spouse)\b")


# A writer who says they let a home ("我是房东", "我把房子租给了", "my tenant"), in normalized text.
_LANDLORD_WRITER = re.compile(
    r"(?:我|我们|我家)(?:是|作为)房东|作为房东|房子(?:出)?租给|(?:有|一)套房子?(?:出租|租出去)|房子出租|(?:租客|租户|房客)(?:说|要)"
    r"|\b(?:i m|i am|we are|as) (?:the|a) landlords?\b|\b(?:my|our) tenants?\b"
    r"|\brent(?:ed|ing)? (?:it|our (?:flat|apartment|home|house)|the (?:flat|apartment)) out\b"
    r"|\bthe tenants? (?:asked|asks|says|said|wants|needs)\b")


def _clauses(question: str) -> list[str]:
    """Sentences, and the clauses of long sentences (or of a short message: "要带哪些材料，出生证明已经拿到了")."""
    short = _size(question) <= SHORT_MESSAGE
    parts = []
    for sentence in _SENTENCE_END.split(question):
        sentence = sentence.strip()
        if short or _size(sentence) > LONG_SENTENCE:
            parts += [p.strip() for p in _COMMA.split(sentence) if p.strip()]
        elif sentence:
            parts.append(sentence)
    return parts


# A space between Chinese words in a long post ("钱包被摸了😭 里面有身份证 银行卡") ends a clause: such posts
# (Xiaohongshu, WeChat) break lines with spaces instead of punctuation.
_SPACE_BETWEEN_WORDS = re.compile(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])")


def _spaces_as_breaks(question: str) -> str:
    return _SPACE_BETWEEN_WORDS.sub("，", question) if _size(question) > SHORT_MESSAGE else question


def _size(text: str) -> int:
    """How much a text says: Chinese characters, and two for each Latin word."""
    return sum(1 for ch in text if "\u3400" <= ch <= "\u9fff") + 2 * len(re.findall(r"[A-Za-z]+", text))


def _asks(sentence: str) -> bool:
    return bool(_ASKS.search(sentence))


def _weight(clause: str, told_counts_less: bool) -> float:
    if _WORRY.search(clause) and told_counts_less:
        return DONE_WEIGHT
    if _asks(clause) or _REQUIRED.search(clause):
        return 1.0
    if _DONE.search(clause):
        return DONE_WEIGHT
    return TOLD_WEIGHT if told_counts_less else 1.0


def _find_places(question: str, finder: PlaceFinder) -> tuple[Places, str]:
    """The places a message names, and the message with them blanked but its sentence punctuation kept
    (it splits long messages); each piece between punctuation is looked at once."""
    pieces = _PUNCTUATION.split(question)
    found = [finder.find(piece) for piece in pieces[::2]]
    asked = "".join(piece if i % 2 else found[i // 2].text for i, piece in enumerate(pieces))
    places = Places(normalize(asked), next((p.district for p in found if p.district), None),
                    next((p.other for p in found if p.other), None), any(p.home for p in found))
    return places, asked


_EVERYTHING = re.compile(
    r"哪些手续|哪些证|哪些事|要办什么|要办啥|都要办|要办哪些|办哪些|什么手续|啥手续|一件事|所有手续|全部手续|跑哪些|"
    r"what do (?:i|we) (?:need|have) to do|what paperwork|what should (?:i|we) do|what licen[cs]es|everything")


def _asks_for_everything(question: str) -> bool:
    """'What do I need to do' rather than 'how do I do X': the citizen wants the whole bundle."""
    return bool(_EVERYTHING.search(normalize(question)))


_PAPER_NAMES = r"passport|id card|card|certificate|cert|licen[cs]e|permit|hukou|booklet|contract|diploma|degree"
_PAPER = rf"(?:{_PAPER_NAMES})"
_DOCUMENT = r"(?:证|证明|本|簿|薄|卡|照|书|协议|合同)"
_BREAK = r"\s，。？！?!,.；;、：:（）()"  # where a document's name ends
# Papers and conditions of a request, not the service asked about: a document to bring (要带出生证吗), what
# the citizen lacks (没有租房合同备案能不能取), what must come first (要不要先办居住证才能换).
_DOCUMENTS_AND_CONDITIONS = re.compile(
    rf"(?:要|需要|得|必须|还要|还得|需|应该)(?:带|携带|提供|出示|准备)(?P<documents>[^{_BREAK.replace('、', '')}去到]*)"
    # "需要居住证吗", "要不要户口本", "要毕业证吗" (要 alone only as a question): whether a paper is needed
    rf"|(?:(?:要不要|需不需要|需要|用不用|还要)(?P<needed>[^{_BREAK}办申领开弄搞]{{0,6}}?{_DOCUMENT})(?:吗|不|么|嘛|呢)?"
    rf"|(?<![不需还想])要(?P<needed_as_asked>[^{_BREAK}办申领开弄搞]{{0,6}}?{_DOCUMENT})(?:吗|不|么|嘛|呢))(?=[{_BREAK}]|$)"
    rf"|没有?(?P<lacking>[^{_BREAK}不]{{2,8}}?)(?:能不能|可不可以|可以|能|也能|还能|行不行)"
    rf"|先(?:办|弄|去办|拿到|开)?(?P<first>[^{_BREAK}]{{2,8}}?)(?:才能|才可以|才行)"
    # "here on a valid residence permit": the status someone holds
    r"|\b(?:on|holding) (?:a|an|my|our|his|her) (?P<held>(?:[a-z]+[ -]){0,3}?permit)\b"
    # "我家是低保户", "作为个体户": a status someone has
    rf"|(?:是|属于|作为|称其为)(?P<status_held>[^{_BREAK}]{{2,6}}?(?:户|家庭|对象|人员))(?=[{_BREAK}]|$)"
    # "已经吃了三年低保", "一直在领高龄补贴": what someone already receives
    rf"|(?:已经|一直)在?(?:吃|领|享受|拿)(?![到过])(?:了|着)?(?:好几年|几年|[一二两三四五六七八九十\d]+年)?的?(?P<receiving>(?![\d一二两三四五六七八九十几好了着])[^{_BREAK}]{{2,6}})(?=[{_BREAK}]|$)"
    # "结婚证和户口本都在我手里": papers at hand
    rf"|(?P<at_hand>[^{_BREAK}]{{1,6}}?{_DOCUMENT}(?:[和跟及][^{_BREAK}]{{1,6}}?{_DOCUMENT})*)(?:都|也)?在(?:我|他|她|我们)?(?:手里|手上|身上)"
    # "my dad is retired", "I can just go with my passport": a status held, a paper used
    r"|\b(?:is|are|am|was|already|got) (?P<retired>retired)\b"
    r"|\b(?:go|travel|enter|fly|come|apply|register|sign up) (?:there |in |along )?with (?:my|our|his|her|a) (?P<travels_on>(?:[a-z]+ ){0,2}?"
    rf"{_PAPER})\b(?! renewal| application)"
    # "除了低保之外": what the citizen already has and asks beyond
    rf"|除了(?P<besides>[^{_BREAK}]{{2,8}}?)(?:之外|以外)"
    # "I did a lease registration last year": done already
    r"|\b(?:i|we) (?:did|have done|had done|got|made|filed) (?:a |an |the |my |our )?"
    r"(?P<done_before>(?:[a-z]+ ){0,2}?(?:registration|filing|certificate|card|licen[cs]e|permit))\b"
    # "需要先办社保卡吗": what must come first, asked about
    rf"|(?:需要|需不需要|要不要)先(?:办|弄|去办|拿到|开)(?P<first_asked>[^{_BREAK}]{{2,8}}?)(?:吗|不|么|呢)?(?=[{_BREAK}]|$)"
    # "当时用公积金贷款买的": the means something was paid with
    rf"|用(?P<means>[^{_BREAK}]{{2,8}}?)(?:买的|付的|交的|办的|贷的)"
    # "会不会影响学籍", "是不是要户口迁来满多长时间": a worry or a condition about something else
    rf"|(?:会不会|会|怕|担心)影响(?:到)?(?P<affected>[^{_BREAK}]{{2,10}})"
    rf"|(?P<duration>[^{_BREAK}要]{{2,6}}?)满(?:多长时间|多久|几年|半年|一年|[一二两三四五\d]+年)"
    # "以后还要办医保和社保卡", "later the social insurance card": what comes later, not the request
    rf"|(?<![^{_BREAK}])(?:准备|打算)?(?:以后|之后|后面|后续|到时候)(?P<later>[^{_BREAK}]{{2,16}})"
    r"|\b(?:and )?later (?:on )?(?:the |a |my |our )?(?P<later_en>(?:[a-z]+ ){0,3}?[a-z]+)(?=[.,;!?]|$)"
    # "before we can do the environment assessment and building permits, we must ...": what comes after
    r"|\bbefore (?:we|i|you|they|she|he) can (?:do|get|apply for|start|go for) (?P<after>[^,.;!?]*)"
    # "a juzhuzheng for our kid's school enrollment later": what it is for, later
    r"|\bfor (?P<later_for>(?:[a-z']+ ){1,5}?)later\b"
    # "the business license (yingye zhizhao) is done": a paper already had
    rf"|\bthe (?P<done_paper>(?:[a-z]+ ){{0,2}}?{_PAPER})\b[^.!?]{{0,30}}? (?:is|was|are|got) (?:already )?"
    r"(?:done|ready|issued|approved|sorted|finished)\b"
    # "the company is registered, I'm the legal rep": a business already set up
    r"|\b(?:the|my|our) (?P<set_up>(?:[a-z]+ ){0,2}?(?:company|business|shop|getihu|llc|wfoe|studio)) (?:is|was|has been|got) "
    r"(?:already )?(?:registered|set up|established|incorporated|licensed)\b"
    # "我问他是健康证吗，他说不是", "not the business license": what the request is said not to be
    rf"|是(?P<denied>[^{_BREAK}]{{2,8}}?)吗[{_BREAK}]*(?:他|她|人家|对方)?说?(?:不是|不对)"
    rf"|\bnot (?:the |a |an |my |our )?(?P<not_this>(?:[a-z]+ ){{0,2}}?{_PAPER})\b"
    # "married to a Chinese woman": a status, not the request
    r"|\b(?P<married_to>married to(?: (?:a|an|my|the))?(?: [a-z]+){0,2})"
    # "要不要房东开发票": a paper someone else must issue, asked about
    rf"|(?:要不要|需不需要|需要)(?P<issued>(?:房东|对方|单位|公司|医院|学校|社区|村里)开(?:个|张)?[^{_BREAK}]{{0,6}}?(?:{_DOCUMENT}|发票))"
    rf"(?:吗|不|么|呢)?(?=[{_BREAK}]|$)"
    # "和小学入学报名那个一样吗": what the request is compared with
    rf"|(?:和|跟|同|像)(?P<compared>[^{_BREAK}]{{2,10}}?)(?:那个|那样|这个)?(?:一样|差不多|类似|相同)"
    # "奶奶有银行卡和社保卡": papers someone holds (not 要有, 有没有, 有效期)
    rf"|(?<![要需须得求才没])有(?![没无效])(?P<holds>[^{_BREAK}]{{1,6}}?{_DOCUMENT}(?:[和跟及][^{_BREAK}]{{1,6}}?{_DOCUMENT})*)"
    rf"(?=的?(?:[{_BREAK}]|$)|好几年|好多年|几年|多年|很久)"
    # "sign in France and get it notarized there": papers notarised abroad, not a notarisation here
    r"|\b(?P<abroad>notari[sz](?:ed|e it|ation)(?: and (?:legali[sz]ed|apostilled|authenticated|translated))?)"
    r" (?:there|back home|at home|abroad|in (?!wuhan\b)[a-z]+)\b"
    # "my dad, with Wuhan employee medical insurance": the scheme someone is in
    r"|\b(?:covered by|enrolled in|with (?:wuhan|his|her|my|our)) (?P<insured>(?:[a-z]+ ){0,2}?(?:medical|health) insurance)\b"
    # "有公积金贷款", "公积金贷款还没还完": a loan the citizen has, or is still repaying
    rf"|(?<![要需能可没])有(?P<loan_held>[^{_BREAK}]{{0,4}}?贷款)(?![吗么])"
    rf"|(?P<owing>[^{_BREAK}]{{0,6}}?贷款)(?:还没|没|未)(?:还完|还清)"
    # "租房合同没有去备案", "my landlord won't do lease filing": a filing the citizen lacks or is refused
    rf"|(?P<unfiled>(?:合同|租房|房子)[^{_BREAK}]{{0,4}}?(?:没有?|还没|未)去?备案)"
    r"|\b(?:(?:do|does|wo) ?n[o' ]?t|refuses? to|reluctant to|unwilling to)(?: want)?(?: to)? "
    r"(?:do|file|sign|give|provide)(?: the| a| any)? (?P<refused>(?:[a-z]+ ){0,2}?(?:filing|registration|invoice|fapiao))\b"
    # "需不需要把租房合同去备案": whether a filing is needed, asked about
    rf"|(?:要不要|需不需要|用不用|是不是要|是否要)(?:先)?把?(?P<filing_needed>[^{_BREAK}]{{1,8}}?)(?:去|拿去)?备案"
    # "钱是打到社保卡上吗": the card money is paid into
    rf"|打到(?P<paid_into>[^{_BREAK}]{{0,6}}?卡)"
    # "at the marriage registration office": where, not what
    r"|\b(?:at|to|from) the (?P<office>(?:[a-z-]+ ){1,3}?(?:office|bureau|registry|centre|center|hall))\b"
    # "我妈是武汉城乡居民医保", "交的是居民医保": the scheme someone is in
    rf"|(?:是|参加的是|交的是|买的是|参保的是)(?P<scheme>[^{_BREAK}]{{0,6}}?(?:医保|社保))(?=[{_BREAK}]|$)"
    # "can I use my passport instead of an ID card", "a translated marriage certificate",
    # "which documents need to be notarised": papers for the request
    rf"|\b(?:use|bring|show|provide|submit|translated|certified) (?:my |our |his |her |a |an |the )?"
    rf"(?P<papers>(?:[a-z]+ ){{0,3}}?{_PAPER}(?: instead of (?:my |our |a |an |the )?(?:[a-z]+ ){{0,2}}?{_PAPER})?)\b"
    r"|\b(?P<required>documents?|papers?)(?: [a-z]+){0,3}? to be (?:notari[sz]ed|translated|legali[sz]ed|apostilled)\b"
    # "does my passport need notarization/apostille", "a notarized passport" (not "a notarised copy of my degree")
    rf"|\bnotari[sz]ed (?P<notarised>{_PAPER})\b"
    rf"|\b(?P<to_notarise>(?:[a-z]+ ){{0,2}}?{_PAPER}) (?:needs?|requires?) (?:to be |an? )?"
    r"(?:notari[sz](?:ation|ed)|translat(?:ion|ed)|apostille|legali[sz](?:ation|ed))"
    # "出生证明要原件吗", "do I need my passport", "like our marriage certificate"
    rf"|(?P<copy>[^{_BREAK}]{{1,8}}?{_DOCUMENT})(?:要|需要|得)(?:原件|复印件)"
    rf"|\b(?:need (?:my|our|his|her|the original)|like (?:my|our|his|her|the)) (?P<own>(?:[a-z]+ ){{0,3}}?{_PAPER}"
    rf"(?: and (?:my |our |the |the original )?(?:[a-z]+ ){{0,2}}?{_PAPER})?)\b"
    # "my passport with a translation", "does my residence permit need to be valid", "my visa expires in March"
    rf"|\b(?P<translation>(?:[a-z]+ ){{0,2}}?{_PAPER}) with (?:a |an )?(?:certified )?translation\b"
    r"|\b(?:my|our|his|her) (?P<status>(?:[a-z]+[ -]){0,2}?(?:permit|visa)) (?:needs?|has|have|must|expires?|runs out|is (?:still )?valid)\b"
    # "which documents to bring - passport, work permit, residence permit, photo?": the list is documents
    r"|\b(?:documents?|papers?|materials?)(?: do (?:i|we) need)? to (?:bring|prepare|submit|provide)\b(?P<to_bring>[^.?!]*)"
    # "do I need the lease to be registered", "does she need a residence permit?": whether it is needed
    r"|(?:(?<=do i )|(?<=do we )|(?<=do you )|(?<=do they )|(?<=does she )|(?<=does he ))(?:also |still |first )?need "
    r"(?:to (?:see|have|bring|show) )?(?:a |an |the |my |our |her |his )?"
    rf"(?P<needed_en>(?:[a-z]+ ){{0,2}}?(?:{_PAPER_NAMES}|lease|registration|filing)"
    rf"(?: (?:and|or) (?:a |an |the |my |our |her |his |the original )?(?:[a-z]+ ){{0,2}}?{_PAPER})*)\b"
    r"(?! to (?!be\b))",  # "do I still need a birth permit to have a baby" asks about the permit
    re.IGNORECASE)


# Papers that someone said the citizen needs when 说 comes just before (学校说要提供居住证): the request.
_SAID_TO_NEED = ("documents", "needed", "needed_as_asked")


def _blank_documents(found: re.Match) -> str:
    """要带出生证 -> 〇〇〇〇〇; 要带什么 names no document and stays, and so does a paper someone said the
    citizen needs (学校说要提供居住证: see _REQUIRED)."""
    documents = next(part for part in found.groups() if part is not None)
    before = found.string[max(0, found.start() - _REQUIRED_REACH):found.start()]
    said_needed = any(found.group(name) for name in _SAID_TO_NEED)
    if said_needed and "说" in before and not _PUNCTUATION.search(before[before.rindex("说"):]):
        return found.group()
    return PLACEHOLDER * len(found.group()) if _distinctive(_strip_fillers(documents)).strip() else found.group()


def _without_documents(text: str) -> str:
    """The text with the documents it asks whether to bring (and the conditions of its request) blanked,
    when something else is left to name the service (给小孩报户口要带出生证吗 names 报户口, not 出生证;
    要带出生证吗 alone still names it).
    Blanked, not cut: words either side stay as far apart as they were (离婚要带什么材料，证件丢了 is not
    离婚证丢了)."""
    rest = _DOCUMENTS_AND_CONDITIONS.sub(_blank_documents, text)
    return rest if _distinctive(compact(_strip_fillers(normalize(rest))).replace(PLACEHOLDER, "")) else text


def _strip_fillers(normalized: str) -> str:
    return _FILLER_PATTERN.sub(" ", normalized)


def _chinese_phrase_score(phrase: _Phrase, question: str, question_raw: str, core: str) -> float:
    """How well a Chinese phrase occurs in the question (both as phonetic keys), 0-100.

    Exact occurrence scores 100; the phrase's characters in order with a short gap
    ("二手房…过户") score a little less; a question that is only part of the phrase scores the
    share it covers, which makes one-word questions ambiguous rather than answered. A match by
    sound alone (身分证 for 身份证) counts only when most of the phrase's distinctive characters
    are written right: 施工证 is not 公证.
    """
    text = phrase.text
    if not question or not phrase.distinctive:
        return 0.0  # 办证, 登记: such words never decide
    if text in question:
        # A neighbour's two-character name is too short to trust by sound alone (增加 sounds like 增驾);
        # a service's (低宝 for 低保) is what citizens miswrite.
        short_neighbour = len(phrase.raw) <= 2 and phrase.service_id.startswith(MATTER_PREFIX)
        sounds_right = not short_neighbour and _written_right(phrase, question_raw)
        return 100.0 if phrase.raw in question_raw or sounds_right else 0.0
    length = len(text)
    if 2 <= len(core) < length and core in text:
        return _fragment_score(len(core), length)
    common = LCSseq.similarity(text, question, score_cutoff=max(length - _allowed_misses(length), 2))
    if not common or not _written_right(phrase, question_raw):
        return 0.0
    # The phrase's characters in order, perhaps one or two missing, with something in between: each
    # missing character and each character of gap beyond a few cost a share of the score.
    blocks = [op for op in LCSseq.opcodes(text, question) if op.tag == "equal"]
    span = blocks[-1].dest_end - blocks[0].dest_start
    return 95.0 * (common / length) * min(1.0, (common + min(4, length - 1)) / span)


# Said right after a name: the citizen already has it (出生证明已经拿到了, 营业执照都办下来了).
# The rest of the name may follow (出生证 of 出生证明).
_HAD = re.compile(r"[^\s，。,.!?！？]{0,2}?(?:[和跟及、][^\s，。,.!?！？]{1,6}?)?"
                  r"(?:上个?(?:礼拜|星期|月|周)|昨天|前天|前几天|去年|上周)?(?:也|都|早就?)?(?:已经|已)?(?:在[^\s，。,.!?！？]{1,4}?)?"
                  r"(?:拿到|领到|办好|办完|办下来|办过|有了|领了|拿了|下来了|批下来|给了|开了|发了|没了|在享受|享受了|还在|在家|是?有的)")


# Said right before a name: the citizen does not want it (不用开公司那么麻烦, 不想弄公司).
_NOT_WANTED = re.compile(r"(?:(?<![要需用想])(?:不用|不想|不要|不必|不打算|没必要|不需要|不愿意|不肯)(?:给|帮|去)?"
                         r"(?:开|弄|办|搞|注册)?|不给开?)(?:个|一个|一家)?$")  # 不给开发票, not 不给办身份证
_NOT_WANTED_REACH = 8  # characters: its longest match, so only that much before a name is searched


# Said right after a name, it makes the name an attribute: 公司注册地址 is an address, not a registration.
_ATTRIBUTE = re.compile(r"地址|资本|资金|日期|时间|家庭|对象")


_GENERIC_END = re.compile(r"(?:办理|申请|手续|登记)$")


def _not_asked(raw: str, text: str) -> bool:
    """The name occurs only as something the citizen already has, does not want, or as an attribute of
    something. A name found with a gap (孩子…出生证明) is judged by its last two characters (证明已经拿到).
    The text keeps its clause breaks: in "股东变更、地址变更" the 地址 is not the change's."""
    core = _GENERIC_END.sub("", raw)  # 个体户营业执照办理 is judged by 执照
    for name in (raw, core[-2:]):
        at = text.find(name)
        if at >= 0:
            return _had_or_unwanted(text, at, at + len(name))
    # Neither occurs whole (出生…证 in 出生医学证明已经拿到): judge where its characters, in order, end.
    at = text.find(raw[0])
    end = at
    for char in raw[1:]:
        end = text.find(char, end + 1) if end >= 0 else -1
    return end >= 0 and _had_or_unwanted(text, at, end + 1)


def _had_or_unwanted(text: str, at: int, end: int) -> bool:
    return bool(_HAD.match(text, end) or _ATTRIBUTE.match(text, end)
                or _NOT_WANTED.search(text, max(0, at - _NOT_WANTED_REACH), at))


def _occurs_whole(phrase: _Phrase, question: str) -> bool:
    """Every character of a Chinese phrase in the question, in order: 办个残疾证 does not exclude
    by 补办残疾证, whose 补 is the whole point."""
    return not phrase.cjk or LCSseq.similarity(phrase.text, question) == len(phrase.text)


def _distinctive(raw: str) -> str:
    """The characters of a phrase that name something, without 证, 登记, 办理 and the like."""
    return "".join(ch for ch in raw if ch not in GENERIC_CHARACTERS)


def _written_right(phrase: _Phrase, question_raw: str) -> bool:
    """At least two distinctive characters, and at least half of them as written in the question; and
    无, 没, 不, 补 ... exactly as written: 无房提取 is not 有房提取."""
    right = sum(ch in question_raw for ch in phrase.distinctive)
    meaning_kept = all(ch in question_raw for ch in phrase.meaning)
    return len(phrase.distinctive) >= 2 and 2 * right >= len(phrase.distinctive) and meaning_kept


def _english_phrase_score(phrase_words: tuple[str, ...], question_words: list[str], word_matches: dict[str, float],
                          rarest: str, fragments: bool = True) -> float:
    if not question_words:
        return 0.0
    if fragments and len(question_words) < len(phrase_words) and set(question_words) <= set(phrase_words):
        return _fragment_score(len(question_words), len(phrase_words))
    if rarest not in word_matches:
        return 0.0  # "medical check" is not a "premarital medical check"
    # Question words the phrase does not explain are weighed by the coverage score.
    return 100.0 * sum(word_matches.get(word, 0.0) for word in phrase_words) / len(phrase_words)


def _allowed_misses(length: int) -> int:
    """Characters of a Chinese phrase that may be missing or wrong and still count as a match."""
    return 0 if length <= 4 else 1 if length <= 8 else 2


def _fragment_score(part: int, whole: int) -> float:
    """A short question that is part of a name ("户口" of "新生儿户口登记"): strong enough to
    answer when only one service has such a name, and to clarify when several do."""
    return 70.0 + 30.0 * part / whole


def _word_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if min(len(a), len(b)) < 5 or a[0] != b[0]:
        return 0.0  # short words with a typo, or a different start (de-registration), are other words
    ratio = fuzz.ratio(a, b)
    return ratio / 100.0 if ratio >= 85 else 0.0
