"""A member's answer to "that is more than anyone would usually order": Confirm saves the
quantity the order editor asked about (handlers/my_orders.py asks); Change is the editor's
item's button (the editor again, at that item). docs/checks.md, "Quantities no one means"."""

from __future__ import annotations

from telegram import Message

from domain import services
from domain.errors import DomainError
from domain.ports import AlreadyProcessed
from handlers.admission import admission_by_id
from handlers.order_editor import send_editor
from handlers.purchase_card import refusal
from handlers.runtime import Press, Registration, on_buttons, on_press
from texts.callback_data import Action
from texts.order_picker import EditorFocus


@on_press
async def confirm_unusual(press: Press) -> None:
    """Yes, that many: the line is set to the quantity asked about, for the person pressing."""
    purchase_id, item_id, quantity = press.callback.args
    user = press.query.from_user
    message = press.query.message if isinstance(press.query.message, Message) else None
    try:
        admission = await admission_by_id(press.rt, press.context.bot, user.id, purchase_id)
        await services.confirm_quantity(
            press.unit_of_work(), purchase_id, user.id, user.full_name, item_id, quantity,
            press.rt.clock(), admission,
        )  # fmt: skip
    except AlreadyProcessed:
        return
    except DomainError as error:
        await press.query.answer(refusal(press.t, error))
    else:
        press.rt.cards.request(purchase_id)
        await press.query.answer(press.t.gettext("Updated."))
    # A compact editor stays at the item she was changing.
    focus = EditorFocus(item_id=item_id)
    await send_editor(press.update, press.context, purchase_id, edit=message, focus=focus)


HANDLERS: list[Registration] = on_buttons(confirm_unusual, Action.ORDER_CONFIRM_UNUSUAL)
