"""The bot joins a group: the community is registered; chat admins change its settings."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.ext import (
    ChatMemberHandler,
)

from domain.community import Community, OpenRule, changes_between
from handlers.runtime import (
    BotContext,
    Registration,
    anywhere,
    change_community,
    community_translator,
    ensure_community,
    is_chat_admin,
    person_translator,
)
from texts.i18n import SUPPORTED_LANGUAGES, Translator

GROUP_TYPES = (ChatType.GROUP, ChatType.SUPERGROUP)


async def bot_added(update: Update, context: BotContext) -> None:
    """Register the community when the bot is added to a group, and say hello there."""
    change = update.my_chat_member
    if change is None or change.chat.type not in GROUP_TYPES:
        return
    was_in = change.old_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    is_in = change.new_chat_member.status in (
        ChatMemberStatus.MEMBER,
        ChatMemberStatus.ADMINISTRATOR,
    )
    if was_in or not is_in:
        return
    # A new community speaks the language of the person who added the bot (an admin there),
    # until the chat's admins change it with /settings.
    community = await ensure_community(context, change.chat, change.from_user.language_code)
    t = community_translator(community)
    await context.bot.send_message(
        community.chat_id,
        t.gettext(
            "Hello, {title}! I run group purchases here.\n"
            "A head sends /new to open one; members tap +1 under the purchase card to join, "
            "and I keep everyone's order, amount due and pickup code in private chats.\n"
            "Chat admins can change the timezone, currency and language with /settings."
        ).format(title=escape(community.title)),
        parse_mode=ParseMode.HTML,
    )


def describe(t: Translator, community: Community) -> str:
    who = (
        t.gettext("anyone")
        if community.open_rule is OpenRule.ANYONE
        else t.gettext("chat admins only")
    )
    return t.gettext(
        "Settings of this community:\n"
        "timezone: {timezone}\ncurrency: {currency}\nlanguage: {language}\n"
        "who may open purchases: {who}\n\n"
        "Chat admins change them like this:\n"
        "/settings timezone Europe/Berlin\n/settings currency EUR\n"
        "/settings language ru (en, ru or zh_Hans)\n/settings open admins (or anyone)"
    ).format(
        timezone=community.timezone,
        currency=community.currency,
        language=community.language,
        who=who,
    )


def changed(t: Translator, community: Community, key: str, value: str) -> Community | str:
    """The community with one setting changed, or what is wrong with the value."""
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return t.gettext(
                "{value} is not a timezone; try Europe/Berlin or Asia/Shanghai"
            ).format(value=escape(value))
        return replace(community, timezone=value)
    if key == "currency":
        if not is_currency(value.upper()):
            return t.gettext("{value} is not a currency code; try EUR, RUB or CNY").format(
                value=escape(value)
            )
        return replace(community, currency=value.upper())
    if key == "language":
        if value not in SUPPORTED_LANGUAGES:
            return t.gettext("Choose the language en, ru or zh_Hans.")
        return replace(community, language=value)
    if key == "open" and value in ("admins", "anyone"):
        return replace(community, open_rule=OpenRule(value))
    return t.gettext("I don't know that setting. Send /settings to see what can be changed.")


async def settings_command(update: Update, context: BotContext) -> None:
    """/settings in a group: show the community's settings, or change one (chat admins)."""
    message = update.effective_message
    chat = update.effective_chat
    user = update.effective_user
    if message is None or chat is None or user is None:
        return
    if chat.type not in GROUP_TYPES:
        t = person_translator(update, context)
        await message.reply_text(t.gettext("Send /settings in your community chat."))
        return
    community = await ensure_community(context, chat)
    t = community_translator(community)
    args = context.args or []
    if not args:
        await message.reply_text(describe(t, community))
        return
    if not await is_chat_admin(context, chat.id, user.id):
        await message.reply_text(t.gettext("Only chat admins can change the settings."))
        return
    if len(args) != 2:
        await message.reply_text(
            t.gettext("Write one setting and its value, e.g. /settings currency EUR")
        )
        return
    outcome = changed(t, community, args[0].lower(), args[1])
    if isinstance(outcome, str):
        await message.reply_text(outcome, parse_mode=ParseMode.HTML)
        return
    await change_community(context, chat.id, changes_between(community, outcome))
    await message.reply_text(
        community_translator(outcome).gettext("Saved.")
        + "\n\n"
        + describe(community_translator(outcome), outcome)
    )


HANDLERS: list[Registration] = [
    anywhere("settings", settings_command),
    (ChatMemberHandler(bot_added, ChatMemberHandler.MY_CHAT_MEMBER), 0),
]
