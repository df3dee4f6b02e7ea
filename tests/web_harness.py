"""The web channel as a real process (`python -m bot web`), and small helpers to talk to it over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.process import ChildProcess, free_port

DESK_PASSWORD = "counter-desk-passphrase"


class WebProcess(ChildProcess):
    """`python -m bot web --host 127.0.0.1 --port P` with no Telegram settings at all."""

    def __init__(self, database: Path, **env):
        super().__init__(database, "web.log", {"DESK_PASSWORD": DESK_PASSWORD, **env})
        self.port = free_port()
        self.database = database

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebProcess:
        self.spawn(["web", "--host", "127.0.0.1", "--port", str(self.port)])
        self.wait_until_serving(self.url + "/")
        return self

    def post(self, path: str, body: dict | None = None, **options) -> httpx.Response:
        return httpx.post(self.url + path, json=body, timeout=30, **options)
