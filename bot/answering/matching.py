"""Question -> Decision: answer one service, clarify between 2-4, or escalate to staff.

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
the matcher clarifies instead of guessing.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.answering.text import compact, english_words, is_cjk, normalize, phonetic, units
from bot.config import Thresholds
from bot.knowledge.model import KnowledgeBase

ANSWER, CLARIFY, ESCALATE = "answer", "clarify", "escalate"
STRONG_PHRASE = 90.0  # a phrase that occurs whole (or nearly) in the question
EVENT_PREFIX = "event:"  # events are scored alongside services under this prefix

# Words that say how someone asks, not what they ask about. Removed before coverage scoring.
CHINESE_FILLERS = sorted(
    """请问 你好 您好 麻烦 问一下 咨询 一下 我想 我要 想要 想问 打算 准备 需要 要带 带什么 带啥 什么 哪些 啥 哪里 哪儿 在哪 去哪
    怎么办 怎么 怎样 如何 咋办 咋 能不能 可不可以 可以 能否 是否 有没有 流程 手续 材料 资料 办理 办 弄 搞 申请 多久 多长时间
    多少钱 费用 收费 吗 呢 啊 吧 呀 了 的 得 地 我 你 他 她 们 谢谢 一个 一下子 现在 已经 还 就 都 也 和 跟 给 让 被 要 想 该
    去 到 在 是 有 没 不 会 能 这 那 个 么""".split(),
    key=len,
    reverse=True,
)
_FILLER_PATTERN = re.compile("|".join(map(re.escape, CHINESE_FILLERS)))


@dataclass(frozen=True)
class Candidate:
    service_id: str
    score: float


@dataclass(frozen=True)
class Decision:
    action: str
    service_id: str | None = None
    options: tuple[str, ...] = ()
    score: float = 0.0
    candidates: tuple[Candidate, ...] = field(default=(), compare=False)
    event_id: str | None = None  # a life event: the options are its services, answered as one bundle

    def as_dict(self) -> dict:
        result = {"action": self.action, "service": self.service_id, "options": list(self.options),
                  "score": round(self.score, 1)}
        if self.event_id:
            result["event"] = self.event_id
        return result


@dataclass(frozen=True)
class _Phrase:
    service_id: str
    excludes: bool  # a matter the service does not cover
    text: str  # compact normalized Chinese, or normalized English
    words: tuple[str, ...]  # English content words; empty for Chinese phrases
    cjk: bool


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
        total = max(len(knowledge.services), 1)
        self._idf = {u: math.log((total + 1) / df) for u, df in document_frequency.items()}
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
        # What a phrase must share with the question to score at all (see _chinese_phrase_score):
        # all its distinct characters but the misses allowed; an English phrase, half its words.
        self._needed = np.array([max(1, len(set(p.text)) - _allowed_misses(len(p.text))) if p.cjk
                                 else (len(p.words) + 1) // 2 for p in self._phrases], dtype=np.int32)
        # A fragment question ("户口", "business licence") shares all of itself with the phrase instead.
        self._chinese_fragment = np.array([p.cjk and not p.excludes for p in self._phrases])
        self._english_fragment = np.array([not p.cjk and not p.excludes for p in self._phrases])
        self._targets = list(self._vocabulary)
        position = {target: i for i, target in enumerate(self._targets)}
        by_unit: dict[str, list[int]] = defaultdict(list)
        for target, vocabulary in self._vocabulary.items():
            for unit in vocabulary:
                by_unit[unit].append(position[target])
        self._targets_by_unit = {u: np.array(v, dtype=np.int32) for u, v in by_unit.items()}

    def _candidate_phrases(self, question_compact: str, core: str, question_words: list[str],
                           word_matches: dict[str, float]) -> list[_Phrase]:
        counts = np.zeros(len(self._phrases), dtype=np.int32)
        for char in set(question_compact):
            postings = self._phrases_by_char.get(char)
            if postings is not None:
                counts[postings] += 1
        for known in word_matches:
            counts[self._phrases_by_word[known]] += 1
        needed = self._needed
        if len(core) >= 2:
            needed = np.where(self._chinese_fragment, np.minimum(needed, len(set(core))), needed)
        if question_words:
            needed = np.where(self._english_fragment, np.minimum(needed, len(set(question_words))), needed)
        return [self._phrases[i] for i in np.nonzero(counts >= needed)[0]]

    def _word_matches(self, question_words: list[str]) -> dict[str, float]:
        """Each known English word that a question word equals (1.0) or is a typo of (less)."""
        matches: dict[str, float] = {}
        for word in set(question_words):
            for known in self._similar_words(word):
                matches[known] = max(matches.get(known, 0.0), _word_similarity(known, word))
        return matches

    def _similar_words(self, word: str) -> list[str]:
        """English phrase words equal to a question word, or close enough to be a typo of it."""
        exact = [word] if word in self._phrases_by_word else []
        if len(word) < 5:
            return exact
        return exact + [known for known, _, _ in process.extract(word, self._english_words, scorer=fuzz.ratio,
                                                                  score_cutoff=85, limit=10)
                        if known != word and _word_similarity(known, word)]

    def _add_vocabulary(self, target: str, texts, document_frequency: Counter) -> None:
        vocabulary = set()
        for text in texts:
            vocabulary.update(units(_strip_fillers(normalize(text))))
        self._vocabulary[target] = vocabulary
        document_frequency.update(vocabulary)

    def _add_phrase(self, service_id: str, raw: str, excludes: bool = False) -> None:
        text = normalize(raw)
        if not text:
            return
        if is_cjk(text):
            self._phrases.append(_Phrase(service_id, excludes, phonetic(compact(text)), (), True))
        else:
            words = tuple(english_words(text))
            if words:
                self._phrases.append(_Phrase(service_id, excludes, text, words, False))

    # -- scoring -----------------------------------------------------------------------

    def scores(self, question: str, signals: dict | None = None) -> dict[str, float]:
        """Score every service 0-100 for a question; services that share nothing are left out.

        When the question names a matter that a service explicitly excludes (结婚证补领), that
        service drops out, and every other service without a strong name match is capped below
        the answer threshold: the question is probably about something the knowledge base does
        not cover, so at most it is offered as a choice.
        """
        signals = self.signals(question) if signals is None else signals
        if not any(excluded for _, _, excluded in signals.values()):
            return {sid: combine(p, c) for sid, (p, c, _) in signals.items()}
        cap = self.thresholds.answer - 1
        return {sid: combine(p, c) if p >= STRONG_PHRASE else min(combine(p, c), cap)
                for sid, (p, c, excluded) in signals.items() if not excluded}

    def signals(self, question: str) -> dict[str, tuple[float, float, bool]]:
        """(phrase score, coverage score, excluded) per service, for scoring and explaining."""
        normalized = normalize(question)
        if not normalized:
            return {}
        phrase: dict[str, float] = {}
        excluded: set[str] = set()
        question_compact = phonetic(compact(normalized))
        # Without the asking words, so that "户口怎么弄" counts as the fragment "户口".
        question_core = phonetic(compact(_strip_fillers(normalized)))
        question_words = english_words(normalized)
        word_matches = self._word_matches(question_words)
        for p in self._candidate_phrases(question_compact, question_core, question_words, word_matches):
            # An exclusion must occur whole: being a fragment of one says nothing.
            if p.cjk:
                score = _chinese_phrase_score(p.text, question_compact, "" if p.excludes else question_core)
            else:
                score = _english_phrase_score(p.words, question_words, word_matches, fragments=not p.excludes)
            if p.excludes:
                if score >= STRONG_PHRASE:
                    excluded.add(p.service_id)
                continue
            if score > phrase.get(p.service_id, 0.0):
                phrase[p.service_id] = score
        coverage = self._coverage(normalized)
        return {sid: (phrase.get(sid, 0.0), coverage.get(sid, 0.0), sid in excluded)
                for sid in phrase.keys() | coverage.keys() | excluded}

    def _coverage(self, normalized: str) -> dict[str, float]:
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
        mass = max(mass, self._minimum_mass)
        if not known:
            return {}
        explained = np.zeros(len(self._targets))
        for unit in known:
            explained[self._targets_by_unit[unit]] += self._idf[unit]
        return {self._targets[i]: 100.0 * explained[i] / mass for i in np.nonzero(explained)[0]}

    def decide(self, question: str) -> Decision:
        """Turn a question into answer, clarify or escalate.

        A life event ("孩子出生了要办哪些手续") wins when it scores better than every single
        service, unless the question names a service outright ("孩子出生了怎么上户口") and does
        not ask for everything. It comes back as a clarification whose options are the event's
        services, with event_id set so channels can send the merged checklist.
        """
        signals = self.signals(question)
        scores = self.scores(question, signals)
        services = {k: v for k, v in scores.items() if not k.startswith(EVENT_PREFIX)}
        decision = self._decide_services(services)
        events = sorted(((v, k[len(EVENT_PREFIX):]) for k, v in scores.items() if k.startswith(EVENT_PREFIX)),
                        reverse=True)
        if not events:
            return decision
        best, event_id = events[0]
        best_service = max(services, key=services.get, default=None)
        named = best_service is not None and signals[best_service][0] >= STRONG_PHRASE
        if best >= self.thresholds.answer and best > services.get(best_service, 0.0) and \
                (not named or _asks_for_everything(question)):
            event = self.knowledge.events[event_id]
            return Decision(CLARIFY, None, event.service_ids[: self.thresholds.max_options], best,
                            decision.candidates, event_id=event_id)
        return decision

    def _decide_services(self, scores: dict[str, float]) -> Decision:
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        candidates = tuple(Candidate(s, round(v, 1)) for s, v in ranked[:5])
        if not ranked:
            return Decision(ESCALATE, candidates=candidates)
        t = self.thresholds
        best_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best >= t.answer and best - runner_up >= t.margin:
            return Decision(ANSWER, best_id, score=best, candidates=candidates)
        if best < t.clarify:
            return Decision(ESCALATE, None, (), best, candidates)
        options = tuple(s for s, v in ranked[: t.max_options] if v >= best - t.clarify_band)
        if len(options) >= 2:
            return Decision(CLARIFY, None, options, best, candidates)
        return Decision(ESCALATE, None, (), best, candidates)


_EVERYTHING = re.compile(
    r"哪些手续|哪些证|哪些事|要办什么|要办啥|都要办|要办哪些|办哪些|什么手续|啥手续|一件事|所有手续|全部手续|跑哪些|"
    r"what do (?:i|we) (?:need|have) to do|what paperwork|what should (?:i|we) do|what licen[cs]es|everything")


def _asks_for_everything(question: str) -> bool:
    """'What do I need to do' rather than 'how do I do X': the citizen wants the whole bundle."""
    return bool(_EVERYTHING.search(normalize(question)))


def combine(phrase: float, coverage: float) -> float:
    """One 0-100 score: a name or alias in the question is the strongest evidence, and coverage
    separates services that match the same words; coverage alone counts for less."""
    return 0.8 * max(phrase, coverage) + 0.2 * min(phrase, coverage)


def _strip_fillers(normalized: str) -> str:
    return _FILLER_PATTERN.sub(" ", normalized)


def _chinese_phrase_score(phrase: str, question: str, core: str) -> float:
    """How well a Chinese phrase occurs in the question (both as phonetic keys), 0-100.

    Exact occurrence scores 100; the phrase's characters in order with a short gap
    ("二手房…过户") score a little less; a question that is only part of the phrase scores the
    share it covers, which makes one-word questions ambiguous rather than answered.
    """
    if not question:
        return 0.0
    if phrase in question:
        return 100.0
    length = len(phrase)
    if 2 <= len(core) < length and core in phrase:
        return _fragment_score(len(core), length)
    common = LCSseq.similarity(phrase, question, score_cutoff=max(length - _allowed_misses(length), 2))
    if not common:
        return 0.0
    if common >= length:
        # All characters in order, with something in between: measure how far apart they are.
        blocks = [op for op in LCSseq.opcodes(phrase, question) if op.tag == "equal"]
        span = blocks[-1].dest_end - blocks[0].dest_start
        return 95.0 * min(1.0, (length + 4) / span)
    if len(question) < length:
        return 0.0
    return 100.0 * fuzz.partial_ratio(phrase, question, score_cutoff=75) / 100.0


def _english_phrase_score(phrase_words: tuple[str, ...], question_words: list[str], word_matches: dict[str, float],
                          fragments: bool = True) -> float:
    if not question_words:
        return 0.0
    if fragments and len(question_words) < len(phrase_words) and set(question_words) <= set(phrase_words):
        return _fragment_score(len(question_words), len(phrase_words))
    # Question words the phrase does not explain are weighed by the coverage score.
    return 100.0 * sum(word_matches.get(word, 0.0) for word in phrase_words) / len(phrase_words)


def _allowed_misses(length: int) -> int:
    """Characters of a Chinese phrase that may be missing or wrong and still count as a match."""
    return 0 if length <= 3 else 1 if length <= 6 else 2


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
