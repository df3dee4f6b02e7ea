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


@dataclass(frozen=True)
class StoredUpdate(_Record):
    update_id: int
    received_at: dt.datetime
    payload: str
    handled_at: dt.datetime | None = None

    _times = ("received_at", "handled_at")


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
