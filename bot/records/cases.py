"""Case rules (first-inquiry accountability), every one of them here. Due times: bot.records.workdays.

Handlers and channels only translate: they call CaseDesk and say what the Outcome means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import BusinessHours, Config
from bot.records.ledger import Ledger, iso
from bot.records.rows import CLOSED, OPEN, Case, CaseEvent
from bot.records.workdays import WorkingTime

# -- case rules ---------------------------------------------------------------------------

OK, NOT_FOUND, IS_CLOSED, OWNED_BY_OTHER, ALREADY_YOURS, NOT_OWNER, NO_OFFER, NOT_CLOSED, ALREADY_RATED = (
    "ok", "not_found", "closed", "owned_by_other", "already_yours", "not_owner", "no_offer", "not_closed",
    "already_rated")
REPLIED, REPLY_SHOWN = "replied", "reply_shown"  # a staff answer, and the console showing it to the citizen
LOW_RATING = 2  # a rating of this or less reopens the case for the supervisors
STARS = range(1, 6)


@dataclass(frozen=True)
class Staff:
    id: str
    name: str

    @property
    def actor(self) -> str:
        return f"staff:{self.id}"


@dataclass(frozen=True)
class Citizen:
    id: str

    @property
    def actor(self) -> str:
        return f"citizen:{self.id}"


@dataclass(frozen=True)
class Outcome:
    status: str
    case: Case | None = None

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True)
class Alert:
    kind: str  # "unclaimed", "warning" or "overdue"
    case: Case


class CaseDesk:
    """Claim, transfer, answer, close, rate and reopen cases. Every step is an event in the ledger."""

    def __init__(self, ledger: Ledger, business: BusinessHours, *, unclaimed_minutes: float = 30.0,
                 warn_fraction: float = 0.8, working_time: Callable[[], WorkingTime] | None = None):
        self.ledger = ledger
        # The working time of the live knowledge base (its calendar.yaml); without one, the official calendar only.
        fixed = WorkingTime(business)
        self.working_time = working_time or (lambda: fixed)
        self.unclaimed_minutes = unclaimed_minutes
        self.warn_fraction = warn_fraction

    @classmethod
    def from_config(cls, ledger: Ledger, config: Config, *,
                    working_time: Callable[[], WorkingTime] | None) -> CaseDesk:
        """The desk every channel uses. Pass the Assistant's working_time wherever there is one, so that
        deadlines count the knowledge base's holiday calendar; None only where no deadline is counted."""
        return cls(ledger, config.business_hours, unclaimed_minutes=config.unclaimed_reminder_minutes,
                   warn_fraction=config.warn_fraction, working_time=working_time)

    def get(self, case_id: int) -> Case | None:
        return self.ledger.case(case_id)

    def _open_case(self, case_id: int) -> tuple[Case | None, Outcome | None]:
        """The case if it exists and is open; else the refusal to give."""
        case = self.get(case_id)
        if case is None:
            return None, Outcome(NOT_FOUND)
        if not case.is_open:
            return None, Outcome(IS_CLOSED, case)
        return case, None

    def claim(self, case_id: int, staff: Staff) -> Outcome:
        case, refusal = self._open_case(case_id)
        if refusal:
            return refusal
        if case.owner_id == staff.id:
            return Outcome(ALREADY_YOURS, case)
        if self.ledger.claim_case(case_id, staff.id, staff.name):
            return Outcome(OK, self.get(case_id))
        return Outcome(OWNED_BY_OTHER, self.get(case_id))

    def offer_transfer(self, case_id: int, owner: Staff, colleague: Staff) -> Outcome:
        case, refusal = self._open_case(case_id)
        if refusal:
            return refusal
        if case.owner_id != owner.id:
            return Outcome(NOT_OWNER, case)
        self.ledger.add_event(case_id, "transfer_offered", owner.actor, {"to": colleague.id, "to_name": colleague.name},
                              changes={"transfer_to": colleague.id})
        return Outcome(OK, self.get(case_id))

    def accept_transfer(self, case_id: int, colleague: Staff) -> Outcome:
        case, refusal = self._open_case(case_id)
        if refusal:
            return refusal
        if case.transfer_to != colleague.id:
            return Outcome(NO_OFFER, case)
        # Until this moment the previous owner stays responsible.
        self.ledger.add_event(case_id, "transfer_accepted", colleague.actor,
                              {"from": case.owner_id, "from_name": case.owner_name, "name": colleague.name},
                              changes={"owner_id": colleague.id, "owner_name": colleague.name, "transfer_to": None})
        return Outcome(OK, self.get(case_id))

    def reply(self, case_id: int, staff: Staff, text: str, media: str | None = None) -> Outcome:
        """Record a staff answer. An unclaimed case is claimed by whoever answers it first."""
        case = self.get(case_id)
        if case is None:
            return Outcome(NOT_FOUND)
        if case.owner_id is None and case.is_open:
            self.claim(case_id, staff)
            case = self.get(case_id)
        if case.owner_id != staff.id:
            return Outcome(NOT_OWNER, case)
        changes = {} if case.first_reply_at else {"first_reply_at": iso(self.ledger.now())}
        with self.ledger.transaction():
            self.ledger.add_event(case_id, REPLIED, staff.actor, {"text": text, "media": media}, changes=changes)
            if case.on_the_web:  # the page fetches it from the session's inbox
                self.ledger.post_to_inbox(case.user_id, "reply", case_id=case_id, text=text, media=media)
        return Outcome(OK, self.get(case_id))

    def note_follow_up(self, case_id: int, user_id: str, text: str, media: str | None = None) -> None:
        self.ledger.add_event(case_id, "follow_up", f"citizen:{user_id}", {"text": text, "media": media})

    def _replayed(self, case_id: int, kind: str, update_id: int | None) -> bool:
        """Whether this update already did this step (it is handled again after a crash)."""
        return update_id is not None and any(e.kind == kind and e.detail.get("update_id") == update_id
                                             for e in self.ledger.case_events(case_id))

    def close(self, case_id: int, by: Staff | Citizen, reason: str = "", update_id: int | None = None) -> Outcome:
        """Close a case: its owner may (or any staff while it is unclaimed), and the citizen who asked."""
        case, refusal = self._open_case(case_id)
        if refusal:
            if refusal.status == IS_CLOSED and self._replayed(case_id, "closed", update_id):
                return Outcome(OK, refusal.case)  # the same command again after a crash: say it again
            return refusal
        if isinstance(by, Citizen) and case.user_id != by.id:
            return Outcome(NOT_FOUND)
        if isinstance(by, Staff) and case.owner_id not in (None, by.id):
            return Outcome(NOT_OWNER, case)
        with self.ledger.transaction():
            self.ledger.add_event(case_id, "closed", by.actor, {"reason": reason, "update_id": update_id},
                                  changes={"status": CLOSED, "closed_at": iso(self.ledger.now())})
            if case.on_the_web:  # the page shows the closing and asks for a rating
                self.ledger.post_to_inbox(case.user_id, "closed", case_id=case_id)
        return Outcome(OK, self.get(case_id))

    def rate(self, case_id: int, citizen: Citizen, stars: int, comment: str = "",
             update_id: int | None = None) -> Outcome:
        """Record the citizen's rating of their closed case; LOW_RATING or less reopens it for the supervisors.

        The same press handled again (after a crash) is OK again, so that what it should have sent is sent."""
        case = self.get(case_id)
        if case is None or case.user_id != citizen.id or stars not in STARS:
            return Outcome(NOT_FOUND)
        if case.rating is not None:
            return Outcome(OK if self._replayed(case_id, "rated", update_id) else ALREADY_RATED, case)
        if case.is_open:
            return Outcome(NOT_CLOSED, case)  # rating an open case would take it from its owner
        with self.ledger.transaction():
            self.ledger.add_event(case_id, "rated", citizen.actor,
                                  {"stars": stars, "comment": comment, "update_id": update_id},
                                  changes={"rating": stars})
            if stars <= LOW_RATING:
                self.ledger.add_event(case_id, "reopened", "bot", {"reason": "low rating", "stars": stars},
                                      changes={"status": OPEN, "closed_at": None, "owner_id": None,
                                               "owner_name": None, "claimed_at": None})
        return Outcome(OK, self.get(case_id))

    def add_comment(self, case_id: int, citizen: Citizen, comment: str) -> None:
        self.ledger.add_event(case_id, "comment", citizen.actor, {"text": comment})

    # -- answers shown where nothing can be pushed (the offline console) --------------------

    def cases_of(self, user_id: str) -> list[Case]:
        return self.ledger.cases_of_user(user_id)

    def replies_seen(self, case_id: int) -> list[tuple[CaseEvent, bool]]:
        """A case's staff answers, oldest first, each with whether the citizen was shown it already."""
        events = self.ledger.case_events(case_id)
        seen = {e.detail.get("event_id") for e in events if e.kind == REPLY_SHOWN}
        return [(e, e.id in seen) for e in events if e.kind == REPLIED]

    def unseen_replies(self, user_id: str) -> list[tuple[Case, CaseEvent]]:
        """Staff answers to a citizen's cases that were not shown to them yet, oldest first."""
        return [(case, event) for case in self.cases_of(user_id)
                for event, seen in self.replies_seen(case.id) if not seen]

    def mark_reply_seen(self, case_id: int, event_id: int, citizen: Citizen) -> None:
        self.ledger.add_event(case_id, REPLY_SHOWN, citizen.actor, {"event_id": event_id})

    # -- supervision (电子监察) ----------------------------------------------------------

    def alerts(self, now: dt.datetime) -> list[Alert]:
        """Cases needing a reminder, a deadline warning or an overdue alert, each at most once."""
        result = []
        clock = self.working_time()
        for case in self.ledger.cases(OPEN):
            if case.owner_id is None and not case.reminded_at and \
                    now - case.opened_at >= dt.timedelta(minutes=self.unclaimed_minutes):
                result.append(Alert("unclaimed", case))
            if case.due_at is None:
                continue
            if now >= case.due_at:
                if not case.overdue_at:
                    result.append(Alert("overdue", case))
                continue
            if not case.owner_id or case.warned_at:
                continue  # only an owner is warned, and once: no need to count business hours
            total = clock.between(case.opened_at, case.due_at)
            if total and clock.between(case.opened_at, now) / total >= self.warn_fraction:
                result.append(Alert("warning", case))
        return result

    def record_alert(self, alert: Alert) -> None:
        column = {"unclaimed": "reminded_at", "warning": "warned_at", "overdue": "overdue_at"}[alert.kind]
        kind = {"unclaimed": "reminded", "warning": "warned", "overdue": "overdue"}[alert.kind]
        self.ledger.add_event(alert.case.id, kind, "bot", {"due_at": iso(alert.case.due_at) if alert.case.due_at else None},
                              changes={column: iso(self.ledger.now())})
