"""`python -m bot run` (and `web`) as a real subprocess, configured only through environment variables."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.telegram.fake_bot_api import FakeBotApi
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


def memory_cap(megabytes: int):
    """A preexec_fn that caps a child's address space, so that a runaway test cannot take the machine's memory."""
    def cap():
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return cap


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on, for a server the test starts next."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ChildProcess:
    """`python -m bot ...` as a subprocess, configured only through environment variables; its output goes to a
    log file beside the ledger."""

    def __init__(self, database: Path, log_name: str, env: dict[str, str]):
        self.env = {"PATH": os.environ.get("PATH", ""), "DATABASE_PATH": str(database), **env}
        self.log = database.parent / log_name
        self.process: subprocess.Popen | None = None

    def spawn(self, args: list[str], *, prefix: list[str] | None = None, preexec_fn=None) -> None:
        self.process = subprocess.Popen([*(prefix or []), sys.executable, "-m", "bot", *args], cwd=ROOT, env=self.env,
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, preexec_fn=preexec_fn)

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

    def wait_until_serving(self, url: str, timeout: float = 60.0) -> None:
        """Wait until `url` answers 200; fail at once, with the log, should the process exit first."""
        def serving() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output()}")
            try:
                return client.get(url).status_code == 200
            except httpx.HTTPError:
                return False

        with httpx.Client(timeout=2) as client:
            try:
                wait_until(serving, timeout, f"{url} to answer")
            except AssertionError as exc:
                raise AssertionError(f"{exc}:\n{self.output()}") from None


class BotProcess(ChildProcess):
    """`python -m bot run` against the fake Bot API."""

    def __init__(self, api, database: Path, *, prefix: list[str] | None = None, memory_mb: int | None = None,
                 log_name: str = "bot.log", **env):
        super().__init__(database, log_name, {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_URL": api.base_url,
                                              "STAFF_CHAT_ID": str(api.staff_chat_id), "POLL_TIMEOUT_SECONDS": "1",
                                              **env})
        self.prefix = prefix or []
        self.memory_mb = memory_mb

    def start(self) -> BotProcess:
        self.spawn(["run"], prefix=self.prefix, preexec_fn=memory_cap(self.memory_mb) if self.memory_mb else None)
        return self


def message_to(api: FakeBotApi, chat_id: int, contains: str, timeout: float = 15.0) -> list[dict]:
    """Wait for messages to chat_id that contain `contains`, and return them."""
    return wait_until(lambda: api.sent_containing(chat_id, contains), timeout,
                      f"a message to {chat_id} containing {contains!r}")
