"""The long-lived services of the web channel, and the citizens' sessions."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.config import Config
from bot.logs import Redactor
from bot.ratelimit import RateLimiter
from bot.records.cases import CaseDesk
from bot.records.ledger import Ledger
from bot.records.rows import WEB, ErrorReport

log = logging.getLogger(__name__)
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
LOGIN_ATTEMPTS_PER_MINUTE = 10
DESK_LOGIN_HOURS = 12


class StaffChat(Protocol):
    """Where web cases reach staff. The Telegram wing provides one when both channels run together."""

    async def case_opened(self, case_id: int) -> None:
        """Post the card of a new case."""

    async def tell(self, case_id: int, text: str, scope: str) -> None:
        """Add a plain-text line to the case's thread; `scope` is unique to the event (no line is sent twice)."""

    async def case_changed(self, case_id: int, scope: str) -> None:
        """Show the case's new state (closed by the citizen, reopened by a low rating) on its card."""

    async def error_reported(self, report: ErrorReport) -> None:
        """Post a citizen's error report for the office that owns the entry."""


class OfflineStaff:
    """No staff chat (`python -m bot web` alone): cases stay in the ledger for staff to answer offline."""

    async def case_opened(self, case_id: int) -> None:
        log.info("Case %s recorded; no staff chat is configured, so it waits in the ledger", case_id)

    async def tell(self, case_id: int, text: str, scope: str) -> None:
        log.info("Case %s: %s (recorded; no staff chat is configured)", case_id, text[:200])

    async def case_changed(self, case_id: int, scope: str) -> None:
        pass  # the ledger holds the case's state; there is no card to update

    async def error_reported(self, report: ErrorReport) -> None:
        log.info("Error report %s recorded; `python -m bot review` lists it", report.id)


class GuardedStaff:
    """A StaffChat whose failures are logged (secrets removed) instead of raised: what the citizen did is
    recorded before staff are told, so the citizen's request succeeds either way."""

    def __init__(self, staff: StaffChat, redact: Callable[[str], str]):
        self.staff = staff
        self.redact = redact

    async def _guarded(self, what: str, call: Awaitable[None]) -> None:
        try:
            await call
        except Exception as exc:  # noqa: BLE001 - see the class docstring
            trace = "".join(traceback.format_exception(exc))
            log.error("Could not tell the staff chat %s (it is recorded in the ledger): %s", what, self.redact(trace))

    async def case_opened(self, case_id: int) -> None:
        await self._guarded(f"about new case {case_id}", self.staff.case_opened(case_id))

    async def tell(self, case_id: int, text: str, scope: str) -> None:
        await self._guarded(f"about case {case_id}", self.staff.tell(case_id, text, scope))

    async def case_changed(self, case_id: int, scope: str) -> None:
        await self._guarded(f"the state of case {case_id}", self.staff.case_changed(case_id, scope))

    async def error_reported(self, report: ErrorReport) -> None:
        await self._guarded(f"about error report {report.id}", self.staff.error_reported(report))


def session_id(token: str) -> str:
    """The id recorded in the ledger: a hash of the page's token, so the ledger never holds the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def web_user(token: str) -> str:
    """The ledger's user_id of a web session; the prefix keeps it apart from Telegram's numeric ids."""
    return f"{WEB}:{session_id(token)}"


class PasswordCheck:
    """The desk password, kept only as a salted scrypt hash."""

    def __init__(self, password: str):
        self._salt = secrets.token_bytes(16)
        self._hash = self._derive(password)

    def _derive(self, password: str) -> bytes:
        return hashlib.scrypt(password.encode(), salt=self._salt, n=2**14, r=8, p=1)

    def matches(self, password: str) -> bool:
        return hmac.compare_digest(self._derive(password), self._hash)


@dataclass
class DeskLogins:
    """Logged-in desk staff by cookie token (in memory: a restart logs everyone out)."""

    hours: float = DESK_LOGIN_HOURS
    _logins: dict[str, tuple[str, float]] = field(default_factory=dict)

    def start(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        self._logins[token] = (name, time.monotonic() + self.hours * 3600)
        return token

    def staff(self, token: str | None) -> str | None:
        name, expires = self._logins.get(token or "", (None, 0.0))
        if name is None or time.monotonic() > expires:
            self._logins.pop(token or "", None)
            return None
        return name

    def end(self, token: str | None) -> None:
        self._logins.pop(token or "", None)


@dataclass
class WebServices:
    config: Config
    ledger: Ledger
    store: KnowledgeStore
    assistant: Assistant
    desk: CaseDesk
    staff: StaffChat
    sessions: RateLimiter  # citizen actions per session
    addresses: RateLimiter  # every API request per client address
    logins: RateLimiter  # desk login attempts per address
    desk_password: PasswordCheck | None
    desk_logins: DeskLogins = field(default_factory=DeskLogins)


def build_web_services(config: Config, ledger: Ledger, store: KnowledgeStore, assistant: Assistant, desk: CaseDesk,
                       staff: StaffChat | None = None) -> WebServices:
    web = config.web
    return WebServices(
        config=config, ledger=ledger, store=store, assistant=assistant, desk=desk,
        staff=GuardedStaff(staff or OfflineStaff(), Redactor(*config.secrets())),
        sessions=RateLimiter(web.rate_limit_per_minute), addresses=RateLimiter(web.address_rate_limit_per_minute),
        logins=RateLimiter(LOGIN_ATTEMPTS_PER_MINUTE),
        desk_password=PasswordCheck(web.desk_password.reveal()) if web.desk_password else None)
