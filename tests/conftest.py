"""Shared fixtures: the bundled knowledge base, a scratch copy to break, a real ledger file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.answering.matching import Matcher
from bot.config import BUNDLED_KNOWLEDGE, Config
from bot.knowledge.loading import load_knowledge
from bot.records.ledger import Ledger

TESTS = Path(__file__).parent


def set_passport_fee(knowledge_dir: Path, zh: str, en: str) -> None:
    """Edit the passport fee in a knowledge base copy, as an admin would."""
    path = knowledge_dir / "services" / "passport.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["fees"][0]["amount"] = {"zh": zh, "en": en}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def correct_passport_fee(ledger: Ledger, knowledge_dir: Path):
    """Lower the passport fee in a copy and prepare its correction for everyone told the old fee.
    Returns (the pending correction, the new knowledge base, since): send it with corrections.send."""
    from bot.answering import corrections
    from bot.knowledge.diff import diff_knowledge

    old = load_knowledge(knowledge_dir)
    set_passport_fee(knowledge_dir, "每本100元", "CNY 100 per passport")
    new = load_knowledge(knowledge_dir)
    since = ledger.now().replace(year=2000)
    [pending] = corrections.prepare(ledger, old, new, diff_knowledge(old, new), since=since, actor="test")
    return pending, new, since


def load_table(name: str) -> list:
    """A YAML table of test cases from tests/cases/."""
    return yaml.safe_load((TESTS / "cases" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def knowledge():
    return load_knowledge(BUNDLED_KNOWLEDGE)


@pytest.fixture(scope="session")
def matcher(knowledge):
    return Matcher(knowledge)


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A writable copy of the bundled knowledge base, for tests that break or change it."""
    target = tmp_path / "knowledge"
    shutil.copytree(BUNDLED_KNOWLEDGE, target)
    return target


@pytest.fixture
def ledger(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    yield ledger
    ledger.close()


@pytest.fixture
def config(tmp_path) -> Config:
    return Config(database_path=tmp_path / "ledger.db")


@pytest.fixture
def assistant(ledger, config):
    return Assistant(KnowledgeStore(BUNDLED_KNOWLEDGE), ledger, config)


@pytest.fixture
def run(tmp_path, monkeypatch):
    """run(*args, input=None): `python -m bot ARGS` in-process, click's Result. It runs from tmp_path (no stray .env
    is read) with DATABASE_PATH the `ledger` fixture's file; arguments may be paths or numbers."""
    from click.testing import CliRunner

    from bot.cli.main import cli

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "ledger.db"))

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def api():
    """A fake Bot API on a local port, for a bot run as a real process (tests/process.py)."""
    from bot.telegram.fake_bot_api import FakeBotApi

    api = FakeBotApi().start()
    yield api
    api.stop()
