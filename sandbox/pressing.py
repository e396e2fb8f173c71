"""The driver's people pressing the buttons under the bot's messages, and the toasts they get."""

from __future__ import annotations

import asyncio
import time

from sandbox.model import (
    CallbackAnswer,
    PendingCallback,
    SandboxMessage,
    SandboxUser,
)
from sandbox.people import People


def _answers(answered: CallbackAnswer, expected: str) -> bool:
    text = answered.text or ""
    return text.startswith(expected) if expected else not text


class Pressing(People):
    """A press of a button that is on a message now (or forged), and its answer awaited."""

    async def press(
        self,
        user: SandboxUser,
        message: SandboxMessage,
        label: str | None = None,
        data: str | None = None,
    ) -> PendingCallback:
        """Press the button labelled `label` (or carrying `data`) under `message`.

        Only buttons that are on the message now can be pressed, as in the app; pass `data`
        with `forged=True` semantics through `press_forged` to send what no button carries.
        """
        chat = self.emulator.chats[message.chat_id]
        self._require_member(chat, user)
        current = self.emulator.messages[(message.chat_id, message.message_id)]
        if current.deleted:
            raise ValueError("that message was deleted")
        buttons = [
            b
            for b in current.buttons()
            if "callback_data" in b
            and (label is None or b["text"] == label)
            and (data is None or b["callback_data"] == data)
        ]
        if not buttons:
            shown = [b["text"] for b in current.buttons()]
            raise ValueError(f"no button {label or data!r} on that message; it has {shown}")
        return self._callback(user, current, buttons[0]["callback_data"])

    def press_forged(
        self, user: SandboxUser, message: SandboxMessage, data: str
    ) -> PendingCallback:
        """A modified client sends callback data that no button carries."""
        return self._callback(user, message, data)

    def _callback(self, user: SandboxUser, message: SandboxMessage, data: str) -> PendingCallback:
        pending = PendingCallback(
            str(next(self._callback_ids)), user.id, message.chat_id, message.message_id, data
        )
        pending.pressed_at = time.perf_counter()
        self.emulator.callbacks[pending.id] = pending
        pending.update_id = self.emulator.push_update(
            "callback_query",
            {
                "id": pending.id,
                "from": user.to_api(),
                "message": self.emulator.message_to_api(message),
                "chat_instance": str(message.chat_id),
                "data": data,
            },
        )
        return pending

    async def answer_of(self, pending: PendingCallback, timeout: float = 10.0) -> CallbackAnswer:
        """The toast the bot answered a button press with. Waits on the press's own event: a
        rush of a thousand presses waiting on the sandbox's one "something changed" would wake
        every waiter at every call the bot makes (a thousand squared checks, spent in the same
        process as the bot under measure)."""
        await asyncio.wait_for(pending.answered.wait(), timeout)
        assert pending.answer is not None
        return pending.answer

    async def tap(
        self,
        user: SandboxUser,
        message: SandboxMessage,
        label: str,
        timeout: float = 10.0,
        *,
        answer: str | None = None,
    ) -> CallbackAnswer:
        """Press a button and wait for its toast. With `answer`, the toast must start with it
        ("" for a press answered without a word)."""
        answered = await self.answer_of(await self.press(user, message, label), timeout)
        if answer is not None and not _answers(answered, answer):
            raise AssertionError(f"{label!r} was answered {answered.text!r}, not {answer!r}")
        return answered
