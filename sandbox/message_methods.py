"""The Bot API's methods on messages: send a text, edit, delete, pin; and a button's answer."""

from __future__ import annotations

import time
from typing import Any

from sandbox.api_params import NOT_MODIFIED, Params, bad_request
from sandbox.emulator_state import EmulatorState
from sandbox.formatting import utf16_length
from sandbox.model import CallbackAnswer, SandboxMessage


class MessageMethods(EmulatorState):
    """sendMessage, the edits of a message's text and keyboard, deleting, pinning, and
    answerCallbackQuery."""

    async def api_sendmessage(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        text, html = self._text(params, "text", self.limits.max_text_length)
        markup = self._markup(params, chat)
        self._ensure_can_post(chat)
        self._check_flood(chat)
        answered = self._answered(params, chat)
        message = self._new_message(
            chat, self.bot.id, text=text, html=html, reply_markup=markup,
            reply_to_message_id=answered,
        )  # fmt: skip
        return self.message_to_api(message)

    async def api_editmessagetext(self, params: Params) -> dict[str, Any]:
        message = self._own_message(params)
        text, html = self._text(params, "text", self.limits.max_text_length)
        markup = self._markup(params, self.chats[message.chat_id])
        if (text, html, markup) == (message.text, message.html, message.reply_markup):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_flood(self.chats[message.chat_id])
        message.text, message.html, message.reply_markup = text, html, markup
        message.edit_date = int(time.time())
        message.edits += 1
        return self.message_to_api(message)

    async def api_editmessagereplymarkup(self, params: Params) -> dict[str, Any]:
        message = self._own_message(params)
        markup = self._markup(params, self.chats[message.chat_id])
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        self._check_flood(self.chats[message.chat_id])
        message.reply_markup = markup
        message.edit_date = int(time.time())
        message.edits += 1
        return self.message_to_api(message)

    async def api_deletemessage(self, params: Params) -> bool:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        message.deleted = True
        return True

    async def api_pinchatmessage(self, params: Params) -> bool:
        self._pinnable(params, "message to pin not found").pinned = True
        return True

    async def api_unpinchatmessage(self, params: Params) -> bool:
        self._pinnable(params, "message to unpin not found").pinned = False
        return True

    def _pinnable(self, params: Params, not_found: str) -> SandboxMessage:
        chat = self._chat(params)
        message = self.messages.get((chat.id, params.int("message_id")))
        if message is None or message.deleted:
            raise bad_request(not_found)
        if not chat.is_private and not (
            chat.members.get(self.bot.id) == "administrator" and chat.bot_can_pin
        ):
            raise bad_request("not enough rights to manage pinned messages in the chat")
        return message

    async def api_answercallbackquery(self, params: Params) -> bool:
        pending = self.callbacks.get(str(params.required("callback_query_id")))
        if pending is None or pending.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text")
        if text is not None and utf16_length(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        pending.answer = CallbackAnswer(
            None if text is None else str(text), params.bool("show_alert"), params.get("url")
        )
        pending.answered_at = time.perf_counter()
        pending.answered.set()
        return True
