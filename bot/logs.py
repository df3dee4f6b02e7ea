"""Logging set-up that keeps the bot token out of every line, whatever library writes it."""

from __future__ import annotations

import logging


class RedactSecrets(logging.Filter):
    """Replace secrets in a record's message, arguments and traceback text with '***'."""

    def __init__(self, *secrets: str):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
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
