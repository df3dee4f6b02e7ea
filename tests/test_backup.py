"""Backups of the ledger while it is written, scheduled backups, and restoring one (as the README says)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

import pytest

from bot.config import Config
from bot.records.backup import check_backup
from bot.records.ledger import Ledger
from bot.records.rows import Lease
from bot.telegram.app import run_backups
from tests.waiting import wait_until_async


def open_cases(ledger: Ledger, count: int) -> list[int]:
    return [ledger.open_case(channel="console", user_id=f"u{n}", chat_id=None, language="zh", question="养狗登记")
            for n in range(count)]


def test_backup_while_the_bot_writes_then_restore(run, tmp_path):
    database = tmp_path / "data" / "ledger.db"
    bot = Ledger(database)  # open, as a running bot has it: recent pages are still in the -wal file
    assert open_cases(bot, 3) == [1, 2, 3]
    backup_file = tmp_path / "backups" / "monday.db"
    result = run("backup", str(backup_file), "--database", str(database))
    assert result.exit_code == 0 and f"to {backup_file}" in result.output
    assert check_backup(backup_file) == 3
    assert open_cases(bot, 2) == [4, 5]  # work done after the backup

    # While a bot holds the ledger, restoring is refused.
    bot.take_lease(Lease("bot", f"{socket.gethostname()}:{os.getpid()}:?", socket.gethostname(), os.getpid()))
    refused = run("restore", str(backup_file), "--yes", "--database", str(database))
    assert refused.exit_code == 1
    assert f"A bot is using {database}" in refused.output and "stop it first" in refused.output
    bot.release_lease(f"{socket.gethostname()}:{os.getpid()}:?")
    bot.close()

    restored = run("restore", str(backup_file), "--database", str(database), input="y\n")
    assert restored.exit_code == 0 and "(3 case(s))" in restored.output
    ledger = Ledger(database)
    assert [case.id for case in ledger.cases()] == [1, 2, 3]
    assert ledger.case_number_gap() == (3, 5)
    assert open_cases(ledger, 1) == [6], "a case number issued after the backup was issued again"
    ledger.close()


def test_backup_names_the_problem(run, tmp_path):
    missing = run("backup", str(tmp_path / "b.db"), "--database", str(tmp_path / "nope.db"))
    assert missing.exit_code == 1 and f"The ledger file {tmp_path / 'nope.db'} does not exist" in missing.output
    (tmp_path / "junk.db").write_bytes(b"not a ledger at all" * 100)
    junk = run("restore", str(tmp_path / "junk.db"), "--yes", "--database", str(tmp_path / "l.db"))
    assert junk.exit_code == 1 and "is not a ledger backup" in junk.output


@pytest.mark.asyncio
async def test_scheduled_backups_keep_the_newest(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    database = tmp_path / "ledger.db"
    ledger = Ledger(database)
    open_cases(ledger, 1)
    folder = tmp_path / "backups"
    config = Config(database_path=database, backup_dir=folder, backup_every_seconds=0.01, backup_keep=2)
    stop = asyncio.Event()
    task = asyncio.create_task(run_backups(config, stop))
    await wait_until_async(lambda: len([r for r in caplog.records if "Backed up the ledger" in r.getMessage()]) >= 4,
                what="four scheduled backups")
    stop.set()
    await task
    kept = sorted(folder.glob("ledger-*.db"))
    assert len(kept) == 2 and all(check_backup(path) == 1 for path in kept)
    ledger.close()
