"""Every kind of domain event is told exactly one way: by the one notice that reacts to it, in
the head's digest, or by something else than a notice (the card). An event renamed, added or
claimed twice fails here instead of silently dropping its notices."""

from __future__ import annotations

import pytest

from domain import events
from runtime.event_notices import DIGEST_KINDS, UNTOLD_KINDS, EventNotices, reacts_to
from runtime.notifier import PurchaseNotices
from storage.event_log import LoggedEvent


def event_kinds() -> set[str]:
    found: set[str] = set()
    waiting = [events.Event]
    while waiting:
        for kind in waiting.pop().__subclasses__():
            found.add(kind.__name__)
            waiting.append(kind)
    return found


def test_every_event_kind_is_told_exactly_one_way() -> None:
    kinds = event_kinds()
    assert len(kinds) > 25
    ways = [set(PurchaseNotices.reactions), set(DIGEST_KINDS), set(UNTOLD_KINDS)]
    told = {kind: sum(kind in way for way in ways) for kind in kinds}
    assert {kind for kind, count in told.items() if count != 1} == set()
    assert set().union(*ways) <= kinds  # nothing reacts to a kind that no longer exists


def test_two_notices_reacting_to_one_kind_are_refused() -> None:
    class StopNotices(EventNotices):
        @reacts_to(events.PurchaseStopped)
        async def say_stopped(self, event: LoggedEvent) -> None: ...

    with pytest.raises(TypeError, match="PurchaseStopped"):

        class TwiceNotices(StopNotices):
            @reacts_to(events.PurchaseStopped, events.PurchaseFailed)
            async def say_ended(self, event: LoggedEvent) -> None: ...

    assert set(StopNotices.reactions) == {"PurchaseStopped"}
