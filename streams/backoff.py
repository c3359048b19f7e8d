"""Capped exponential backoff for reconnecting to cameras."""

import random


class Backoff:
    def __init__(self, initial_s: float = 1.0, max_s: float = 30.0, jitter: float = 0.1):
        self.initial_s = initial_s
        self.max_s = max_s
        self.jitter = jitter
        self._next = initial_s

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the following one up to the cap.
        A little jitter keeps hundreds of cameras from reconnecting in lockstep after an outage."""
        delay = self._next
        self._next = min(self.max_s, self._next * 2)
        return delay * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self._next = self.initial_s
