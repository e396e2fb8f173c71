"""The operator's delivery-day form starts where she is: the depot of her latest plan, or the
middle of the pickup points it serves, and the drivers she made so — no city written in."""

from __future__ import annotations

from sandbox.model import SandboxMessage
from tests.support.scenario import Community, community_running, local
from tests.test_delivery import drivers, routes_form, stopped_with_a_point


async def form(c: Community, day: str) -> SandboxMessage:
    sent = await c.sandbox.send(c.admin, f"/routes {day}")
    return await c.sandbox.wait_for_message(c.admin.id, "/routes", after=sent)


def line(message: SandboxMessage, key: str) -> str:
    return next(ln for ln in (message.text or "").splitlines() if ln.startswith(f"{key}: "))


async def test_the_form_starts_at_the_pickup_points_served_then_at_the_last_depot(
    sqlite_url: str,
) -> None:
    async with community_running(sqlite_url) as c:
        await stopped_with_a_point(c)
        day = local(6)[:10]
        # No plan yet, no driver: the middle of the day's pickup points, and herself.
        first = await form(c, day)
        assert line(first, "Depot") == "Depot: 52.531, 13.3847"
        assert line(first, "Drivers") == f"Drivers: {c.admin.id}"
        # A day with nothing on the way, and no plan: she writes her depot in.
        empty = await form(c, local(9)[:10])
        assert line(empty, "Depot") == "Depot: <latitude>, <longitude> of your depot"

        dave, eve = await drivers(c)
        with_drivers = await form(c, day)
        assert line(with_drivers, "Drivers") == f"Drivers: {dave.id}, {eve.id}"
        # The form as she sent it once: the next one starts at that depot.
        await c.say(c.admin, routes_form(day, [dave, eve], 10), "Route plan")
        again = await form(c, local(9)[:10])
        assert line(again, "Depot") == "Depot: 52.52, 13.405"
