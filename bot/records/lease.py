"""One instance at a time: a lease in the ledger (holder, heartbeat, expiry).

The bot takes the lease before it handles any update (recovered ones included) and renews it while it
runs. A second instance on the same ledger waits as a hot standby and takes over when the holder stops
(it releases the lease) or its lease expires. A holder on this machine whose process is gone is
replaced at once, so a restart after a crash does not wait for the expiry.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from bot.records.ledger import Ledger
from bot.records.rows import Lease


def _process_start(pid: int) -> str:
    """When a process started (clock ticks since boot), to tell a reused pid from the process that held it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return start == "?" or _process_start(pid) in (start, "?")


class LeaseLost(Exception):
    """Another instance took the lease while this one was running"""


class InstanceLease:
    def __init__(self, ledger: Ledger, seconds: float, name: str = "bot"):
        self.ledger = ledger
        host, pid = socket.gethostname(), os.getpid()
        self.mine = Lease(name, f"{host}:{pid}:{_process_start(pid)}", host, pid, seconds=seconds)

    def take(self) -> Lease | None:
        """Take the lease; None when taken, else the live lease of the other instance."""
        current = self.ledger.take_lease(self.mine, replacing=self._dead_holder())
        return None if current.holder == self.mine.holder else current

    def _dead_holder(self) -> str | None:
        current = self.ledger.lease(self.mine.name)
        if current is None or current.host != self.mine.host or current.holder == self.mine.holder:
            return None
        start = current.holder.rsplit(":", 1)[-1]
        return None if _alive(current.pid, start) else current.holder

    def renew(self) -> None:
        """Extend the lease; raise LeaseLost when another instance holds it now."""
        other = self.take()
        if other is not None:
            raise LeaseLost(f"Another instance ({describe(other)}) took over the ledger {self.ledger.path} because "
                            "this one did not renew its lease in time; this instance stops so that no update is "
                            "handled twice. Look for a stalled process or a clock jump, then start it again.")

    def release(self) -> None:
        self.ledger.release_lease(self.mine.holder, self.mine.name)


def describe(lease: Lease) -> str:
    started = lease.started_at.isoformat(timespec="seconds") if lease.started_at else "?"
    beat = lease.heartbeat_at.isoformat(timespec="seconds") if lease.heartbeat_at else "?"
    return f"process {lease.pid} on {lease.host}, running since {started}, last heartbeat {beat}"
