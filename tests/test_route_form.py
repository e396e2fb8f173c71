"""The operator's delivery-day form starts where she is: the depot of her latest plan, or the
middle of the pickup points it serves, and the drivers she made so — no city written in."""

from __future__ import annotations

from sandbox.model import SandboxMessage
from tests.support.scenario import Community, community_running, local
from tests.test_campaigns import Platform, adopt, campaign_form, platform  # noqa: F401 -- its fixture
from tests.test_delivery import drivers, stopped_with_a_point


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
        assert line(first, "Drivers") == f"Drivers: {c.admin.id} (Olga)"
        # A day with nothing on the way, and no plan: she writes her depot in.
        empty = await form(c, local(9)[:10])
        assert line(empty, "Depot") == "Depot: <latitude>, <longitude> of your depot"

        dave, eve = await drivers(c)
        with_drivers = await form(c, day)
        # The form reads ids; each says whose it is, in brackets the form skips.
        assert line(with_drivers, "Drivers") == f"Drivers: {dave.id} (Dave), {eve.id} (Eve)"
        # The form sent back as it came, at her depot: the next one starts there.
        depot = line(with_drivers, "Depot")
        sent_back = (with_drivers.text or "").replace(depot, "Depot: 52.5200, 13.4050")
        await c.say(c.admin, sent_back, "Route plan")
        again = await form(c, local(9)[:10])
        assert line(again, "Depot") == "Depot: 52.52, 13.405"


async def test_another_operator_s_campaign_is_refused_before_any_form(
    platform: Platform,  # noqa: F811 -- the fixture imported above
) -> None:
    """Asking for the form of a campaign she does not run: one clear refusal, no form (and
    no half-answer cut short by an error)."""
    p = platform
    other = p.heads[0]
    await p.say(p.admin, f"/operator {p.operator.id}", "runs campaigns now")
    await p.say(p.admin, f"/operator {other.id}", "runs campaigns now")
    await p.say(p.operator, campaign_form(), "Campaign #1 Autumn honey is open")
    sent = await p.sandbox.send(other, "/routes 1")
    refused = await p.sandbox.wait_for_message(other.id, after=sent)
    assert (refused.text or "").startswith("Not done: only the campaign's operator")
    # Her own day's form still comes (she runs campaigns): the refusal was about that one.
    form = await p.say(other, f"/routes {local(6)[:10]}", "/routes")
    assert line(form, "Drivers") == f"Drivers: {other.id} (Hanna)"


async def test_a_campaign_s_form_starts_at_its_pickup_points_and_says_when_it_can_be_planned(
    platform: Platform,  # noqa: F811 -- the fixture imported above
) -> None:
    """Before the cut-off: /routes alone lists the campaign, its form starts at the middle of
    its communities' pickup points, and sent, it says when routes can be planned; the board
    counts one unit as one."""
    p = platform
    await p.say(p.admin, f"/operator {p.operator.id}", "runs campaigns now")
    await p.say(p.operator, campaign_form(), "Campaign #1 Autumn honey is open")
    listed = await p.say(p.operator, "/routes", "/routes 1")
    assert "Autumn honey" in (listed.text or "")
    for index, where in ((0, "52.50, 13.40 Hall A"), (1, "52.54, 13.44 Hall B")):
        for command, answer in (("/region North", "Region saved"), (f"/point {where}", "Hall")):
            sent = await p.sandbox.send(p.heads[index], command, chat=p.chats[index])
            await p.sandbox.wait_for_message(p.chats[index].id, answer, after=sent)
        card = await adopt(p, index)
    await p.sandbox.tap(p.members[1][0], card, "+1 Honey 0.5 kg", answer="You're in: 1 ×")
    board = await p.say(p.operator, "/campaign 1", "Block 2: 1 unit ·")
    assert "Block 1: 0 units ·" in (board.text or "")

    sent = await p.sandbox.send(p.operator, "/routes 1")
    form = await p.sandbox.wait_for_message(p.operator.id, "/routes 1\n", after=sent)
    assert line(form, "Depot") == "Depot: 52.52, 13.42"
    not_yet = await p.sandbox.wait_for_message(p.operator.id, "Not yet: campaign #1", after=form)
    assert "Autumn honey takes orders until its cut-off" in (not_yet.text or "")
    refused = await p.say(p.operator, form.text or "", "Not done: campaign #1 Autumn honey")
    assert "routes can be planned after that" in (refused.text or "")
