"""Online backups of the ledger with SQLite's backup API, and restoring one.

A backup is consistent even while the bot writes (it copies one snapshot); copying the file with `cp`
while the bot runs is not (the WAL holds the latest pages).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from bot.records.ledger import connect, utc_now
from bot.records.rows import Lease

PREFIX = "ledger-"


class BackupError(Exception):
    """A backup or restore could not be made; the message names the path and the fix"""


def backup_ledger(source: str | Path, destination: str | Path, now: dt.datetime | None = None, *,
                  folder: bool = False) -> Path:
    """Copy the ledger to `destination`: a file, or a folder (with folder=True, an existing folder or a path
    ending in '/') that gets ledger-<UTC time>.db. Return the file written."""
    if not Path(source).is_file():
        raise BackupError(f"The ledger file {source} does not exist; set DATABASE_PATH (or --database) to the "
                          "bot's ledger.")
    folder = folder or Path(destination).is_dir() or str(destination).endswith(os.sep)
    source, destination = Path(source), Path(destination)
    if folder:
        stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%S%fZ")
        destination = destination / f"{PREFIX}{stamp}.db"
    partial = destination.with_name(destination.name + ".partial")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        _copy(connect(source, read_only=True), connect(partial))
        os.replace(partial, destination)  # a backup file is complete or absent
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not back up {source} to {destination} ({exc}); check that {destination.parent} "
                          "exists, is writable and has room.") from None
    return destination


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def prune_backups(folder: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups the bot made in a folder; return what was deleted."""
    backups = sorted(Path(folder).glob(f"{PREFIX}*.db"))
    old = backups[:-keep] if keep else backups
    for path in old:
        path.unlink(missing_ok=True)
    return old


def check_backup(path: str | Path) -> int:
    """Check a backup file; return how many cases it holds."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"The backup {path} does not exist; name a file made by `python -m bot backup`.")
    try:
        connection = connect(path, read_only=True)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise BackupError(f"The backup {path} is damaged ({result}); use an older backup.")
            return connection.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"The backup {path} is not a ledger backup ({exc}); name a file made by "
                          "`python -m bot backup`.") from None


def restore_ledger(backup: str | Path, target: str | Path, *, check: bool = True) -> None:
    """Replace the ledger at `target` with a backup (the bot must be stopped). The case-number file beside the
    ledger is kept, so case numbers issued after the backup are not issued again. check=False when the caller
    ran check_backup already (it reads the whole file)."""
    if check:
        check_backup(backup)
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy(connect(backup, read_only=True), connect(target))
    except (sqlite3.Error, OSError) as exc:
        raise BackupError(f"Could not restore {backup} into {target} ({exc}); check that {target.parent} is "
                          "writable and that the bot is stopped.") from None


def live_lease(path: str | Path, now: dt.datetime | None = None) -> Lease | None:
    """The lease of a bot that is using the ledger at `path` right now, if any."""
    if not Path(path).is_file():
        return None
    try:
        connection = connect(path, read_only=True)
        connection.row_factory = sqlite3.Row
        try:
            row = connection.execute("SELECT * FROM lease WHERE name = 'bot'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None  # no lease table: no bot has run on it
    lease = Lease.from_row(dict(row)) if row else None
    return lease if lease and lease.expires_at > (now or utc_now()) else None
