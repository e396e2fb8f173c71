"""/language: the language the bot speaks with a person in private, remembered."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

# Index 0 follows the person's Telegram app again; the others are our catalogs.
from handlers.runtime import (
    BotContext,
    Press,
    Registration,
    anywhere,
    on_buttons,
    on_press,
    person_translator,
)
from texts.callback_data import Action, encode
from texts.i18n import Translator

CHOICES: tuple[str | None, ...] = (None, "en", "ru", "zh_Hans")
# Each language named in itself, so a person who cannot read the current one finds theirs.
NAMES = {"en": "English", "ru": "Русский", "zh_Hans": "简体中文"}


def language_keyboard(t: Translator, chosen: str | None) -> InlineKeyboardMarkup:
    rows = []
    for index, code in enumerate(CHOICES):
        label = NAMES[code] if code else t.gettext("As in my Telegram app")
        mark = "✓ " if code == chosen else ""
        rows.append(
            [InlineKeyboardButton(mark + label, callback_data=encode(Action.LANGUAGE, index))]
        )
    return InlineKeyboardMarkup(rows)


def language_text(t: Translator) -> str:
    return t.gettext("I speak {language} with you. Choose another:").format(
        language=NAMES[t.language]
    )


async def language_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    user = update.effective_user
    chat = update.effective_chat
    if message is None or user is None or chat is None:
        return
    t = person_translator(update, context)
    if chat.type != ChatType.PRIVATE:
        await message.reply_text(
            t.gettext(
                "Choose your language in a private chat with me: /language. "
                "Chat admins set the group's language with /settings."
            )
        )
        return
    chosen = context.runtime.chosen_languages.get(user.id)
    await message.reply_text(language_text(t), reply_markup=language_keyboard(t, chosen))


@on_press
async def language_button(press: Press) -> None:
    query, rt = press.query, press.rt
    user = query.from_user
    index = press.callback.args[0]
    if not 0 <= index < len(CHOICES):
        await query.answer(press.t.gettext("This button is no longer valid."))
        return
    chosen = CHOICES[index]
    async with rt.database.unit_of_work() as uow:
        await uow.telegram.choose_language(user.id, chosen, rt.clock())
        await uow.commit()
    if chosen is None:
        rt.chosen_languages.pop(user.id, None)
    else:
        rt.chosen_languages[user.id] = chosen
    rt.language_chosen(user.id, chosen)  # other processes keep the same cache
    t = person_translator(press.update, press.context)  # the language just chosen
    await query.answer(t.gettext("Done."))
    await query.edit_message_text(language_text(t), reply_markup=language_keyboard(t, chosen))


HANDLERS: list[Registration] = [
    anywhere("language", language_command),
    *on_buttons(language_button, Action.LANGUAGE),
]
