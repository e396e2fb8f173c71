"""A photo a member sends in the private chat is a receipt: it says "I paid" for the one
purchase she is paying (or is one more receipt of her claim that waits), and reaches its head
with the buttons to answer — and, when the same picture was sent as a receipt to that head
before, a warning above them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from domain import services
from domain.errors import DomainError
from domain.payments import PaymentClaim
from domain.ports import AlreadyProcessed
from domain.purchase import Purchase
from domain.receipts import Receipt
from handlers.purchase_card import not_done
from handlers.runtime import BotContext, Registration, person_translator, written_to_translator
from runtime.receipt_pictures import receipt_picture
from texts.receipts_view import receipt_message, receipt_refusal, receipt_sent


async def receipt_photo(update: Update, context: BotContext) -> None:
    """A photo in the private chat is a receipt: it says "I paid" for the one purchase the
    member is paying — or, while her claim waits for the head, it is one more receipt of it
    (a sharper one, one for the rest) — and reaches the head with the buttons to answer,
    through the outbox written with the claim (a restart or a failing Telegram delays it,
    never loses it)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.photo
    t = person_translator(update, context)
    rt = context.runtime
    goal = await services.receipt_goal(rt.database.unit_of_work(), user.id)
    refusal = receipt_refusal(t, goal)
    if refusal:
        await message.reply_text(refusal)
        return
    purchase = goal.purchases[0]
    # Read before the claim's transaction, which holds no download open.
    picture = await receipt_picture(context.bot, message.photo)
    uow = rt.database.unit_of_work(update.update_id)
    now = rt.clock()

    async def tell_head(
        purchase: Purchase, claim: PaymentClaim, number: int, copies: list[Receipt]
    ) -> None:
        if claim.amount is None:
            return  # an old claim without an amount: answered from the payments list
        languages = await uow.telegram.languages([purchase.head_id])
        community = await uow.communities.get(purchase.community_id)
        head_t = written_to_translator(languages, purchase.head_id, community)
        photo = message.photo[-1].file_id
        # The first receipt's key is the one it always had: a replay across an upgrade.
        key = f"receipt:{purchase.id}:{claim.number}" + (f":{number}" if number > 1 else "")
        await uow.outbox.enqueue(
            key, purchase.head_id,
            receipt_message(head_t, purchase, user.full_name, claim, claim.amount, photo,
                            picture, copies, number),
            now,
        )  # fmt: skip

    try:
        _, number = await services.claim_with_receipt(
            uow, purchase.id, user.id, user.full_name, picture, now, tell_head
        )
    except AlreadyProcessed:
        return
    except DomainError as error:
        await message.reply_text(not_done(t, error))
        return
    await message.reply_text(receipt_sent(t, purchase.title, number))


HANDLERS: list[Registration] = [
    (
        # a caption that starts with a command is that command's (/new, /edit with a photo)
        MessageHandler(
            filters.ChatType.PRIVATE & filters.PHOTO & ~filters.CaptionRegex(r"^/"), receipt_photo
        ),
        0,
    ),
]
