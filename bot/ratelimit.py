"""A per-user sliding-window rate limit (in memory: a restart forgives everyone)."""

from __future__ import annotations

from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._noticed: dict[str, float] = {}

    def allow(self, key: str, now: float) -> bool:
        window = self._seen[key]
        while window and now - window[0] >= 60:
            window.popleft()
        window.append(now)
        return len(window) <= self.per_minute

    def should_notice(self, key: str, now: float) -> bool:
        """Tell a flooding user once per minute, not once per message."""
        if now - self._noticed.get(key, -60.0) >= 60:
            self._noticed[key] = now
            return True
        return False
