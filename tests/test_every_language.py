"""A whole purchase, from /start to completion, played in Russian and in Chinese through the
sandbox: every text, edit, toast and document name the bot produced is then checked for an
unfilled placeholder, and every text for the language's own script (so an English string that
slipped past the catalogs shows up here, not in a neighbour's chat)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from handlers.language import NAMES
from handlers.runtime import Runtime
from sandbox.driver import Match, Sandbox
from sandbox.model import SandboxChat, SandboxMessage, SandboxUser
from tests.support.running import ShiftedClock, bot_running, eventually, sandbox_running
from tests.support.scenario import TIMEZONE, joined_toast, local, tap_and_confirm
from texts.callback_data import Action, decode, encode
from texts.i18n import Translator, pick_language


def label_of(message: SandboxMessage, action: Action) -> str:
    """The button of `action` under `message`, whatever the language calls it."""
    return next(
        b["text"]
        for b in message.buttons()
        if (pressed := decode(b.get("callback_data"))) and pressed.action is action
    )


def has(message: SandboxMessage, action: Action) -> bool:
    return any(
        (pressed := decode(b.get("callback_data"))) and pressed.action is action
        for b in message.buttons()
    )


@dataclass(frozen=True)
class Language:
    code: str  # the Telegram app's language_code
    setting: str  # the community setting
    script: re.Pattern[str]
    template: Callable[[], str]
    broken_template: str


def russian_template() -> str:
    deadline = datetime.strptime(local(3), "%Y-%m-%d %H:%M")  # noqa: DTZ007 - a local time
    pickup = datetime.strptime(local(5), "%Y-%m-%d %H:%M")  # noqa: DTZ007
    return (
        "Название: Мёд с Алтая\n"
        "Описание: Сырой мёд, урожай 2025 года\n"
        "Товар: Мёд 1 кг | 12.50 | упаковка 6 | макс 10\n"
        "Товар: Мёд 0,5 кг | 7.00\n"
        "Минимальный заказ: 6 шт\n"
        f"Стоп: {deadline:%d.%m.%Y %H:%M}\n"
        f"Выдача: {pickup:%d.%m.%Y} 10:00-12:00 | Дом культуры, ул. Садовая 5\n"
        "Оргсбор: 5%\n"
        "Доставка: 20.00 по сумме"
    )


def chinese_template() -> str:
    return (
        "标题：阿尔泰蜂蜜\n"
        "描述：2025 年的原蜜\n"
        "商品：蜂蜜 1 公斤 | 12.50 | 每箱 6 | 最多 10\n"
        "商品：蜂蜜 半公斤 | 7.00\n"
        "起订量：6 件\n"
        f"截止：{local(3)}\n"
        f"取货：{local(5)[:10]} 10:00-12:00 | 社区活动室\n"
        "服务费：5%\n"
        "运费：20.00 按金额"
    )


LANGUAGES = [
    Language(
        "ru", "ru", re.compile("[а-яА-ЯёЁ]"), russian_template, "Название: Мёд\nТовар: Мёд | 1"
    ),
    Language(
        "zh-hans",
        "zh_Hans",
        re.compile("[\u4e00-\u9fff]"),
        chinese_template,
        "标题：蜂蜜\n商品：蜂蜜 | 1",
    ),
]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}|\{|\}")
# Three English words in a row: a string that missed the catalog, inside a translated one.
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b")
COMMAND_LINE = re.compile(r"/[a-z]+[^\n]*")  # "/settings timezone Europe/Moscow" is typed as is


PEOPLE = ("Anna", "Boris", "Vera")


def marked(sandbox: Sandbox, chat_id: int, marker: str, count: int = 1) -> bool:
    """`count` messages carrying the (language-neutral) emoji `marker` reached the chat."""
    return sum(marker in m.body for m in sandbox.bot_messages(chat_id)) >= count


async def reply(
    sandbox: Sandbox, user: SandboxUser, text: str, match: Match = ""
) -> SandboxMessage:
    sent = await sandbox.send(user, text)
    return await sandbox.wait_for_message(user.id, match, after=sent)


def with_buttons(message: SandboxMessage) -> bool:
    return bool(message.buttons())


async def play_a_whole_purchase(
    sandbox: Sandbox,
    runtime: Runtime,
    clock: ShiftedClock,
    chat: SandboxChat,
    language: Language,
    readers: dict[int, Translator],
) -> None:
    """From /start to completion in the community's `language` (its template, the head's
    panel): every notice of the purchase's course reaches the head and both members, each tap's
    answer checked in its reader's language (`readers`: head, member, member, by user id)."""
    head, alice, bob = (sandbox.emulator.users[user_id] for user_id in readers)
    for person in (head, alice, bob):
        await reply(sandbox, person, "/start")
        await reply(sandbox, person, "/help")

    # a template with a problem, then the right one
    sent = await sandbox.send(head, "/new\n" + language.broken_template, chat=chat)
    await sandbox.wait_for_message(chat.id, after=sent)
    sent = await sandbox.send(head, "/new\n" + language.template(), chat=chat)
    card = await sandbox.wait_for_message(chat.id, with_buttons, after=sent)
    plus_one, second_item = card.buttons()[0]["text"], card.buttons()[1]["text"]
    for units in range(1, 6):
        await sandbox.tap(alice, card, plus_one,
                          answer=joined_toast(readers[alice.id], units, plus_one[3:]))  # fmt: skip
    await sandbox.tap(bob, card, plus_one, answer=joined_toast(readers[bob.id], 1, plus_one[3:]))
    await sandbox.tap(bob, card, second_item,
                      answer=joined_toast(readers[bob.id], 1, second_item[3:]))  # fmt: skip
    editor = await reply(sandbox, alice, "/orders")

    # the head's edit form, in this language, reads back as it was written
    panel = await reply(sandbox, head, "/purchases", with_buttons)
    await sandbox.tap(head, panel, label_of(panel, Action.HEAD_EDIT), answer="")
    form = await sandbox.wait_for_message(head.id, "/edit 1", after=panel)
    nothing = readers[head.id].gettext("Nothing changed: those are the terms already.")
    # A notice (the minimum reached) may come in between: wait for the answer itself.
    unchanged = await reply(sandbox, head, form.text or "", nothing)
    assert unchanged.text == nothing
    await reply(sandbox, alice, "/language", "")
    await reply(sandbox, bob, "/reminders", "")

    async with runtime.database.unit_of_work() as uow:
        purchase = await uow.purchases.get(1)
    assert purchase is not None
    clock.offset = purchase.deadline + timedelta(seconds=1) - datetime.now(UTC)
    await runtime.timeline.sweep()
    await eventually(lambda: marked(sandbox, alice.id, "🛑") and marked(sandbox, bob.id, "🛑"))

    # Alice says she paid; the head lists payments, reminds, and confirms hers
    stopped_editor = await reply(sandbox, alice, "/orders", with_buttons)
    i_paid = encode(Action.ORDER_PAID, 1)
    await sandbox.answer_of(await sandbox.press(alice, stopped_editor, data=i_paid))
    claim = await sandbox.wait_for_message(head.id, lambda m: "💰" in (m.text or ""))

    # the panel of a stopped purchase: mark ordered, cancel, what the supplier
    # confirmed, payments, participants, export...
    panel = await reply(sandbox, head, "/purchases", with_buttons)
    labels = [b["text"] for b in panel.buttons()]
    await sandbox.tap(head, panel, labels[2], answer="")  # the supplier's confirmation form
    await sandbox.wait_for_message(head.id, "/supply 1", after=panel)
    await sandbox.tap(head, panel, labels[3], answer="")  # payment details
    await sandbox.wait_for_message(head.id, "/edit 1", after=panel)
    await sandbox.tap(head, panel, labels[4], answer="")  # payments
    payments = await sandbox.wait_for_message(head.id, with_buttons, after=panel)
    reminded = readers[head.id].ngettext("Reminded {count} member.", "Reminded {count} members.", 1)
    await sandbox.tap(head, payments, payments.buttons()[-1]["text"],
                      answer=reminded.format(count=1))  # remind unpaid  # fmt: skip
    await eventually(lambda: marked(sandbox, bob.id, "💰"))  # Alice said she paid
    await sandbox.tap(head, claim, claim.buttons()[0]["text"],
                      answer=readers[head.id].gettext("Recorded; the member is told."))  # fmt: skip
    await eventually(lambda: marked(sandbox, alice.id, "✅"))
    await sandbox.tap(head, panel, labels[5], answer="")  # participants
    await sandbox.tap(head, panel, labels[6], answer="")  # export
    await eventually(lambda: len(sandbox.documents(head.id)) == 2)
    for ask, confirm, count in (
        (Action.HEAD_ORDERED, Action.HEAD_ORDERED_CONFIRM, 1),
        (Action.HEAD_ARRIVED, Action.HEAD_ARRIVED_CONFIRM, 2),
    ):
        panel = await reply(sandbox, head, "/purchases", with_buttons)
        await sandbox.tap(head, panel, label_of(panel, ask), answer="")  # it asks once
        asked = await sandbox.wait_for_edit(panel, lambda m, c=confirm: has(m, c))
        await sandbox.tap(head, asked, label_of(asked, confirm),
                          answer=readers[head.id].gettext("Done."))  # fmt: skip
        await eventually(lambda n=count: marked(sandbox, alice.id, "📦", count=n))
    async with runtime.database.unit_of_work() as uow:
        arrived = await uow.purchases.get(1)
    assert arrived is not None
    await reply(sandbox, head, "QQQQ")
    code = arrived.pickup_codes[bob.id].lower()
    handover = await reply(sandbox, head, code[:2] + " " + code[2:], with_buttons)
    await sandbox.tap(head, handover, handover.buttons()[0]["text"],
                      answer=readers[head.id].gettext("Handed over."))  # with the cash  # fmt: skip
    await eventually(lambda: marked(sandbox, bob.id, "✅", count=2))  # paid, handed over
    handover = await reply(sandbox, head, arrived.pickup_codes[alice.id], with_buttons)
    await sandbox.tap(head, handover, handover.buttons()[0]["text"],
                      answer=readers[head.id].gettext("Handed over."))  # fmt: skip
    await eventually(lambda: marked(sandbox, alice.id, "✅", count=2))
    await reply(sandbox, head, arrived.pickup_codes[alice.id])  # already handed over
    panel = await reply(sandbox, head, "/purchases", with_buttons)
    # Complete, which asks once (its question in her language) and acts on yes.
    await tap_and_confirm(sandbox, head, panel, panel.buttons()[0]["text"], readers[head.id])
    assert editor.text


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.setting)
async def test_a_whole_purchase_in_one_language_leaves_nothing_untranslated(
    sqlite_url: str, language: Language
) -> None:
    clock = ShiftedClock()
    async with sandbox_running() as sandbox:
        head, alice, bob = (sandbox.user(name, language_code=language.code) for name in PEOPLE)
        chat = sandbox.group("Дом 5 / 5号楼", members=[alice, bob], admins=[head])
        async with bot_running(sandbox, sqlite_url, clock, default_timezone=TIMEZONE) as runtime:
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id)
            sent = await sandbox.send(head, f"/settings language {language.setting}", chat=chat)
            await sandbox.wait_for_message(chat.id, after=sent)
            reader = Translator(pick_language(language.code))
            readers = {person.id: reader for person in (head, alice, bob)}
            await play_a_whole_purchase(sandbox, runtime, clock, chat, language, readers)
        shown: list[str] = []
        for message in sandbox.emulator.messages.values():
            if message.sender_id == sandbox.emulator.bot.id:
                shown.append(message.text or message.caption or "")
                shown.extend(b["text"] for b in message.buttons())
        answers = [p.answer for p in sandbox.emulator.callbacks.values()]
        assert None not in answers, "every tap was answered"
        toasts = [answer.text for answer in answers if answer and answer.text]
        for text in shown + toasts:
            assert not PLACEHOLDER.search(text), text
            assert not ENGLISH_PHRASE.search(COMMAND_LINE.sub("", text)), text
        # Item buttons carry the item's own name, and each language is named in itself.
        own_names = {*NAMES.values(), *(f"✓ {name}" for name in NAMES.values())}
        for text in shown:
            # A payment button is a member's name and amount; a rating is a number of stars.
            named = text.startswith(("+1 ", *(f"✅ {n}" for n in PEOPLE))) or bool(
                re.fullmatch(r"⭐ \d", text)
            )
            if text and not named and text not in own_names:
                assert language.script.search(text), f"not in {language.setting}: {text!r}"
        for text in toasts:
            assert language.script.search(text), f"not in {language.setting}: {text!r}"
        csv_name, csv_data = sandbox.documents(head.id)[0]
        assert csv_name.endswith(".csv")
        header = csv_data.decode("utf-8-sig").splitlines()[0]
        assert language.script.search(header), header
        assert sandbox.emulator.rate_limited == []


CYRILLIC = LANGUAGES[0].script
CHINESE = LANGUAGES[1].script
# What people wrote (the Russian template, the chat's title, their names) is theirs, in any
# message: what is left is the bot's own words.
THEIR_WORDS = (
    "Мёд с Алтая", "Сырой мёд, урожай 2025 года", "Мёд 1 кг", "Мёд 0,5 кг",
    "Дом культуры, ул. Садовая 5", "Дом 5 / 5号楼", *PEOPLE,
)  # fmt: skip


def bots_words(text: str) -> str:
    for words in THEIR_WORDS:
        text = text.replace(words, "")
    return text


async def test_every_private_message_speaks_its_readers_language_not_the_communitys(
    sqlite_url: str,
) -> None:
    """A Russian community whose head's Telegram speaks English and one member's Chinese:
    every notice of a whole purchase (digests, the stop and the supplier order, "I paid" and
    its answer, reminders, ordered, the pickup code, handover, completion and the rating) and
    every toast reaches each in their own language; the chat hears Russian."""
    clock = ShiftedClock()
    async with sandbox_running() as sandbox:
        head, alice, bob = (
            sandbox.user(name, language_code=code)
            for name, code in zip(PEOPLE, ("en", "zh-hans", "ru"), strict=True)
        )
        chat = sandbox.group("Дом 5 / 5号楼", members=[alice, bob], admins=[head])
        async with bot_running(sandbox, sqlite_url, clock, default_timezone=TIMEZONE) as runtime:
            await sandbox.add_bot(chat, by=head, as_admin=True, can_pin=True)
            await sandbox.wait_for_message(chat.id)
            sent = await sandbox.send(head, "/settings language ru", chat=chat)
            await sandbox.wait_for_message(chat.id, after=sent)
            readers = {
                head.id: Translator("en"), alice.id: Translator("zh_Hans"), bob.id: Translator("ru")
            }  # fmt: skip
            await play_a_whole_purchase(sandbox, runtime, clock, chat, LANGUAGES[0], readers)
        speaks = {head.id: None, alice.id: CHINESE, bob.id: CYRILLIC, chat.id: CYRILLIC}
        own_names = {*NAMES.values(), *(f"✓ {name}" for name in NAMES.values())}
        said: dict[int, list[str]] = {chat_id: [] for chat_id in speaks}
        # The chat's greeting came before it was set to Russian: its words count from the card.
        card = min(
            m.message_id
            for m in sandbox.emulator.messages.values()
            if m.chat_id == chat.id and "🛒" in (m.text or m.caption or "")
        )
        for message in sandbox.emulator.messages.values():
            if message.chat_id == chat.id and message.message_id < card:
                continue
            if message.sender_id == sandbox.emulator.bot.id and message.chat_id in said:
                said[message.chat_id].append(message.text or message.caption or "")
                said[message.chat_id].extend(
                    b["text"] for b in message.buttons() if b["text"] not in own_names
                )
        for pressed in sandbox.emulator.callbacks.values():
            if pressed.answer is not None and pressed.answer.text:
                said[pressed.user_id].append(pressed.answer.text)
        assert len(said[head.id]) > 40 and len(said[alice.id]) > 20, "the walk reached them"
        for chat_id, script in speaks.items():
            for text in map(bots_words, said[chat_id]):
                others = [s for s in (CYRILLIC, CHINESE) if s is not script]
                assert not any(s.search(text) for s in others), f"to {chat_id}: {text!r}"
                if script is not None and re.search("[^\\W\\d_]{2}", text):
                    assert script.search(text), f"to {chat_id}: {text!r}"
                if script is None:
                    assert not PLACEHOLDER.search(text), text
