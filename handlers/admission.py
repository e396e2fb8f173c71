"""The gate of every way into ordering (the card's +1, the order editor, the deep links, the
catalog Mini App): what Telegram says of the person in the purchase's community chat, asked
here before any transaction and handed to the use case as an `Admission`, which the use case
checks against the purchase (domain/membership.py). Strangers also see nothing of a purchase
they hold no stake in: neither its prices nor where to pay. And Telegram's news of people
joining and leaving a chat keeps the remembered answers current."""

from __future__ import annotations

from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import ChatMemberHandler, MessageHandler, filters

from domain import membership
from domain.community import Community
from domain.errors import N_, NotAllowed
from domain.membership import NOBODY, Admission, holds_stake, needs_membership
from domain.purchase import Purchase
from handlers.runtime import BotContext, Registration, Runtime
from runtime.membership import is_in
from texts.i18n import Translator


class MembershipUnchecked(NotAllowed):
    """Telegram did not answer whether the person is in the chat: nobody is let in on a
    guess, and nobody turned away for good."""


async def _is_staff(rt: Runtime, user_id: int, campaign_id: int | None) -> bool:
    """A platform admin, a driver, or the operator of the purchase's campaign."""
    if user_id in rt.settings.admin_ids:
        return True
    async with rt.database.reading() as uow:
        if campaign_id is not None:
            campaign = await uow.campaigns.get(campaign_id)
            if campaign is not None and campaign.operator_id == user_id:
                return True
        return await uow.logistics.is_driver(user_id)


async def _asked(rt: Runtime, bot: Bot, chat_id: int, user_id: int) -> bool:
    try:
        return await rt.members.is_member(bot, chat_id, user_id)
    except TelegramError:
        raise MembershipUnchecked(
            N_("Telegram did not say whether you are in the community's chat; try again")
        ) from None


async def admission_in_chat(
    rt: Runtime, bot: Bot, user_id: int, chat_id: int, purchase_id: int
) -> Admission:
    """A tap under a message in `chat_id` (a card in its group): someone remembered to be in
    that chat costs nothing; anyone else is looked at with the purchase, which may not need
    Telegram asked at all (open to anyone with the link, its head's or helper's own)."""
    if rt.members.known_in(chat_id, user_id):
        return Admission(member_of=chat_id)
    return await admission_by_id(rt, bot, user_id, purchase_id)


async def admission_by_id(rt: Runtime, bot: Bot, user_id: int, purchase_id: int) -> Admission:
    async with rt.database.reading() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is None:
        return NOBODY  # the use case says there is no such purchase
    return await admission_for(rt, bot, user_id, purchase)


async def admission_for(rt: Runtime, bot: Bot, user_id: int, purchase: Purchase) -> Admission:
    """The person, for a purchase read before: Telegram is asked only when its rule needs."""
    if not needs_membership(purchase, user_id):
        return NOBODY  # open to anyone with the link, or its head's or helper's own
    if await _asked(rt, bot, purchase.community_id, user_id):
        return Admission(member_of=purchase.community_id)
    return Admission(staff=await _is_staff(rt, user_id, purchase.campaign_id))


async def may_see(rt: Runtime, bot: Bot, user_id: int, purchase: Purchase) -> bool:
    """Whether the purchase's prices and payment details may be shown to the person
    (`domain.membership.may_see`); what she ordered there costs no question."""
    if holds_stake(purchase, user_id):
        return True
    return membership.may_see(purchase, user_id, await admission_for(rt, bot, user_id, purchase))


def for_members_only(t: Translator, community: Community | None) -> str:
    """What a stranger reads instead of a purchase: whose it is, and how to take part."""
    if community is None or not community.title:
        return t.gettext(
            "This purchase is for the members of its community chat. Join that chat to take part."
        )
    return t.gettext(
        "This purchase is for the members of “{chat}”. Join that chat to take part."
    ).format(chat=community.title)


# --- Telegram's news of people joining and leaving ------------------------------------------


async def member_changed(update: Update, context: BotContext) -> None:
    """A chat_member update (the bot is an administrator there): the person's new status."""
    changed = update.chat_member
    if changed is not None:
        new = changed.new_chat_member
        context.runtime.members.heard(changed.chat.id, new.user.id, is_in(new))


async def joined_or_left(update: Update, context: BotContext) -> None:
    """The service message of people joining the group, or of one leaving it."""
    message = update.effective_message
    if message is None:
        return
    members = context.runtime.members
    for person in message.new_chat_members or ():
        members.heard(message.chat_id, person.id, True)
    if message.left_chat_member is not None:
        members.heard(message.chat_id, message.left_chat_member.id, False)


# In a group of their own: they note, and the handlers of group 0 still see the update.
MEMBERSHIP_GROUP = 7

HANDLERS: list[Registration] = [
    (ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER), MEMBERSHIP_GROUP),
    (
        MessageHandler(
            filters.StatusUpdate.NEW_CHAT_MEMBERS | filters.StatusUpdate.LEFT_CHAT_MEMBER,
            joined_or_left,
        ),
        MEMBERSHIP_GROUP,
    ),
]
