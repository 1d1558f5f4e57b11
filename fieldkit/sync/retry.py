"""Exponential backoff with full jitter for requests whose outcome is unknown."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RetryPolicy:
    """How often and how long to wait before resending the same request."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = field(default=random.random)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), full jitter."""
        ceiling = min(self.max_delay, self.base_delay * float(1 << max(0, attempt - 1)))
        wait = ceiling * float(self.jitter())
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Sleep before the next attempt and return how long."""
        seconds = self.delay(attempt, retry_after)
        self.sleep(seconds)
        return seconds
