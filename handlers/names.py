"""People's names as Telegram shows them to the bot, looked up once in a while rather than
once per person per redraw: a route board, a scorecard or a campaign's heads name the same few
people on every Refresh, and each lookup is a Bot API call under the bot's send pace."""

from __future__ import annotations

from collections.abc import Collection

from cachetools import TTLCache
from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from texts.i18n import Translator

# A name changed in Telegram shows within this long.
NAME_SECONDS = 300
# Someone Telegram did not show (never started the bot, left the chat) is asked about again
# after this long: she may start the bot any moment. No answer at all is not remembered.
UNSEEN_SECONDS = 60
# About the people an operator's and the heads' views name in a few minutes, many times over.
NAMES_KEPT = 10_000


class NameBook:
    """Names by user id, for a while; who Telegram did not show, for a shorter while."""

    def __init__(self) -> None:
        self._names: TTLCache[int, str] = TTLCache(maxsize=NAMES_KEPT, ttl=NAME_SECONDS)
        self._unseen: TTLCache[int, bool] = TTLCache(maxsize=NAMES_KEPT, ttl=UNSEEN_SECONDS)

    async def known(self, bot: Bot, user_ids: Collection[int]) -> dict[int, str]:
        """The names of those of `user_ids` Telegram shows the bot (people it has seen: in a
        chat with it, or who started it)."""
        names = {}
        for user_id in dict.fromkeys(user_ids):
            name = self._names.get(user_id)
            if name is None and user_id not in self._unseen:
                name = await self._asked(bot, user_id)
            if name:
                names[user_id] = name
        return names

    async def _asked(self, bot: Bot, user_id: int) -> str | None:
        try:
            name = (await bot.get_chat(user_id)).full_name
        except (BadRequest, Forbidden):  # Telegram does not show her to the bot
            self._unseen[user_id] = True
            return None
        except TelegramError:  # no answer now: asked again next time
            return None
        if name:
            self._names[user_id] = name
        return name or None

    async def readable(self, bot: Bot, user_ids: Collection[int], t: Translator) -> dict[int, str]:
        """Every one of `user_ids` named: someone Telegram no longer shows is "Person #n"
        (their place in `user_ids`), a name to read, never a user id."""
        known = await self.known(bot, user_ids)
        return {
            user_id: known.get(user_id) or t.gettext("Person #{number}").format(number=number)
            for number, user_id in enumerate(dict.fromkeys(user_ids), 1)
        }

    async def typed(self, bot: Bot, user_id: int) -> str:
        """Someone named by the id a person typed: "Alice (10002)" — the name says who it is,
        the id what was typed — or the id alone when Telegram does not show them."""
        name = (await self.known(bot, [user_id])).get(user_id)
        return f"{name} ({user_id})" if name else str(user_id)

    async def in_chat(self, bot: Bot, chat_id: int, user_id: int) -> str | None:
        """Someone's name as a chat they are in shows it (a head in her community's chat, who
        may never have started the bot); None when it does not."""
        name = self._names.get(user_id)
        if name is None:
            try:
                name = (await bot.get_chat_member(chat_id, user_id)).user.full_name
            except TelegramError:
                return None
            if name:
                self._names[user_id] = name
        return name or None
