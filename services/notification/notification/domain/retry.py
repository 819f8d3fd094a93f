"""When to try a failed delivery again: exponential backoff with jitter, then a dead letter."""

from __future__ import annotations

import random


def backoff_s(attempt: int, *, base_s: float, max_s: float, rng: random.Random | None = None) -> float:
    """Delay after the `attempt`-th failure: base * 2^(attempt-1), capped, with "equal jitter" (50-100%).

    The jitter spreads the retries of many deliveries that failed together (a receiver's outage) so they do
    not all come back in the same instant.
    """
    ceiling = min(max_s, base_s * 2 ** min(max(attempt - 1, 0), 30))
    draw = (rng or random).random()
    return ceiling / 2 + draw * ceiling / 2


def is_exhausted(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


def should_pause(failing_for_s: float, pause_after_s: float) -> bool:
    """Time, not a count: a burst of failures in one bad minute must not stop a subscription for good."""
    return failing_for_s >= pause_after_s


def should_warn(failing_for_s: float, *, pause_after_s: float, warn_before_s: float) -> bool:
    return failing_for_s >= max(pause_after_s - warn_before_s, 0.0)
