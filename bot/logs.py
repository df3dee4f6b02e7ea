"""Logging set-up that keeps the bot token out of every line, whatever library writes it, and the same
redaction for what the bot stores (outbox errors, case events, messages to staff)."""

from __future__ import annotations

import logging
import re
import time

MASK = "***"


class Redactor:
    """Removes secrets from text, case-insensitively: the Bot API and PTB echo request paths in lower case
    sometimes. A bot token's part after the colon is removed on its own too (it may appear URL-encoded)."""

    def __init__(self, *secrets: str):
        self.secrets = [s for s in secrets if s]
        parts = set()
        for secret in self.secrets:
            parts.add(secret)
            if ":" in secret and len(secret.split(":", 1)[1]) >= 8:
                parts.add(secret.split(":", 1)[1])
        # Longest first, so that the whole token goes before its secret part.
        self._pattern = re.compile("|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True)),
                                   re.IGNORECASE) if parts else None

    def __call__(self, text: str | None) -> str | None:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(MASK, text)

    def add(self, secret: str) -> None:
        """Also remove a secret learnt after start-up (a generated webhook secret)."""
        self.__init__(*self.secrets, secret)


class RedactSecrets(logging.Filter):
    """Replace secrets in a record's message, arguments and traceback text with '***'."""

    def __init__(self, *secrets: str):
        super().__init__()
        self.redactor = Redactor(*secrets)

    def redact(self, text: str) -> str:
        return self.redactor(text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(*secrets: str, level: int = logging.INFO) -> RedactSecrets:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    redact = RedactSecrets(*secrets)
    handler.addFilter(redact)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # request lines carry the token in the URL
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return redact


def redact_logs(secret: str) -> None:
    """Add a secret to the redaction of every handler configure_logging set up."""
    for handler in logging.getLogger().handlers:
        for item in handler.filters:
            if isinstance(item, RedactSecrets):
                item.redactor.add(secret)


class CountedLog:
    """A warning that may repeat very often (forged requests, conflicts): every occurrence is counted, and a
    line is written at most once per `every` seconds, with how many there were since the last line."""

    def __init__(self, logger: logging.Logger, text: str, every: float = 60.0, clock=time.monotonic):
        self.logger, self.text, self.every, self.clock = logger, text, every, clock
        self.total = 0
        self._since_line = 0
        self._last: float | None = None

    def note(self, *args) -> None:
        self.total += 1
        self._since_line += 1
        now = self.clock()
        if self._last is None or now - self._last >= self.every:
            self.logger.warning(self.text + " [%d time(s) since the last such line, %d in all]",
                                *args, self._since_line, self.total)
            self._since_line, self._last = 0, now
