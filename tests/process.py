"""Run `python -m bot run` as a real subprocess, configured only through environment variables."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from bot.telegram.fake_bot_api import FakeBotApi
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def memory_cap(megabytes: int):
    """A preexec_fn that caps a child's address space, so that a runaway test cannot take the machine's memory."""
    def cap():
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return cap


class BotProcess:
    def __init__(self, api, database: Path, *, prefix: list[str] | None = None, memory_mb: int | None = None,
                 log_name: str = "bot.log", **env):
        self.env = {"PATH": os.environ.get("PATH", ""), "TELEGRAM_BOT_TOKEN": api.token,
                    "TELEGRAM_API_URL": api.base_url, "STAFF_CHAT_ID": str(api.staff_chat_id),
                    "DATABASE_PATH": str(database), "POLL_TIMEOUT_SECONDS": "1", **env}
        self.log = database.parent / log_name
        self.prefix = prefix or []
        self.memory_mb = memory_mb
        self.process: subprocess.Popen | None = None

    def start(self) -> BotProcess:
        self.process = subprocess.Popen([*self.prefix, sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT,
                                        preexec_fn=memory_cap(self.memory_mb) if self.memory_mb else None)
        return self

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def wait(self, timeout: float = 30) -> int:
        """Wait for the process to end by itself; its exit status."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the bot did not stop within {timeout}s:\n{self.output()[-3000:]}") from None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def message_to(api: FakeBotApi, chat_id: int, contains: str, timeout: float = 15.0) -> list[dict]:
    """Wait for messages to chat_id that contain `contains`, and return them."""
    return wait_until(lambda: api.sent_containing(chat_id, contains), timeout,
                      f"a message to {chat_id} containing {contains!r}")
