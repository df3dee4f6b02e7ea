"""Run `python -m bot run` as a real subprocess, configured only through environment variables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class BotProcess:
    def __init__(self, api, database: Path, **env):
        self.env = {"PATH": os.environ.get("PATH", ""), "TELEGRAM_BOT_TOKEN": api.token,
                    "TELEGRAM_API_URL": api.base_url, "STAFF_CHAT_ID": str(api.staff_chat_id),
                    "DATABASE_PATH": str(database), "POLL_TIMEOUT_SECONDS": "1", **env}
        self.log = database.parent / "bot.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> BotProcess:
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=self.env,
                                        stdout=open(self.log, "ab"), stderr=subprocess.STDOUT)
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

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")
