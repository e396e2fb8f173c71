"""Platform roles given by a user id: a platform admin makes operators (/operator), an
operator makes drivers (/driver). The one who typed the id hears whose it is; the person
granted is told, in her language, what she may do now and how to start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from telegram import Update

from domain import services
from domain.errors import N_, DomainError
from domain.permissions import Actor
from domain.ports import AlreadyProcessed, HandlerUnitOfWork
from handlers.purchase_card import not_done
from handlers.runtime import (
    BotContext,
    Registration,
    actor_for,
    in_private,
    person_translator,
    reply,
)
from texts.i18n import speaking


@dataclass(frozen=True)
class GrantTexts:
    """A grant-by-id command's words (marked with N_, translated where said): its usage, the
    answers when granted and when they had the role already ({person}: "Alice (10002)"), and
    the private message to the person granted ({by}: who granted it)."""

    usage: str
    granted: str
    already: str
    welcome: str


async def grant_by_id(
    update: Update,
    context: BotContext,
    grant: Callable[
        [HandlerUnitOfWork, Actor, int, datetime, services.TellGranted], Awaitable[bool]
    ],
    texts: GrantTexts,
) -> None:
    """`/<command> <user id>`: give someone a platform role through `grant`. The person
    granted is told in her language through the outbox, in the grant's transaction, when the
    bot can write to her; the one who granted hears her name and whether she was told."""
    t = person_translator(update, context)
    args = context.args or []
    user = update.effective_user
    assert user is not None
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, t.gettext(texts.usage))
        return
    user_id = int(args[0])
    rt = context.runtime
    now = rt.clock()
    uow = rt.database.unit_of_work(update.update_id)
    reached = False

    async def tell() -> None:
        nonlocal reached
        if user_id not in await uow.telegram.started_among([user_id]):
            return  # Telegram refuses a first message: she learns from whoever granted it
        languages = await uow.telegram.languages([user_id])
        hers = speaking(languages.get(user_id), rt.settings.default_language)
        text = hers.gettext(texts.welcome).format(by=user.full_name)
        reached = await uow.outbox.enqueue(
            f"granted:{update.update_id}:{user_id}", user_id, {"text": text}, now
        )

    try:
        granted = await grant(uow, actor_for(update, context), user_id, now, tell)
    except AlreadyProcessed:
        return
    except DomainError as error:
        await reply(update, not_done(t, error))
        return
    person = await context.runtime.names.typed(context.bot, user_id)
    if not granted:
        await reply(update, t.gettext(texts.already).format(person=person))
        return
    told = (
        t.gettext("I told them in a private message.")
        if reached
        else t.gettext(
            "They have not started the bot yet, so I could not tell them: ask them to open "
            "@{bot} and press Start."
        ).format(bot=context.bot.username)
    )
    await reply(update, t.gettext(texts.granted).format(person=person) + " " + told)


async def make_operator(update: Update, context: BotContext) -> None:
    """/operator <user id>: a platform admin lets someone run campaigns."""
    await grant_by_id(update, context, services.grant_operator, GrantTexts(
        usage=N_("Write /operator and the person's Telegram user id."),
        granted=N_("{person} runs campaigns now."),
        already=N_("{person} runs campaigns already."),
        welcome=N_(
            "{by} made you an operator: you may now run campaigns, which heads in many "
            "communities sell as their own purchases. To start one, send /newcampaign here."
        ),
    ))  # fmt: skip


async def make_driver(update: Update, context: BotContext) -> None:
    """/driver <user id>: an operator lets someone drive a line."""
    await grant_by_id(update, context, services.grant_driver, GrantTexts(
        usage=N_("Write /driver and the person's Telegram user id."),
        granted=N_("{person} drives now: name them under Drivers in /routes."),
        already=N_("{person} drives already."),
        welcome=N_(
            "{by} made you a driver. When they plan a delivery day with you on it, I send you "
            "your line here: its stops in order, with a button to mark each delivered. /myline "
            "shows it again."
        ),
    ))  # fmt: skip


HANDLERS: list[Registration] = [
    in_private("operator", make_operator),
    in_private("driver", make_driver),
]
