"""Typed records of the ledger: what the ledger returns, so that no caller reads a column by name.

Each class mirrors one table; `from_row` decodes JSON columns and ISO times. The ledger
(bot.records.ledger) is the only module that turns rows into these and back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, fields

OPEN, CLOSED = "open", "closed"
PENDING, SENT, UNDELIVERABLE = "pending", "sent", "undeliverable"
# Channels whose citizens are not Telegram chats: their staff replies wait in the session's inbox (web_inbox).
WEB, DESK = "web", "desk"


def parse_iso(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _json(text: str | None, default):
    return json.loads(text) if text else default


class _Record:
    _times: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict):
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in row.items() if k in names}
        for name in cls._times:
            if name in values:
                values[name] = parse_iso(values[name])
        return cls(**cls._decode(values))

    @classmethod
    def _decode(cls, values: dict) -> dict:
        return values


@dataclass(frozen=True)
class Inquiry(_Record):
    """What a citizen asked and exactly what they were told."""

    channel: str
    user_id: str
    chat_id: str | None
    language: str
    text: str
    action: str
    service_id: str | None
    options: tuple[str, ...]
    score: float
    kb_version: str
    reply: str
    update_id: int | None = None
    answers: dict[str, bool] | None = None
    messages: tuple[str, ...] = ()  # the reply as sent, message by message; `reply` joins them
    event_id: str | None = None  # a life event answered as one bundle
    matter_id: str | None = None  # a catalogue matter the citizen was referred to
    district: str | None = None  # the citizen's district, when known
    id: int | None = None  # set once recorded
    at: dt.datetime | None = None
    case_id: int | None = None

    _times = ("at",)

    @classmethod
    def _decode(cls, values: dict) -> dict:
        values["options"] = tuple(_json(values.get("options"), []))
        values["answers"] = _json(values.get("answers"), None)
        values["messages"] = tuple(_json(values.get("messages"), [values.get("reply")]))
        return values

    @property
    def target(self) -> tuple[str | None, bool]:
        """What the answer was about: (event id, True) for a life event, else (service id, False)."""
        return (self.event_id, True) if self.event_id else (self.service_id, False)


@dataclass(frozen=True)
class Case(_Record):
    """A question that needs a person: its owner, deadline and state (the events hold the history)."""

    id: int
    opened_at: dt.datetime
    channel: str
    user_id: str
    chat_id: str | None
    language: str | None
    question: str
    status: str
    inquiry_id: int | None = None
    guesses: tuple[str, ...] = ()
    owner_id: str | None = None
    owner_name: str | None = None
    claimed_at: dt.datetime | None = None
    first_reply_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    staff_chat_id: str | None = None
    staff_message_id: int | None = None
    topic_id: int | None = None
    transfer_to: str | None = None
    rating: int | None = None
    warned_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    kb_version: str | None = None

    _times = ("opened_at", "claimed_at", "first_reply_at", "due_at", "closed_at", "warned_at", "reminded_at",
              "overdue_at")

    @classmethod
    def _decode(cls, values: dict) -> dict:
        values["guesses"] = tuple(_json(values.get("guesses"), []))
        return values

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def on_the_web(self) -> bool:
        """The citizen asked on the web page: answers go to the session's inbox, not to a Telegram chat."""
        return self.channel == WEB


@dataclass(frozen=True)
class CaseEvent(_Record):
    id: int
    case_id: int
    at: dt.datetime
    kind: str
    actor: str
    detail: dict = field(default_factory=dict)

    _times = ("at",)

    @classmethod
    def _decode(cls, values: dict) -> dict:
        values["detail"] = _json(values.get("detail"), {})
        return values


@dataclass(frozen=True)
class Feedback(_Record):
    id: int
    inquiry_id: int
    at: dt.datetime
    user_id: str
    value: str

    _times = ("at",)


@dataclass(frozen=True)
class OutboxMessage(_Record):
    """One outgoing Bot API call, kept until it is sent or given up."""

    id: int
    created_at: dt.datetime
    chat_id: str
    method: str
    payload: dict
    status: str
    attempts: int = 0
    last_error: str | None = None
    sent_at: dt.datetime | None = None
    case_id: int | None = None
    message_id: int | None = None
    next_try_at: dt.datetime | None = None
    dedupe_key: str | None = None
    purpose: str | None = None

    _times = ("created_at", "sent_at", "next_try_at")

    @classmethod
    def _decode(cls, values: dict) -> dict:
        values["payload"] = _json(values.get("payload"), {})
        return values


@dataclass(frozen=True)
class ChatState(_Record):
    """A chat's language choice and the short conversation it is in (tailoring, a rating comment)."""

    chat_id: str
    language: str | None = None
    flow: str | None = None
    district: str | None = None  # remembered from a question or a /district choice


@dataclass(frozen=True)
class StoredUpdate(_Record):
    update_id: int
    received_at: dt.datetime
    payload: str
    handled_at: dt.datetime | None = None

    _times = ("received_at", "handled_at")


@dataclass(frozen=True)
class WebSession(_Record):
    """A citizen's session on the web page: a random id (the page keeps its secret token), never an IP
    address unless WEB_RECORD_ADDRESS asks for it."""

    id: str
    created_at: dt.datetime
    language: str | None = None
    address: str | None = None

    _times = ("created_at",)


@dataclass(frozen=True)
class InboxMessage(_Record):
    """Something for a web session that arrives after its question: a staff reply, a closed case to rate, or a
    correction of a checklist it was given."""

    id: int
    user_id: str
    at: dt.datetime
    kind: str  # "reply", "closed" or "correction"
    case_id: int | None = None
    text: str | None = None  # plain text as staff wrote it (not HTML)
    media: str | None = None  # the kind of attachment staff sent, which the page cannot show
    service_id: str | None = None  # the corrected service, whose new checklist a correction offers

    _times = ("at",)


@dataclass(frozen=True)
class ErrorReport(_Record):
    """A checklist said to be wrong: by whom, about what, and exactly what they had been told."""

    channel: str
    user_id: str
    text: str
    status: str = "open"  # open | resolved
    chat_id: str | None = None
    inquiry_id: int | None = None
    service_id: str | None = None
    event_id: str | None = None
    office_id: str | None = None  # the office that owns the entry
    kb_version: str | None = None
    told: str | None = None  # the reply the citizen was given, as recorded
    resolved_at: dt.datetime | None = None
    resolved_by: str | None = None
    id: int | None = None
    at: dt.datetime | None = None

    _times = ("at", "resolved_at")


@dataclass(frozen=True)
class Correction(_Record):
    """A change of a service's facts, with the fields' old and new text, to tell those told the old version."""

    id: int
    at: dt.datetime
    service_id: str
    new_version: str
    changes: tuple[dict, ...]  # {"field", "old", "new"} per changed field, in Chinese and English
    old_version: str | None = None
    actor: str | None = None
    notified_at: dt.datetime | None = None

    _times = ("at", "notified_at")

    @classmethod
    def _decode(cls, values: dict) -> dict:
        values["changes"] = tuple(_json(values.get("changes"), []))
        return values


@dataclass(frozen=True)
class Lease(_Record):
    """Who may handle updates: a process (host, pid) that renews its heartbeat before the lease expires."""

    name: str
    holder: str
    host: str
    pid: int
    started_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    seconds: float = 30.0  # how long a heartbeat keeps the lease (not stored)

    _times = ("started_at", "heartbeat_at", "expires_at")
