"""A community's pickup point on the map, where the delivery routes stop: /point in its chat
(its admins) or in the private chat, or a location shared with the bot in the private chat."""

from __future__ import annotations

from html import escape

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import MessageHandler, filters

from domain.community import Community
from domain.errors import DomainError
from domain.geo import GeoPoint, PickupPoint, parse_pickup_point
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    anywhere,
    head_community,
    is_chat_admin,
    person_translator,
    reply,
)


async def _save_point(
    update: Update, context: BotContext, community: Community, pickup: PickupPoint
) -> None:
    async with context.runtime.database.unit_of_work(update.update_id) as uow:
        await uow.communities.change(community.chat_id, {"pickup": pickup})
        await uow.commit()
    t = person_translator(update, context, community)
    await reply(
        update,
        t.gettext(
            '📍 Pickup point of {community} saved: {address} (<a href="{map}">map</a>). The '
            "delivery routes stop here."
        ).format(
            community=escape(community.title),
            address=escape(pickup.address or str(pickup.point)),
            map=pickup.point.map_link(),
        ),
        parse_mode=ParseMode.HTML,
    )


async def _private_community(update: Update, context: BotContext) -> Community | None:
    """In the private chat: the community of the head's latest purchase (or None, said)."""
    user = update.effective_user
    assert user is not None
    async with context.runtime.database.unit_of_work() as uow:
        community = await head_community(uow, user.id)
    if community is None:
        t = person_translator(update, context)
        await reply(
            update,
            t.gettext(
                "I know no community of yours yet: send /point lat, lon in your community's chat "
                "(as one of its admins), or open a purchase there first."
            ),
        )
    return community


async def set_point(update: Update, context: BotContext) -> None:
    """/point lat, lon [address]: in the community chat (its admins), or in private for the
    community of the head's latest purchase; alone, the point as it is and how to set it."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    rest = (message.text or "").partition(" ")[2].strip()
    if chat.type == "private":
        community = await _private_community(update, context)
        if community is None:
            return
    else:
        async with context.runtime.database.unit_of_work() as uow:
            community = await uow.communities.get(chat.id)
        if community is None:
            t = person_translator(update, context)
            await reply(update, t.gettext("/point is for a community chat the bot is in."))
            return
    t = person_translator(update, context, community)
    if not rest:
        current = (
            t.gettext("not set yet")
            if community.pickup is None
            else f"{community.pickup.address or '-'} · {community.pickup.point}"
        )
        await reply(
            update,
            t.gettext(
                "Pickup point of {community}: {point}. Set it with /point lat, lon and the "
                "address, e.g. /point 55.7558, 37.6173 Tverskaya 1 — or share a location with "
                "me in the private chat."
            ).format(community=community.title, point=current),
        )
        return
    if chat.type != "private" and not (
        actor_for(update, context).is_admin or await is_chat_admin(context, chat.id, user.id)
    ):
        await reply(update, t.gettext("Only the chat's admins set its pickup point."))
        return
    try:
        pickup = parse_pickup_point(rest)
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    await _save_point(update, context, community, pickup)


async def shared_location(update: Update, context: BotContext) -> None:
    """A location shared in the private chat: the pickup point of the head's community (its
    address as it was, or the one given later with /point)."""
    message = update.effective_message
    assert message is not None and message.location is not None
    community = await _private_community(update, context)
    if community is None:
        return
    t = person_translator(update, context, community)
    try:
        point = GeoPoint(message.location.latitude, message.location.longitude)
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    address = community.pickup.address if community.pickup else ""
    await _save_point(update, context, community, PickupPoint(point, address))


HANDLERS: list[Registration] = [
    anywhere("point", set_point),
    (MessageHandler(filters.ChatType.PRIVATE & filters.LOCATION, shared_location), 0),
]
