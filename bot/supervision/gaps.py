"""Gaps in the knowledge base: questions the assistant could not answer, grouped, with suggestions.

A gap question is one that went to staff (action escalate) or whose answer the citizen did not
accept (feedback 'ask_person'). Similar questions are grouped by single-link clustering on
rapidfuzz's token_set_ratio over their content units (Chinese bigrams, English words, asking
words removed). Each group gets the service it is nearest to, the group's distinctive words as
candidate aliases, and its most typical question as a candidate example question.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy
from rapidfuzz import fuzz, process

from bot.answering.matching import CHINESE_FILLERS, EVENT_PREFIX, Matcher
from bot.answering.text import compact, is_cjk, normalize, units
from bot.records.ledger import Ledger
from bot.records.rows import Inquiry
from bot.records.workdays import local_moments
from bot.supervision.report import PURGE_MARKER, markdown_escape

SIMILARITY_THRESHOLD = 70.0  # token_set_ratio at which two questions are "the same gap"
MAX_EXAMPLES = 5
MAX_ALIASES = 5


@dataclass(frozen=True)
class GapQuestion:
    inquiry_id: int
    text: str
    reason: str  # "escalate", "refer" or "ask_person"
    matter_id: str | None = None  # the catalogue matter a referred question was sent to


@dataclass(frozen=True)
class Gap:
    questions: tuple[GapQuestion, ...]
    service_id: str | None  # the nearest service, None when no service shares anything with the group
    service_name: str
    score: float  # the group's mean score for that service, 0-100
    near: bool  # score at or above the matcher's clarify threshold
    answered: bool  # score at or above the answer threshold: the assistant answers these with that service
    source_file: str | None  # where to add the suggestions
    alias_candidates: tuple[str, ...]
    example_candidate: str

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def examples(self) -> tuple[str, ...]:
        return tuple(q.text for q in self.questions[:MAX_EXAMPLES])


# -- which questions ------------------------------------------------------------------------------


def gap_questions(ledger: Ledger, since: dt.datetime, until: dt.datetime | None = None) -> list[GapQuestion]:
    """Escalated questions and answers marked 'ask a person', once per citizen and question."""
    until = until or ledger.now()
    found: list[GapQuestion] = []
    seen: set[tuple[str, str]] = set()

    def add(row: Inquiry | None, reason: str) -> None:
        if row is None or not row.text or row.text == PURGE_MARKER or row.at > until:
            return
        key = (row.user_id, normalize(row.text))
        if key not in seen:  # asking a person after an answer records the question twice
            seen.add(key)
            found.append(GapQuestion(row.id, row.text, reason, row.matter_id))

    # 'ask a person' first: that question was answered, and the escalation that followed repeats it.
    for feedback in ledger.feedback_since(since):
        if feedback.value == "ask_person" and feedback.at <= until:
            add(ledger.inquiry(feedback.inquiry_id), "ask_person")
    for row in ledger.inquiries_since(since, actions=("escalate", "refer")):
        add(row, row.action)
    return sorted(found, key=lambda q: q.inquiry_id)


# -- grouping -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _fillers() -> re.Pattern:
    return re.compile("|".join(map(re.escape, CHINESE_FILLERS)))


def content_units(text: str) -> list[str]:
    """What a question is about: Chinese bigrams and English words, asking words removed."""
    return units(_fillers().sub(" ", normalize(text)))


def _key(text: str) -> str:
    found = content_units(text)
    # A lone character left between asking words ("办理" -> "理") says little; keep it only when it is all.
    words = [unit for unit in found if not (is_cjk(unit) and len(unit) < 2)] or found
    return " ".join(words) or normalize(text)


def cluster(texts: list[str], threshold: float = SIMILARITY_THRESHOLD) -> list[list[int]]:
    """Single-link groups of indexes: two texts scoring at least `threshold` share a group."""
    keys = [_key(text) for text in texts]
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if texts:
        matrix = process.cdist(keys, keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold, dtype=numpy.uint8,
                               workers=-1)
        for i, j in zip(*matrix.nonzero(), strict=False):
            if i < j and keys[i] and keys[j]:
                parent[root(int(j))] = root(int(i))
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def typical(texts: list[str]) -> str:
    """The question most like all the others (ties: the shorter, then the first)."""
    keys = [_key(text) for text in texts]
    totals = process.cdist(keys, keys, scorer=fuzz.token_set_ratio).sum(axis=1)
    best = max(range(len(texts)), key=lambda i: (totals[i], -len(texts[i]), -i))
    return texts[best]


def _phrases(text: str, longest: int = 8) -> set[str]:
    """Every Chinese substring (2 to `longest` characters) of a question's content, and its English words."""
    stripped = _fillers().sub(" ", normalize(text))
    found = {unit for unit in units(stripped) if not is_cjk(unit)}
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}", stripped):
        found.update(run[i:j] for i in range(len(run)) for j in range(i + 2, min(len(run), i + longest) + 1))
    return found


def distinctive_words(texts: list[str], known: list[str], limit: int = MAX_ALIASES) -> list[str]:
    """Chinese phrases and English words that recur in the group and that no phrase in `known` contains.

    A phrase is kept only if no longer kept phrase occurs as often (so 今天天气, not 今天 and 天气)."""
    counts = Counter(phrase for text in texts for phrase in _phrases(text))
    least = 2 if len(texts) > 1 else 1
    kept = {phrase: count for phrase, count in counts.items()
            if count >= least and not any(phrase in name for name in known)}
    maximal = [phrase for phrase, count in kept.items()
               if not any(phrase != other and phrase in other and kept[other] == count for other in kept)]
    return sorted(maximal, key=lambda phrase: (-kept[phrase], -len(phrase), phrase))[:limit]


# -- suggestions ----------------------------------------------------------------------------------


def _nearest(matcher: Matcher, texts: list[str]) -> tuple[str | None, float]:
    totals: Counter[str] = Counter()
    for text in texts:
        for service_id, score in matcher.scores(text).items():
            if not service_id.startswith(EVENT_PREFIX):
                totals[service_id] += score
    if not totals:
        return None, 0.0
    service_id, total = max(totals.items(), key=lambda item: (item[1], item[0]))
    return service_id, total / len(texts)


def _known_phrases(matcher: Matcher, service_id: str | None) -> list[str]:
    """A service's names and aliases, normalized, with Chinese spaces removed."""
    service = matcher.knowledge.services.get(service_id) if service_id else None
    if service is None:
        return []
    names = [service.name.zh, service.name.en or "", *service.aliases]
    return [compact(normalize(name)) if is_cjk(name) else normalize(name) for name in names]


def _relative(path: str, knowledge_dir: Path) -> str:
    try:
        return str(Path(path).relative_to(knowledge_dir.parent))
    except ValueError:
        return path


def find_gaps(ledger: Ledger, matcher: Matcher, since: dt.datetime, until: dt.datetime | None = None,
              threshold: float = SIMILARITY_THRESHOLD) -> list[Gap]:
    """Group the gap questions of a window, largest groups first, each with suggestions."""
    questions = gap_questions(ledger, since, until)
    gaps = []
    for indexes in cluster([q.text for q in questions], threshold):
        members = [questions[i] for i in indexes]
        texts = [q.text for q in members]
        service_id, score = _nearest(matcher, texts)
        service = matcher.knowledge.services.get(service_id) if service_id else None
        gaps.append(Gap(
            questions=tuple(members), service_id=service_id,
            service_name=service.name.zh if service else "", score=score,
            near=service is not None and score >= matcher.thresholds.clarify,
            answered=service is not None and score >= matcher.thresholds.answer,
            source_file=_relative(service.source_file, matcher.knowledge.directory) if service else None,
            alias_candidates=tuple(distinctive_words(texts, _known_phrases(matcher, service_id))),
            example_candidate=typical(texts)))
    return gaps


# -- formatting -----------------------------------------------------------------------------------

NOT_CLOSE = "no service is close: consider a new service or an `excludes` entry"
REASONS = {"escalate": "转人工 escalated", "ask_person": "找人工 asked for a person after an answer",
           "refer": "转办 referred to a matter with no checklist yet"}


def _finding(gap: Gap, clean=str) -> str:
    if not gap.near:
        return NOT_CLOSE
    where = clean(gap.source_file or gap.service_id)
    if gap.answered:
        return (f"the assistant answers these with this service, yet citizens asked for a person: "
                f"review the checklist in {where}")
    return f"close to this service but not answered: add the aliases and the example question to {where}"


def _gap_fields(gap: Gap, clean=str) -> list[tuple[str, str]]:
    """The findings of a group; `clean` is applied to what admins and citizens wrote (names, questions)."""
    nearest = f"{clean(gap.service_id)} {clean(gap.service_name)} (score {gap.score:.0f})" if gap.service_id else "-"
    return [("最近的事项 Nearest service", nearest), ("判断 Finding", _finding(gap, clean)),
            ("候选别名 Candidate aliases", ", ".join(map(clean, gap.alias_candidates)) or "-"),
            ("候选示例问题 Candidate example question", clean(gap.example_candidate))]


def _gap_lines(number: int, gap: Gap, markdown: bool) -> list[str]:
    reasons = Counter(q.reason for q in gap.questions)
    why = "; ".join(f"{count} {REASONS.get(reason, reason)}" for reason, count in sorted(reasons.items()))
    title = f"{number}. {gap.count} 个问题 questions ({why})"
    if markdown:  # citizens' questions and admins' names are shown as text, never as Markdown or HTML
        return [f"## {title}", "", "例 Examples:", "", *(f"- {markdown_escape(text)}" for text in gap.examples), "",
                *(f"- **{label}**: {value}" for label, value in _gap_fields(gap, markdown_escape))]
    return [title, "   例 Examples:", *(f"     - {text}" for text in gap.examples),
            *(f"   {label}: {value}" for label, value in _gap_fields(gap))]


def format_gaps(gaps: list[Gap], since: dt.datetime, until: dt.datetime, timezone: ZoneInfo,
                markdown: bool = False) -> str:
    total = sum(gap.count for gap in gaps)
    window = local_moments(timezone, since, until)
    title = "知识库缺口 Knowledge gaps"
    lines = [f"# {title}" if markdown else title, "",
             f"{total} 个问题 questions in {len(gaps)} 组 groups, {window}"]
    if not gaps:
        lines.append("没有转人工或找人工的问题 No escalated or 'ask a person' questions in this window.")
    referred = Counter(q.matter_id for gap in gaps for q in gap.questions if q.matter_id)
    if referred:
        heading = "转办最多的事项（暂无清单，可优先编写）Most referred matters: checklists to write next"
        lines += ["", f"## {heading}" if markdown else heading, ""]
        lines += [f"{'- ' if markdown else '  '}{matter}: {count}" for matter, count in referred.most_common()]
    for number, gap in enumerate(gaps, start=1):
        lines += ["", *_gap_lines(number, gap, markdown)]
    return "\n".join(lines) + "\n"
