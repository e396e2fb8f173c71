"""Telegram's flood control, as token buckets; every number is configurable."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """`rate` tokens a second, holding at most `burst`; a send takes one token."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def wait_needed(self, now: float, count: int = 1) -> float:
        """0 when `count` tokens are free now (a full bucket takes any album); otherwise the
        seconds until they are."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        needed = min(count, self.burst)
        return 0.0 if self.tokens >= needed else (needed - self.tokens) / self.rate

    def take(self, count: int = 1) -> None:
        self.tokens -= count


@dataclass
class Limits:
    """Flood limits close to Telegram's: 30 messages/s overall, about 1/s per private chat
    with a short burst, 20 per minute per group. Edits count like sends."""

    enabled: bool = True
    overall_per_second: float = 30
    overall_burst: float = 30
    private_per_second: float = 1
    private_burst: float = 3
    group_per_minute: float = 20
    group_burst: float = 20
    # Groups are paced per second too, as Telegram answers a burst of sends to one group.
    group_per_second: float = 1
    group_second_burst: float = 3
    max_text_length: int = 4096
    max_caption_length: int = 1024
    max_callback_data_bytes: int = 64


class FloodControl:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._overall = TokenBucket(limits.overall_per_second, limits.overall_burst)
        self._chats: dict[int, TokenBucket] = {}
        self._group_seconds: dict[int, TokenBucket] = {}

    def _bucket(self, chat_id: int, private: bool) -> TokenBucket:
        if chat_id not in self._chats:
            if private:
                bucket = TokenBucket(self.limits.private_per_second, self.limits.private_burst)
            else:
                bucket = TokenBucket(self.limits.group_per_minute / 60, self.limits.group_burst)
            self._chats[chat_id] = bucket
        return self._chats[chat_id]

    def retry_after(self, chat_id: int, private: bool, now: float, messages: int = 1) -> int:
        """0 and tokens taken when the send may go; else whole seconds to wait (≥ 1). An
        album is one request, and `messages` of a group's messages a minute."""
        chat = self._bucket(chat_id, private)
        needs = [(self._overall, 1), (chat, 1 if private else messages)]
        if not private:
            second = self._group_seconds.setdefault(
                chat_id, TokenBucket(self.limits.group_per_second, self.limits.group_second_burst)
            )
            needs.append((second, 1))
        if not self.limits.enabled:
            return 0
        wait = max(bucket.wait_needed(now, count) for bucket, count in needs)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket, count in needs:
            bucket.take(count)
        return 0
