"""What the webhook server's /metrics shows Prometheus: counters the runtime moves as it
works, and gauges read from the database when Prometheus asks."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

UPDATES_HANDLED = Counter(
    "groupbuy_updates_handled", "Telegram updates this process handled", registry=REGISTRY
)
MESSAGES_SENT = Counter(
    "groupbuy_messages_sent",
    "Messages sent or edited by this process (rate() of it is the send rate)",
    ["method"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "groupbuy_telegram_429", "Answers 429 (Too Many Requests) from Telegram", registry=REGISTRY
)
MEMBERSHIP_CHECKS = Counter(
    "groupbuy_membership_checks",
    "Whether a person is in a community chat: remembered, or asked of Telegram",
    ["source"],
    registry=REGISTRY,
)
UPDATES_REFUSED = Counter(
    "groupbuy_updates_refused",
    "Updates not taken because their person already had too many waiting (a flood)",
    registry=REGISTRY,
)
DEADLINE_LATENESS = Histogram(
    "groupbuy_deadline_lateness_seconds",
    "How long after its deadline a purchase was stopped",
    buckets=(0.1, 0.5, 1, 2, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
LEADER = Gauge(
    "groupbuy_leader", "1 while this process leads (timers, notices, sending)", registry=REGISTRY
)
INBOX_DEPTH = Gauge(
    "groupbuy_inbox_depth", "Updates kept and not yet handled (all processes)", registry=REGISTRY
)
OUTBOX_DEPTH = Gauge(
    "groupbuy_outbox_depth", "Messages waiting to be sent (all processes)", registry=REGISTRY
)
