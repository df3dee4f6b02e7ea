"""The answering path shared by every channel: question -> decision -> reply -> record -> case.

Channels (console chat, the `ask` command, Telegram handlers) call Assistant.ask() and only
add their own presentation (buttons, prompts). Nothing here imports telegram.
"""

from __future__ import annotations

import datetime as dt
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, Decision, Matcher
from bot.answering.messages import message
from bot.answering.reloading import ReloadLimits, check_in_child
from bot.answering.render import HTML, render_checklist, render_clarify, render_event
from bot.answering.text import detect_language
from bot.config import Config, Thresholds
from bot.knowledge.loading import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.records.cases import add_business_hours, local_time
from bot.records.ledger import Ledger
from bot.records.rows import Inquiry

CHOSEN = "chosen"  # the citizen picked the service (from a clarification, a list or a tailoring flow)
PROMPT = "prompt"  # empty or unusable text: the citizen is asked to describe their need
RATE_LIMITED = "rate_limited"  # sent faster than the flood limit allows: recorded, not answered
MAX_QUESTION_CHARS = 4096


@dataclass(frozen=True)
class Snapshot:
    """One knowledge-base version and the matcher built on it. A question uses one snapshot."""

    knowledge: KnowledgeBase
    matcher: Matcher


class KnowledgeStore:
    """Holds the live snapshot. Replacing it is one assignment, so readers never see a mix."""

    def __init__(self, directory: str | Path, thresholds: Thresholds | None = None,
                 limits: ReloadLimits | None = None):
        self.directory = Path(directory)
        self.thresholds = thresholds or Thresholds()
        self.limits = limits or ReloadLimits()
        self._lock = threading.Lock()
        self._reloading = threading.Lock()  # one reload at a time (/reload and the watcher)
        self.current = self.build(load_knowledge(self.directory))

    def build(self, knowledge: KnowledgeBase) -> Snapshot:
        return Snapshot(knowledge, Matcher(knowledge, self.thresholds))

    def swap(self, snapshot: Snapshot) -> Snapshot:
        with self._lock:
            previous, self.current = self.current, snapshot
        return previous

    def reload(self) -> ReloadResult:
        """Load and validate the directory again, in a child process within the limits (blocking: call it in a
        thread); swap it in only if it has no errors."""
        from bot.knowledge.diff import diff_knowledge

        with self._reloading:
            checked = check_in_child(self.directory, self.thresholds, self.limits)
        if not checked.loaded:
            return ReloadResult(False, checked.problems, None)  # the old version keeps serving
        snapshot = Snapshot(checked.knowledge, checked.matcher)
        previous = self.swap(snapshot)
        return ReloadResult(True, checked.problems, diff_knowledge(previous.knowledge, snapshot.knowledge))


@dataclass(frozen=True)
class ReloadResult:
    loaded: bool
    problems: list  # errors when not loaded, warnings when loaded
    diff: object | None


@dataclass(frozen=True)
class Reply:
    decision: Decision
    language: str
    messages: tuple[str, ...]
    inquiry_id: int
    case_id: int | None
    kb_version: str
    due_at: dt.datetime | None = None
    tailored: bool = False  # the checklist was narrowed down by the citizen's answers


def clean_question(text: str | None) -> str:
    """Drop control characters and surrounding space; keep at most one Telegram message worth."""
    text = text or ""
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    return text.strip()[:MAX_QUESTION_CHARS]


class Assistant:
    def __init__(self, store: KnowledgeStore, ledger: Ledger, config: Config):
        self.store = store
        self.ledger = ledger
        self.config = config
        # Untailored checklists are the same for every citizen on a day: render each once.
        self._rendered: dict[tuple, tuple[str, ...]] = {}

    def ask(self, text: str | None, *, channel: str, user_id: str, chat_id: str | None = None,
            language: str | None = None, fmt: str = HTML, update_id: int | None = None) -> Reply:
        """Answer one question completely, record exactly what was said, and open a case if needed."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)  # the same update again (after a crash): same answer, no second record
        snapshot = self.store.current
        question = clean_question(text)
        language = language or detect_language(question)
        if not question:
            decision = Decision(PROMPT)
            messages = (message("empty", language),)
        else:
            decision = snapshot.matcher.decide(question)
            messages = self._messages(decision, snapshot.knowledge, language, fmt)
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language, text=question,
                          action=decision.action, service_id=decision.service_id, options=decision.options,
                          score=decision.score, kb_version=snapshot.knowledge.version, reply="",
                          update_id=update_id, event_id=decision.event_id)
        if decision.action != ESCALATE:
            inquiry = replace(inquiry, reply="\n\n".join(messages), messages=messages)
            return Reply(decision, language, messages, self.ledger.record_inquiry(inquiry), None,
                         snapshot.knowledge.version)
        return self._escalate(inquiry, decision, language, snapshot)

    def choose(self, service_id: str, *, question: str, channel: str, user_id: str, chat_id: str | None = None,
               language: str = "zh", fmt: str = HTML, update_id: int | None = None,
               answers: dict[str, bool] | None = None) -> Reply:
        """Send the checklist of a service the citizen picked (after a clarification or by browsing)."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)
        snapshot = self.store.current
        knowledge = snapshot.knowledge
        service = knowledge.services.get(service_id)
        if service is None:  # the knowledge base changed since the buttons were sent
            return self.ask(question, channel=channel, user_id=user_id, chat_id=chat_id, language=language, fmt=fmt,
                            update_id=update_id)
        messages = tuple(render_checklist(service, knowledge, language, fmt, answers=answers))
        decision = Decision(CHOSEN, service_id, score=100.0)
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language,
                          text=clean_question(question) or service.name.get(language), action=CHOSEN,
                          service_id=service_id, options=(), score=100.0, kb_version=knowledge.version,
                          reply="\n\n".join(messages), messages=messages, update_id=update_id, answers=answers)
        return Reply(decision, language, messages, self.ledger.record_inquiry(inquiry), None, knowledge.version,
                     tailored=bool(answers))

    def choose_event(self, event_id: str, *, question: str, channel: str, user_id: str, chat_id: str | None = None,
                     language: str = "zh", fmt: str = HTML, update_id: int | None = None,
                     answers: dict[str, bool] | None = None) -> Reply | None:
        """Send the merged checklist of a life event, tailored to the answers given."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)
        knowledge = self.store.current.knowledge
        event = knowledge.events.get(event_id)
        if event is None:
            return None
        messages = tuple(render_event(event, knowledge, language, fmt, answers=answers))
        decision = Decision(CHOSEN, None, event.service_ids, 100.0, event_id=event_id)
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language,
                          text=clean_question(question) or event.name.get(language), action=CHOSEN, service_id=None,
                          options=event.service_ids, score=100.0, kb_version=knowledge.version,
                          reply="\n\n".join(messages), messages=messages, update_id=update_id, answers=answers,
                          event_id=event_id)
        return Reply(decision, language, messages, self.ledger.record_inquiry(inquiry), None, knowledge.version,
                     tailored=bool(answers))

    def _messages(self, decision: Decision, knowledge: KnowledgeBase, language: str, fmt: str) -> tuple[str, ...]:
        if decision.event_id:
            return tuple(render_event(knowledge.events[decision.event_id], knowledge, language, fmt))
        if decision.action == ANSWER:
            key = (knowledge.version, decision.service_id, language, fmt, dt.date.today())
            if key not in self._rendered:
                if len(self._rendered) > 2000:
                    self._rendered.clear()
                self._rendered[key] = tuple(render_checklist(knowledge.services[decision.service_id], knowledge,
                                                             language, fmt))
            return self._rendered[key]
        if decision.action == CLARIFY:
            return (render_clarify(decision.options, knowledge, language, fmt),)
        return ()

    def ask_person(self, inquiry_id: int, *, user_id: str, update_id: int | None = None,
                   language: str | None = None) -> Reply | None:
        """The citizen asked for a person after an answer or a clarification: open (or join) a case.

        Returns None when the inquiry is not this citizen's (a forged or stale button)."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)
        asked = self.ledger.inquiry(inquiry_id)
        if asked is None or asked.user_id != user_id:
            return None
        language = language or asked.language
        guesses = [asked.service_id] if asked.service_id else list(asked.options)
        decision = Decision(ESCALATE, None, (), asked.score or 0.0)
        inquiry = Inquiry(channel=asked.channel, user_id=user_id, chat_id=asked.chat_id, language=language,
                          text=asked.text, action=ESCALATE, service_id=None, options=(), score=asked.score or 0.0,
                          kb_version=self.store.current.knowledge.version, reply="", update_id=update_id)
        return self._escalate(inquiry, decision, language, self.store.current, guesses=guesses,
                              service_id=asked.service_id)

    def record_unanswered(self, text: str, action: str, notice: str, *, channel: str, user_id: str,
                          chat_id: str | None, language: str, update_id: int | None = None) -> None:
        """A message the assistant did not answer (e.g. over the flood limit): recorded, so nothing is dropped."""
        if update_id is not None and self.ledger.inquiry_for_update(update_id) is not None:
            return
        self.ledger.record_inquiry(Inquiry(
            channel=channel, user_id=user_id, chat_id=chat_id, language=language, text=clean_question(text),
            action=action, service_id=None, options=(), score=0.0, kb_version=self.store.current.knowledge.version,
            reply=notice, update_id=update_id))

    def record_failure(self, text: str, *, channel: str, user_id: str, chat_id: str | None, language: str,
                       update_id: int | None = None) -> Reply:
        """A message whose handling failed: recorded with a case, so a person answers it (nothing is dropped)."""
        recorded = self.ledger.inquiry_for_update(update_id) if update_id is not None else None
        if recorded and recorded.case_id:
            return replayed(recorded)
        # The question may be recorded already (answered, then sending failed): this is a second record of it.
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language,
                          text=clean_question(text) or "[non-text message]", action=ESCALATE, service_id=None,
                          options=(), score=0.0, kb_version=self.store.current.knowledge.version, reply="",
                          update_id=None if recorded else update_id)
        return self._escalate(inquiry, Decision(ESCALATE), language, self.store.current, guesses=[])

    def _escalate(self, inquiry: Inquiry, decision: Decision, language: str, snapshot: Snapshot,
                  guesses: list[str] | None = None, service_id: str | None = None) -> Reply:
        """Record the question with a case: a new one, or the citizen's open case as a follow-up."""
        if guesses is None:
            guesses = [c.service_id for c in decision.candidates[:3]]
        with self.ledger.transaction():
            existing = self.ledger.open_case_of(inquiry.user_id)
            if existing:
                case_id, due_at = existing.id, existing.due_at
            else:
                due_at = self.due_for(service_id)
                case_id = self.ledger.open_case(
                    channel=inquiry.channel, user_id=inquiry.user_id, chat_id=inquiry.chat_id, language=language,
                    question=inquiry.text, guesses=guesses, due_at=due_at, kb_version=snapshot.knowledge.version)
            reply_text = self.escalation_text(case_id, due_at, language)
            inquiry_id = self.ledger.record_inquiry(replace(inquiry, reply=reply_text, messages=(reply_text,)),
                                                    case_id=case_id)
            if existing:
                self.ledger.add_event(case_id, "follow_up", f"citizen:{inquiry.user_id}",
                                      {"text": inquiry.text, "inquiry_id": inquiry_id})
            else:
                self.ledger.link_inquiry(case_id, inquiry_id)
        return Reply(decision, language, (reply_text,), inquiry_id, case_id, snapshot.knowledge.version, due_at)

    def escalation_text(self, case_id: int, due_at: dt.datetime | None, language: str) -> str:
        if due_at is None:
            return message("escalate.offline", language, case_id=case_id)
        return message("escalate", language, case_id=case_id,
                       due=local_time(due_at, self.config.business_hours, language))

    def due_for(self, service_id: str | None) -> dt.datetime:
        """When a case must be answered: the service's committed days, else the default, in business hours."""
        hours = self.config.default_case_hours
        service = self.store.current.knowledge.services.get(service_id) if service_id else None
        if service and service.time_limit.committed_days:
            business = self.config.business_hours
            day_length = dt.datetime.combine(dt.date.today(), business.end) - dt.datetime.combine(dt.date.today(), business.start)
            hours = service.time_limit.committed_days * day_length.total_seconds() / 3600
        return add_business_hours(self.ledger.now(), hours, self.config.business_hours)


def replayed(inquiry: Inquiry) -> Reply:
    """The Reply recorded for an inquiry, for an update handled again after a crash."""
    decision = Decision(inquiry.action, inquiry.service_id, inquiry.options, inquiry.score or 0.0,
                        event_id=inquiry.event_id)
    return Reply(decision, inquiry.language, inquiry.messages, inquiry.id, inquiry.case_id, inquiry.kb_version,
                 tailored=bool(inquiry.answers))
