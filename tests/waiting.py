"""The one way tests wait: poll a condition until it holds, or fail naming what was awaited.

`wait_until` blocks (for tests that drive a subprocess or a server thread); `wait_until_async`
is the same wait for coroutines, so the event loop the bot runs on keeps running meanwhile.
No test sleeps for a fixed time where it can wait for the event itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

INTERVAL = 0.02


class _Wait:
    def __init__(self, predicate: Callable[[], object], timeout: float, what: str):
        self.predicate, self.timeout, self.what = predicate, timeout, what
        self.deadline = time.monotonic() + timeout

    def check(self):
        """The predicate's truthy result, or None to go on waiting; fails once the time is up."""
        result = self.predicate()
        if result:
            return result
        if time.monotonic() >= self.deadline:
            raise AssertionError(f"timed out after {self.timeout}s waiting for {self.what}")
        return None


def wait_until(predicate: Callable[[], object], timeout: float = 15.0, what: str = "a condition"):
    """Return predicate()'s first truthy result, polling every INTERVAL seconds for up to `timeout`."""
    wait = _Wait(predicate, timeout, what)
    while (result := wait.check()) is None:
        time.sleep(INTERVAL)
    return result


async def wait_until_async(predicate: Callable[[], object], timeout: float = 15.0, what: str = "a condition"):
    """wait_until for coroutines: the event loop runs while it waits."""
    wait = _Wait(predicate, timeout, what)
    while (result := wait.check()) is None:
        await asyncio.sleep(INTERVAL)
    return result
