"""The answering path shared by every channel: question -> decision -> reply -> record -> case.

Channels (console chat, the `ask` command, Telegram handlers) call Assistant.ask() and only
add their own presentation (buttons, prompts). Nothing here imports telegram.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, MATTER_PREFIX, REFER, SMALLTALK, Decision, Matcher
from bot.answering.messages import message
from bot.answering.offices import needs_district
from bot.answering.reloading import ReloadLimits, check_in_child
from bot.answering.render import HTML, render_checklist, render_clarify, render_event, render_note, render_referral
from bot.answering.text import detect_language
from bot.config import MAX_QUESTION_CHARS, Config, Thresholds
from bot.knowledge.loading import load_knowledge
from bot.knowledge.model import KnowledgeBase
from bot.records.ledger import Ledger
from bot.records.rows import ErrorReport, Inquiry
from bot.records.workdays import WorkingTime, local_time

log = logging.getLogger(__name__)
CHOSEN = "chosen"  # the citizen picked the service (from a clarification, a list or a tailoring flow)
PROMPT = "prompt"  # empty or unusable text: the citizen is asked to describe their need
RATE_LIMITED = "rate_limited"  # sent faster than the flood limit allows: recorded, not answered


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
        knowledge = load_knowledge(self.directory)
        self.current = Snapshot(knowledge, Matcher(knowledge, self.thresholds))

    def swap(self, snapshot: Snapshot) -> Snapshot:
        with self._lock:
            previous, self.current = self.current, snapshot
        return previous

    def reload(self, *, quality: bool = True) -> ReloadResult:
        """Load and validate the directory again, in a child process within the limits (blocking: call it in a
        thread); swap it in only if it has no errors. `quality=False` skips the warnings that need the matcher
        (every example question decided), for a caller that does not show warnings."""
        from bot.knowledge.diff import diff_knowledge

        with self._reloading:
            checked = check_in_child(self.directory, self.thresholds, self.limits, quality=quality)
        if not checked.loaded:
            return ReloadResult(False, checked.problems, None)  # the old version keeps serving
        snapshot = Snapshot(checked.knowledge, checked.matcher)
        previous = self.swap(snapshot)
        return ReloadResult(True, checked.problems, diff_knowledge(previous.knowledge, snapshot.knowledge),
                            previous.knowledge)


@dataclass(frozen=True)
class ReloadResult:
    loaded: bool
    problems: list  # errors when not loaded, warnings when loaded
    diff: object | None
    previous: KnowledgeBase | None = None  # the version replaced, to tell citizens what changed


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
    district: str | None = None  # the citizen's district, when known (offices are shown for it)


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
        self._working_time = WorkingTime(config.business_hours, store.current.knowledge.calendar)

    def working_time(self) -> WorkingTime:
        """Business hours on the working days of the live knowledge base's calendar."""
        calendar = self.store.current.knowledge.calendar
        if self._working_time.local is not calendar:  # reloaded: its calendar.yaml may have changed
            self._working_time = WorkingTime(self.config.business_hours, calendar)
        return self._working_time

    def ask(self, text: str | None, *, channel: str, user_id: str, chat_id: str | None = None,
            language: str | None = None, fmt: str = HTML, update_id: int | None = None) -> Reply:
        """Answer one question completely, record exactly what was said, and open a case if needed."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)  # the same update again (after a crash): same answer, no second record
        snapshot = self.store.current
        question = clean_question(text)
        language = language or detect_language(question)
        decision = snapshot.matcher.decide(question) if question else Decision(PROMPT)
        district = self.district_of(chat_id or user_id, decision.district)
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language, text=question,
                          action=decision.action, service_id=decision.service_id, options=decision.options,
                          score=decision.score, kb_version=snapshot.knowledge.version, reply="",
                          update_id=update_id, event_id=decision.event_id, matter_id=decision.matter_id,
                          district=district)
        if decision.action in (ESCALATE, REFER):
            return self._escalate(inquiry, decision, language, snapshot, fmt=fmt)
        messages = self._messages(decision, snapshot.knowledge, language, fmt, district)
        inquiry = replace(inquiry, reply="\n\n".join(messages), messages=messages)
        return Reply(decision, language, messages, self.ledger.record_inquiry(inquiry), None,
                     snapshot.knowledge.version, district=district)

    def district_of(self, chat_key: str, named: str | None) -> str | None:
        """The citizen's district: the one named in this question (remembered from now on), else the one
        remembered for the chat."""
        if named:
            self.ledger.update_chat(chat_key, district=named)
            return named
        return self.ledger.chat(chat_key).district

    def wants_district(self, reply: Reply) -> bool:
        """Whether the citizen's district would turn the office types of this answer into addresses."""
        knowledge = self.store.current.knowledge
        decision = reply.decision
        if reply.district or decision.action not in (ANSWER, CHOSEN):
            return False
        if decision.event_id and decision.event_id in knowledge.events:
            offices = tuple(o for s in knowledge.events[decision.event_id].service_ids
                            for o in knowledge.services[s].offices)
        elif decision.service_id in knowledge.services:
            offices = knowledge.services[decision.service_id].offices
        else:
            return False
        return needs_district(offices, knowledge, None)

    def set_district(self, chat_key: str, district: str) -> bool:
        """Remember the citizen's district (chosen with a button or /district); False if there is no such district."""
        if district not in self.store.current.knowledge.districts:
            return False
        self.ledger.update_chat(chat_key, district=district)
        return True

    def choose(self, service_id: str, *, question: str, channel: str, user_id: str, chat_id: str | None = None,
               language: str = "zh", fmt: str = HTML, update_id: int | None = None,
               answers: dict[str, bool] | None = None) -> Reply:
        """Send the checklist of a service the citizen picked (after a clarification or by browsing)."""
        if update_id is not None and (recorded := self.ledger.inquiry_for_update(update_id)):
            return replayed(recorded)
        snapshot = self.store.current
        knowledge = snapshot.knowledge
        if service_id.startswith(MATTER_PREFIX) and service_id.removeprefix(MATTER_PREFIX) in knowledge.matters:
            return self._refer_chosen(service_id.removeprefix(MATTER_PREFIX), question, channel=channel, user_id=user_id,
                                      chat_id=chat_id, language=language, fmt=fmt, update_id=update_id)
        service = knowledge.services.get(service_id)
        if service is None:  # the knowledge base changed since the buttons were sent
            return self.ask(question, channel=channel, user_id=user_id, chat_id=chat_id, language=language, fmt=fmt,
                            update_id=update_id)
        district = self.district_of(chat_id or user_id, None)
        messages = tuple(render_checklist(service, knowledge, language, fmt, answers=answers, district=district))
        return self._record_chosen(Decision(CHOSEN, service_id, score=100.0), messages, knowledge.version,
                                   text=clean_question(question) or service.name.get(language), channel=channel,
                                   user_id=user_id, chat_id=chat_id, language=language, update_id=update_id,
                                   answers=answers, district=district)

    def _refer_chosen(self, matter_id: str, question: str, *, channel: str, user_id: str, chat_id: str | None,
                      language: str, fmt: str, update_id: int | None) -> Reply:
        """The citizen picked a catalogue matter from a clarification: its office, and a case for staff."""
        decision = Decision(REFER, None, (), 100.0, matter_id=matter_id)
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language,
                          text=clean_question(question), action=REFER, service_id=None, options=(), score=100.0,
                          kb_version=self.store.current.knowledge.version, reply="", update_id=update_id,
                          matter_id=matter_id, district=self.district_of(chat_id or user_id, None))
        return self._escalate(inquiry, decision, language, self.store.current, fmt=fmt)

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
        district = self.district_of(chat_id or user_id, None)
        messages = tuple(render_event(event, knowledge, language, fmt, answers=answers, district=district))
        return self._record_chosen(Decision(CHOSEN, None, event.service_ids, 100.0, event_id=event_id), messages,
                                   knowledge.version, text=clean_question(question) or event.name.get(language),
                                   channel=channel, user_id=user_id, chat_id=chat_id, language=language,
                                   update_id=update_id, answers=answers, district=district)

    def _record_chosen(self, decision: Decision, messages: tuple[str, ...], kb_version: str, *, text: str,
                       channel: str, user_id: str, chat_id: str | None, language: str, update_id: int | None,
                       answers: dict[str, bool] | None, district: str | None) -> Reply:
        """Record the checklist of a picked service or life event as told, and the reply that carries it."""
        inquiry = Inquiry(channel=channel, user_id=user_id, chat_id=chat_id, language=language, text=text,
                          action=CHOSEN, service_id=decision.service_id, options=decision.options, score=100.0,
                          kb_version=kb_version, reply="\n\n".join(messages), messages=messages,
                          update_id=update_id, answers=answers, event_id=decision.event_id, district=district)
        return Reply(decision, language, messages, self.ledger.record_inquiry(inquiry), None, kb_version,
                     tailored=bool(answers), district=district)

    def _messages(self, decision: Decision, knowledge: KnowledgeBase, language: str, fmt: str,
                  district: str | None = None) -> tuple[str, ...]:
        note = (render_note("other_city", language, fmt, place=decision.other_place,
                            city=self.config.city_name(language)),) if decision.other_place else ()
        if decision.action == PROMPT:
            return (render_note("empty", language, fmt),)
        if decision.action == SMALLTALK:
            return (render_note(f"smalltalk.{decision.smalltalk}", language, fmt),)
        if decision.event_id:
            return note + tuple(render_event(knowledge.events[decision.event_id], knowledge, language, fmt))
        if decision.action == ANSWER:
            key = (knowledge.version, decision.service_id, language, fmt, dt.date.today(), district)
            if key not in self._rendered:
                if len(self._rendered) > 2000:
                    self._rendered.clear()
                self._rendered[key] = tuple(render_checklist(knowledge.services[decision.service_id], knowledge,
                                                             language, fmt, district=district))
            return note + self._rendered[key]
        if decision.action == CLARIFY:
            return note + (render_clarify(decision.options, knowledge, language, fmt),)
        return note

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

    def report_error(self, text: str, *, channel: str, user_id: str, chat_id: str | None = None,
                     inquiry_id: int | None = None, service_id: str | None = None) -> ErrorReport | None:
        """Record that a checklist was wrong, with what the citizen had been told and the office owning the entry.

        A citizen reports about one of their own answers (inquiry_id); staff name the service. None when the
        inquiry is not the reporter's or the service does not exist."""
        knowledge = self.store.current.knowledge
        told = None
        if inquiry_id is not None:
            told = self.ledger.inquiry(inquiry_id)
            if told is None or told.user_id != user_id:
                return None
            service_id = told.service_id
        service = knowledge.services.get(service_id) if service_id else None
        event_id = told.event_id if told else None
        if service is None and event_id is None:
            return None
        office = service.owner_office if service else None
        report = ErrorReport(channel=channel, user_id=user_id, chat_id=chat_id, text=clean_question(text),
                             inquiry_id=inquiry_id, service_id=service_id, event_id=event_id, office_id=office,
                             kb_version=told.kb_version if told else knowledge.version,
                             told=told.reply if told else None)
        return self.ledger.error_report(self.ledger.record_error_report(report))

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
                  guesses: list[str] | None = None, service_id: str | None = None, fmt: str = HTML) -> Reply:
        """Record the question with a case: a new one, or the citizen's open case as a follow-up.

        A referral to a catalogue matter's office is a case too: the assistant still owns the question
        until a person has told the citizen everything (first-inquiry accountability)."""
        if guesses is None:
            guesses = [MATTER_PREFIX + decision.matter_id] if decision.matter_id else \
                [c.service_id for c in decision.candidates[:3]]
        with self.ledger.transaction():
            existing = self.ledger.open_case_of(inquiry.user_id)
            if existing:
                case_id, due_at = existing.id, existing.due_at
            else:
                due_at = self.due_for(service_id)
                case_id = self.ledger.open_case(
                    channel=inquiry.channel, user_id=inquiry.user_id, chat_id=inquiry.chat_id, language=language,
                    question=inquiry.text, guesses=guesses, due_at=due_at, kb_version=snapshot.knowledge.version)
            if decision.action == REFER:
                messages = self._messages(decision, snapshot.knowledge, language, fmt) + tuple(render_referral(
                    snapshot.knowledge.matters[decision.matter_id], snapshot.knowledge, language, fmt,
                    case_id=case_id, due=self._due_text(due_at, language), district=inquiry.district))
            else:
                messages = (self.escalation_text(case_id, due_at, language, inquiry.channel),)
            inquiry_id = self.ledger.record_inquiry(replace(inquiry, reply="\n\n".join(messages), messages=messages),
                                                    case_id=case_id)
            if existing:
                self.ledger.add_event(case_id, "follow_up", f"citizen:{inquiry.user_id}",
                                      {"text": inquiry.text, "inquiry_id": inquiry_id})
            else:
                self.ledger.link_inquiry(case_id, inquiry_id)
        return Reply(decision, language, messages, inquiry_id, case_id, snapshot.knowledge.version, due_at,
                     district=inquiry.district)

    def escalation_text(self, case_id: int, due_at: dt.datetime | None, language: str, channel: str = "") -> str:
        if due_at is None:
            return message("escalate.offline", language, case_id=case_id)
        # Offline, no one can push a reply to the terminal: say how it arrives instead.
        key = "escalate.console" if channel == "console" else "escalate"
        return message(key, language, case_id=case_id, due=self._due_text(due_at, language))

    def _due_text(self, due_at: dt.datetime | None, language: str) -> str | None:
        return local_time(due_at, self.config.business_hours) if due_at else None

    def response_hours(self, service_id: str | None) -> float:
        """The committed response time of a case: its service's lead office's, else CASE_DEFAULT_HOURS.

        A service's committed days are the time to deliver the service, not to answer a question."""
        knowledge = self.store.current.knowledge
        service = knowledge.services.get(service_id) if service_id else None
        office = knowledge.offices.get(service.offices[0]) if service and service.offices else None
        return office.response_hours if office and office.response_hours else self.config.default_case_hours

    def due_for(self, service_id: str | None) -> dt.datetime:
        """When a case must be answered: the response hours in business hours, on working days."""
        return self.working_time().add(self.ledger.now(), self.response_hours(service_id))


def replayed(inquiry: Inquiry) -> Reply:
    """The Reply recorded for an inquiry, for an update handled again after a crash."""
    log.info("Update %s was answered before (inquiry %s): replaying the recorded reply; the outbox sends nothing "
             "twice", inquiry.update_id, inquiry.id)
    decision = Decision(inquiry.action, inquiry.service_id, inquiry.options, inquiry.score or 0.0,
                        event_id=inquiry.event_id)
    return Reply(decision, inquiry.language, inquiry.messages, inquiry.id, inquiry.case_id, inquiry.kb_version,
                 tailored=bool(inquiry.answers))
