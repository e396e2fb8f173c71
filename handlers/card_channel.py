"""The community chat as publishing reaches it (`CardChannel` in domain/services/publishing.py):
the card rendered with texts/ and sent, pinned or retired through Telegram, the process's note
of the cards it knows, and the head told of a card refused."""

from __future__ import annotations

import contextlib
import logging

from telegram import Bot, InputMediaPhoto
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from domain.community import Community
from domain.ports import CardLocation
from domain.purchase import Purchase
from domain.services.publishing import CardNotPosted, CardPost, Refused, Unanswered
from domain.views import card_summary
from handlers.runtime import Runtime, community_translator, written_to_translator
from texts.card_view import card_keyboard, card_text, photo_album
from texts.i18n import Translator

log = logging.getLogger(__name__)


async def send_photos(
    bot: Bot, chat_id: int, t: Translator, purchase: Purchase, items_only: bool = False
) -> None:
    """The purchase's photos before its card: one photo, or an album of them. A photo
    Telegram no longer serves (a price list's address gone) costs the photos, not the card."""
    album = photo_album(t, purchase, items_only)
    try:
        if len(album) == 1:
            ((file_id, caption),) = album
            await bot.send_photo(chat_id, file_id, caption=caption, parse_mode=ParseMode.HTML)
        elif album:
            await bot.send_media_group(
                chat_id,
                [InputMediaPhoto(file_id, caption=caption, parse_mode=ParseMode.HTML)
                 for file_id, caption in album],
            )  # fmt: skip
    except TelegramError as error:
        log.info("photos of purchase %s not sent: %s", purchase.id, error.message)


def _may_be_posted(error: TelegramError) -> bool:
    """No answer (the card may be in the chat) or "not now" (flood control): the card is still
    to be posted. Anything else is Telegram's refusal."""
    unanswered = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    return unanswered or isinstance(error, RetryAfter)


class TelegramCardChannel:
    """Cards in Telegram chats, for the publishing use cases."""

    def __init__(self, bot: Bot, rt: Runtime) -> None:
        self.bot = bot
        self.rt = rt

    async def post(
        self, purchase: Purchase, community: Community, chat_id: int, photos: bool
    ) -> CardPost:
        t = community_translator(community)
        if photos:
            await send_photos(self.bot, chat_id, t, purchase)
        try:
            message = await self.bot.send_message(
                chat_id,
                card_text(t, purchase, card_summary(purchase), self.rt.clock()),
                parse_mode=ParseMode.HTML,
                reply_markup=card_keyboard(t, purchase, self.bot.username),
            )
        except TelegramError as error:
            return Unanswered(str(error)) if _may_be_posted(error) else Refused(error.message)
        return CardLocation(message.chat_id, message.message_id)

    async def pin(self, purchase_id: int, location: CardLocation) -> None:
        try:
            await self.bot.pin_chat_message(
                location.chat_id, location.message_id, disable_notification=True
            )
        except TelegramError as error:
            log.info("card of purchase %s not pinned: %s", purchase_id, error.message)

    async def retire(self, location: CardLocation) -> None:
        """The one recorded stays, this one goes, so no card shows a stale count."""
        try:
            await self.bot.delete_message(location.chat_id, location.message_id)
        except TelegramError as error:  # too old to delete: at least its buttons go
            log.info("card twin %s not deleted: %s", location, error)
            with contextlib.suppress(TelegramError):
                await self.bot.edit_message_reply_markup(location.chat_id, location.message_id)

    def remember(self, purchase_id: int, location: CardLocation) -> None:
        self.rt.remember_card(purchase_id, location.chat_id, location.message_id)

    def redraw(self, purchase_id: int) -> None:
        self.rt.cards.request(purchase_id)

    async def tell_head(self, purchase_id: int, error: CardNotPosted) -> None:
        """Through the outbox, in the head's language, once per purchase."""
        rt = self.rt
        async with rt.database.unit_of_work() as uow:
            purchase = await uow.purchases.read(purchase_id)
            assert purchase is not None  # purchases are never deleted
            community = await uow.communities.get(purchase.community_id)
            languages = await uow.telegram.languages([purchase.head_id])
            t = written_to_translator(languages, purchase.head_id, community)
            text = t.gettext("Purchase “{title}”: {reason}").format(
                title=purchase.title, reason=t.reason(error)
            )
            await uow.outbox.enqueue(
                f"card-refused:{purchase_id}", purchase.head_id, {"text": text}, rt.clock()
            )
            await uow.commit()
