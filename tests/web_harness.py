"""The web channel as a real process (`python -m bot web`), and small helpers to talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.process import ROOT

DESK_PASSWORD = "counter-desk-passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s:\n{log.read_text(errors='replace')}")


class WebProcess:
    """`python -m bot web --host 127.0.0.1 --port P` with no Telegram settings at all."""

    def __init__(self, database: Path, **env):
        self.port = free_port()
        self.database = database
        self.env = {"PATH": os.environ.get("PATH", ""), "DATABASE_PATH": str(database),
                    "DESK_PASSWORD": DESK_PASSWORD, **env}
        self.log = database.parent / "web.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebProcess:
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--host", "127.0.0.1", "--port",
                                         str(self.port)], cwd=ROOT, env=self.env, stdout=open(self.log, "ab"),
                                        stderr=subprocess.STDOUT)
        wait_until_serving(self.url + "/", self.process, self.log)
        return self

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        return self.process.returncode

    def post(self, path: str, body: dict | None = None, **options) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=30, **options)
