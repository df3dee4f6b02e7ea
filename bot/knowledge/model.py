"""The knowledge base as frozen objects: services, offices, categories, life events.

Built by bot.knowledge.loading from validated YAML; nothing here reads files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from bot.knowledge.calendar import LocalCalendar

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Text:
    """A text in Chinese, usually with an English translation."""

    zh: str
    en: str | None = None

    def get(self, language: str) -> str:
        # Chinese is the authoritative text; English falls back to it when missing.
        return self.en if language == "en" and self.en else self.zh

    @classmethod
    def parse(cls, raw: dict | None) -> Text | None:
        return None if raw is None else cls(zh=raw["zh"], en=raw.get("en"))


@dataclass(frozen=True)
class Dated:
    """Mixin for values that are in force only between two dates (both inclusive, both optional)."""

    effective_from: dt.date | None
    effective_to: dt.date | None

    def in_force(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )

    def scheduled_after(self, day: dt.date) -> bool:
        return self.effective_from is not None and self.effective_from > day


@dataclass(frozen=True)
class Office:
    id: str
    name: Text
    level: str
    address: Text
    hours: Text
    phone: str
    website: str | None = None
    chief_representative: Text | None = None
    response_hours: float | None = None  # business hours to answer a case about its services (CASE_DEFAULT_HOURS)


@dataclass(frozen=True)
class Category:
    id: str
    name: Text


@dataclass(frozen=True)
class Condition:
    id: str
    question: Text


@dataclass(frozen=True)
class Document(Dated):
    name: Text
    form: str
    copies: int
    source: Text
    notes: Text | None
    condition: str | None
    unless: str | None

    def applies(self, answers: dict[str, bool]) -> bool:
        """Whether the document is needed, given the citizen's yes/no answers.

        An unanswered condition counts as "may apply": an untailored list shows everything.
        """
        if self.condition and answers.get(self.condition) is False:
            return False
        return not (self.unless and answers.get(self.unless) is True)


@dataclass(frozen=True)
class Fee(Dated):
    item: Text
    amount: Text


@dataclass(frozen=True)
class TimeLimitChange(Dated):
    legal_days: int | None
    committed_days: int | None


@dataclass(frozen=True)
class TimeLimit:
    legal_days: int
    committed_days: int
    notes: Text | None
    changes: tuple[TimeLimitChange, ...] = ()

    def on(self, day: dt.date) -> TimeLimit:
        """The limits in force on a day, after applying dated changes."""
        legal, committed = self.legal_days, self.committed_days
        for change in self.changes:
            if change.in_force(day):
                legal = change.legal_days if change.legal_days is not None else legal
                committed = change.committed_days if change.committed_days is not None else committed
        return TimeLimit(legal, committed, self.notes)


@dataclass(frozen=True)
class Online:
    available: bool
    channel: Text
    url: str | None


@dataclass(frozen=True)
class Service:
    id: str
    name: Text
    category: str
    level: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    excludes: tuple[str, ...]
    offices: tuple[str, ...]
    eligibility: Text
    conditions: tuple[Condition, ...]
    documents: tuple[Document, ...]
    steps: tuple[Text, ...]
    time_limit: TimeLimit
    fees: tuple[Fee, ...]
    online: Online
    legal_basis: tuple[Text, ...]
    refusal_reasons: tuple[Text, ...]
    appeal: Text
    updated: dt.date
    source_file: str

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


@dataclass(frozen=True)
class EventStep:
    service_id: str
    condition: str | None = None
    unless: str | None = None
    note: Text | None = None

    def applies(self, answers: dict[str, bool]) -> bool:
        if self.condition and answers.get(self.condition) is False:
            return False
        return not (self.unless and answers.get(self.unless) is True)


@dataclass(frozen=True)
class Event:
    """A life event (高效办成一件事): several services in order, answered as one merged checklist."""

    id: str
    name: Text
    description: Text | None
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    conditions: tuple[Condition, ...]
    steps: tuple[EventStep, ...]  # nested events already flattened
    updated: dt.date
    source_file: str

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.service_id for step in self.steps))

    def condition(self, condition_id: str) -> Condition | None:
        return next((c for c in self.conditions if c.id == condition_id), None)


@dataclass(frozen=True)
class KnowledgeBase:
    """One immutable version of the knowledge base. Swapping versions is a single assignment."""

    directory: Path
    version: str
    offices: dict[str, Office]
    categories: dict[str, Category]
    services: dict[str, Service]
    events: dict[str, Event] = field(default_factory=dict)
    calendar: LocalCalendar = field(default_factory=LocalCalendar)  # calendar.yaml
    loaded_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def services_in(self, category_id: str) -> list[Service]:
        return [s for s in self.services.values() if s.category == category_id]

    def offices_of(self, service: Service) -> list[Office]:
        return [self.offices[o] for o in service.offices]
