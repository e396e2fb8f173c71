"""What every handler needs: the Runtime made once at start-up (settings, database, clock and
the runtime's pieces), the person's translator and actor, `@on_press` for buttons, and the
helpers each handlers module lists its HANDLERS with."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Protocol

from cachetools import LRUCache
from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    filters,
)

from domain import services
from domain.community import Community, CommunityChange
from domain.errors import N_, NotFound
from domain.permissions import Actor, ensure_can_manage
from domain.ports import Database, HandlerUnitOfWork
from domain.purchase import Purchase, PurchaseStatus
from domain.reports import Report, head_report
from handlers.names import NameBook
from runtime.card_refresher import CardRefresher
from runtime.inbox import Inbox
from runtime.membership import Memberships
from runtime.notifier import Notifier
from runtime.outbox_sender import OutboxSender
from runtime.table_reader import TableReader
from runtime.tap_batcher import TapBatcher
from runtime.timeline import Timeline
from texts.callback_data import Action, Callback, decode, is_action
from texts.i18n import Translator, pick_language, speaking

ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
# A handler and its group: each handlers module lists its own in HANDLERS, and the Application
# factory (bot/app.py) only collects them.
Registration = tuple[BaseHandler[Any, Any, Any], int]


class BotData:
    """What the application keeps across updates (its `bot_data`): the runtime, made in
    `post_init`; the composition root (bot/process.py) keeps its process's parts beside it."""

    runtime: Runtime | None = None

    def made_runtime(self) -> Runtime:
        if self.runtime is None:  # PTB handles no update before post_init has run
            raise RuntimeError("the runtime is made in post_init, and was not yet")
        return self.runtime


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every handler gets: `context.runtime` is the runtime, typed."""

    @property
    def runtime(self) -> Runtime:
        return self.bot_data.made_runtime()


Handler = Callable[[Update, BotContext], Any]


def on_buttons(handler: Handler, *actions: Action) -> list[Registration]:
    """The handler answers the buttons of these actions."""
    return [(CallbackQueryHandler(handler, pattern=is_action(action)), 0) for action in actions]


def in_private(command: str, handler: Handler) -> Registration:
    """A command that works in the private chat with the bot only."""
    return CommandHandler(command, handler, filters=filters.ChatType.PRIVATE), 0


def anywhere(command: str, handler: Handler) -> Registration:
    return CommandHandler(command, handler), 0


def utc_now() -> datetime:
    return datetime.now(UTC)


class Config(Protocol):
    """The settings handlers read (bot.settings.Settings has them): handlers do not import
    the composition root."""

    admin_ids: tuple[int, ...]
    default_currency: str
    default_language: str
    default_timezone: str
    max_fee_percent: Decimal


@dataclass
class Runtime:
    settings: Config
    database: Database
    clock: Callable[[], datetime] = utc_now
    # Made right after, since they read this runtime or need the bot.
    cards: CardRefresher[int] = field(init=False)
    # A member's latest editor redrawn after her taps on the card ((user, purchase)), in the
    # process that handles her updates (where `editors` knows it), coalesced like the card.
    editor_redraws: CardRefresher[tuple[int, int]] = field(init=False)
    taps: TapBatcher = field(init=False)
    notifier: Notifier = field(init=False)
    sender: OutboxSender = field(init=False)
    timeline: Timeline = field(init=False)
    inbox: Inbox = field(init=False)
    background: list[asyncio.Task[None]] = field(default_factory=list)
    # Where the catalog Mini App is served (bot/mini_app.py), when it is: its web_app buttons.
    mini_app_url: str | None = None
    # The payment provider's token (Telegram Payments), when one is set up: prepaid purchases
    # may then be paid with an invoice. Kept out of the runtime's repr, as every secret is.
    payment_token: str | None = field(default=None, repr=False)
    # Who chose a language with /language (user id → language): loaded at start-up and kept
    # in step by the handler, so picking a person's language costs no query per update.
    chosen_languages: dict[int, str] = field(default_factory=dict)
    # Told of every choice, so that other processes of the bot update their cache too.
    language_chosen: Callable[[int, str | None], None] = lambda _user_id, _language: None
    # People's names as Telegram shows them, for a few minutes (handlers/names.py).
    names: NameBook = field(default_factory=NameBook)
    # Who is in which community chat, as Telegram said lately (handlers/admission.py).
    members: Memberships = field(default_factory=Memberships)
    # Uploaded tables are read in processes of their own, a few at a time.
    tables: TableReader = field(default_factory=TableReader)
    # The latest order editor each person saw in their private chat, per purchase ((user,
    # purchase) → message id): an order saved in the catalog Mini App redraws it. In memory,
    # the EDITORS_KEPT used latest only (an LRU); one forgotten is redrawn by her Refresh.
    editors: LRUCache[tuple[int, int], int] = field(default_factory=lambda: LRUCache(EDITORS_KEPT))

    # Where each purchase's card is known to be (purchase id → (chat, message)), as its taps
    # found it recorded: a tap on that card costs no query to check it is the card. The latest
    # CARDS_KEPT used latest only (an LRU); a card recorded never moves.
    recorded_cards: LRUCache[int, tuple[int, int]] = field(
        default_factory=lambda: LRUCache(CARDS_KEPT)
    )

    def remember_card(self, purchase_id: int, chat_id: int, message_id: int) -> None:
        self.recorded_cards[purchase_id] = (chat_id, message_id)

    def remember_editor(self, user_id: int, purchase_id: int, message_id: int) -> None:
        self.editors[user_id, purchase_id] = message_id


EDITORS_KEPT = 10_000
CARDS_KEPT = 10_000


def community_translator(community: Community) -> Translator:
    """Messages to a chat speak the community's language and show its timezone."""
    return speaking(community.language, timezone=community.timezone)


def speaker_translator(
    rt: Runtime, user_id: int | None, app_language: str | None, community: Community | None
) -> Translator:
    """Someone who wrote or tapped (in a chat, in the Mini App): the language they chose with
    /language, else their Telegram app's, else the community's, else the default; in the
    community's timezone, else the default one."""
    return speaking(
        rt.chosen_languages.get(user_id) if user_id is not None else None,
        app_language,
        community.language if community else None,
        rt.settings.default_language,
        timezone=community.timezone if community else rt.settings.default_timezone,
    )


def person_translator(
    update: Update, context: BotContext, community: Community | None = None
) -> Translator:
    """The person behind the update (`speaker_translator`)."""
    return update_translator(context.runtime, update, community)


def update_translator(
    rt: Runtime, update: Update, community: Community | None = None
) -> Translator:
    """`person_translator` where no handler's context is at hand (an update turned away)."""
    user = update.effective_user
    return speaker_translator(
        rt, user.id if user else None, user.language_code if user else None, community
    )


def written_to_translator(
    languages: dict[int, str], user_id: int, community: Community | None
) -> Translator:
    """Someone the bot writes to first, with no update of theirs at hand: the language stored
    for them (`TelegramState.languages`), else the community's, in its timezone."""
    return speaking(
        languages.get(user_id),
        community.language if community else None,
        timezone=community.timezone if community else "UTC",
    )


async def ensure_community(
    context: BotContext, chat: Chat, language: str | None = None
) -> Community:
    """The community for a group chat, registered on first sight with the default settings,
    speaking `language` (the language of whoever added the bot) when it is one of ours."""
    settings = context.runtime.settings
    fresh = Community(
        chat_id=chat.id,
        title=chat.title or "",
        timezone=settings.default_timezone,
        currency=settings.default_currency,
        language=pick_language(language, settings.default_language),
    )
    return await services.register_community(context.runtime.database.unit_of_work(), fresh)


async def load_community(context: BotContext, chat_id: int) -> Community | None:
    async with context.runtime.database.unit_of_work() as uow:
        return await uow.communities.get(chat_id)


async def change_community(
    context: BotContext,
    chat_id: int,
    changes: CommunityChange,
    update_id: int | None = None,
) -> None:
    """Write these settings of the community, and only these (a copy read before the last
    `await` may be stale: a whole save could undo a change made meanwhile)."""
    async with context.runtime.database.unit_of_work(update_id) as uow:
        await uow.communities.change(chat_id, changes)
        await uow.commit()


# --- short conversations: the next message is an answer, then back to what was going on ----


Conversation = tuple[str, dict[str, Any]]


def interrupting(found: Conversation | None, short_kinds: Collection[str]) -> dict[str, Any]:
    """A short answer (a driver's note, a comment, a token) asked for in the middle of
    something else (a purchase being opened in the wizard): what it was, to go back to after.
    Asked again while one of `short_kinds` waits, the older answer's way back is kept."""
    if found is None or found[0] in short_kinds:
        return {"previous": found[1].get("previous") if found else None}
    return {"previous": {"kind": found[0], "state": found[1]}}


async def end_conversation(context: BotContext, user_id: int, state: dict[str, Any]) -> None:
    """Back to where the person was before the short answer was asked for."""
    rt = context.runtime
    async with rt.database.unit_of_work() as uow:
        await back_to_previous(uow, user_id, state, rt.clock())
        await uow.commit()


async def back_to_previous(
    uow: HandlerUnitOfWork, user_id: int, state: dict[str, Any], now: datetime
) -> None:
    """`end_conversation` inside a unit of work that changes more."""
    previous = state.get("previous") or {"kind": "done", "state": {}}
    await uow.telegram.save_conversation(
        user_id, str(previous["kind"]), dict(previous["state"]), now
    )


async def is_chat_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    member = await context.bot.get_chat_member(chat_id, user_id)
    return member.status in ADMIN_STATUSES


async def is_chat_member(context: BotContext, chat_id: int, user_id: int) -> bool:
    member = await context.bot.get_chat_member(chat_id, user_id)
    return member.status in (*ADMIN_STATUSES, ChatMemberStatus.MEMBER)


def actor_for(update: Update, context: BotContext) -> Actor:
    """The person behind the update, and whether they are a platform admin."""
    user = update.effective_user
    assert user is not None
    return Actor(user.id, user.id in context.runtime.settings.admin_ids)


async def callback_or_refusal(
    update: Update, context: BotContext
) -> tuple[CallbackQuery, Callback] | None:
    """The pressed button's decoded data; a forged or unknown one is refused here, politely."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    if callback is None:
        await query.answer(
            person_translator(update, context).gettext("This button is no longer valid.")
        )
        return None
    return query, callback


@dataclass(frozen=True)
class Press:
    """A button pressed and decoded: what every callback handler starts from."""

    update: Update
    context: BotContext
    query: CallbackQuery
    callback: Callback
    t: Translator  # the person's language
    rt: Runtime
    actor: Actor

    def unit_of_work(self) -> HandlerUnitOfWork:
        """A unit of work for this update: a redelivered press changes nothing twice."""
        return self.rt.database.unit_of_work(self.update.update_id)


def on_press(handle: Callable[[Press], Awaitable[None]]) -> Handler:
    """The callback prologue, written once: decode the button (a forged or unknown one gets a
    polite refusal and reaches no handler), then hand the handler the press with the person's
    translator, the runtime and the actor."""

    @functools.wraps(handle)
    async def handler(update: Update, context: BotContext) -> None:
        pressed = await callback_or_refusal(update, context)
        if pressed is None:
            return
        query, callback = pressed
        t, rt, actor = (
            person_translator(update, context),
            context.runtime,
            actor_for(update, context),
        )
        await handle(Press(update, context, query, callback, t, rt, actor))

    return handler


async def reply(update: Update, text: str, **options: Any) -> Message:
    """Answer the message of this update (a command or a text), with send_message's options."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, **options)


async def redraw(message: Message, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit a message in place; one that already shows exactly this is left as it is (Telegram
    refuses such an edit, and pressing Refresh on an unchanged panel is not an error)."""
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in error.message:
            raise


async def head_community(uow: HandlerUnitOfWork, user_id: int) -> Community | None:
    """The community a head works in now: where they last began to open a purchase, or else
    that of the latest purchase they lead."""
    found = await uow.telegram.conversation(user_id)
    if found is not None and "community_id" in found[1]:
        return await uow.communities.get(int(found[1]["community_id"]))
    community_id = await uow.purchases.last_community_id(user_id)
    return None if community_id is None else await uow.communities.get(community_id)


async def managed_purchase(
    context: BotContext,
    purchase_id: int,
    actor: Actor,
    allowed: Callable[[Purchase, Actor], None] = ensure_can_manage,
) -> Purchase:
    """A purchase read for its head (or an admin) to act on — or for whom `allowed` lets act,
    such as a helper handing goods over; NotFound or NotAllowed else."""
    async with context.runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.read(purchase_id)
    if purchase is None or purchase.status is PurchaseStatus.DRAFT:  # a card never posted
        raise NotFound(N_("no such purchase"))
    allowed(purchase, actor)
    return purchase


async def load_report(
    context: BotContext, purchase_id: int, actor: Actor
) -> tuple[Purchase, Report]:
    """A purchase and its head's report (names and amounts): for its head or an admin only."""
    purchase = await managed_purchase(context, purchase_id, actor)
    return purchase, head_report(purchase, actor)


def purchase_command(text: str) -> tuple[int | None, str]:
    """`/command <purchase> <the rest>` (the rest may span lines): the purchase number, when
    there is one, and the rest without surrounding blanks."""
    parts = text.split(maxsplit=2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None, ""
    return int(parts[1]), parts[2].strip() if len(parts) > 2 else ""
