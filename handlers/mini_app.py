"""The Mini App's requests, for the person its session names: the session itself (only for a
purchase the person may see), the purchase as a catalog (items with variants and rows, prices
and tiers, how far the next pack is, the person's own lines), the whole order saved in one unit
of work by the same use case rules as the buttons, and an item's photo. The web layer
(bot/mini_app.py) checks launch data, sessions and signed photo addresses and turns these into
JSON responses; a refusal comes back with its reason in the person's language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from telegram import Bot

from domain import services
from domain.errors import N_, DomainError, InvalidPurchase, NotFound, UnusualQuantity
from domain.money import minor_digits
from domain.purchase import Purchase
from domain.usual_quantities import unit_cost_minor
from domain.views import card_summary
from handlers.admission import admission_for, for_members_only, may_see
from handlers.order_editor import redraw_remembered_editor
from handlers.runtime import Runtime, speaker_translator
from runtime.mini_app_auth import MiniAppUser
from texts.card_view import item_rules, price_text
from texts.i18n import Translator

MAX_LINES = 200  # more lines than any purchase has items is not an order


class Refused(Exception):
    """A request the page made that is refused with the reason, already translated."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _load(
    bot: Bot, rt: Runtime, person: MiniAppUser, purchase_id: int
) -> tuple[Purchase, Translator]:
    """The purchase and the person's translator (in its community's timezone); a stranger to
    it is refused here, and reads whose purchase it is (docs/security.md)."""
    async with rt.database.reading() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is None or community is None:  # drafts are hidden there too
        t = speaker_translator(rt, person.user_id, person.language_code, None)
        raise Refused(404, t.reason(NotFound(N_("no such purchase"))))
    t = speaker_translator(rt, person.user_id, person.language_code, community)
    try:
        shown = await may_see(rt, bot, person.user_id, purchase)
    except DomainError as error:  # Telegram did not answer
        raise Refused(503, t.reason(error)) from None
    if not shown:
        raise Refused(403, for_members_only(t, community))
    return purchase, t


async def may_open(bot: Bot, rt: Runtime, person: MiniAppUser, purchase_id: int) -> None:
    """A session is opened only for a purchase the person may see: Refused otherwise."""
    await _load(bot, rt, person, purchase_id)


def reopen(rt: Runtime, user_id: int | None, language_code: str | None) -> str:
    """What the page says when its launch data is refused: the only way on is Telegram's."""
    return speaker_translator(rt, user_id, language_code, None).gettext(
        "This page has expired: close it and open the catalog again from the chat."
    )


def catalog_of(t: Translator, purchase: Purchase, member_id: int, open_orders: bool
               ) -> dict[str, Any]:  # fmt: skip
    """The purchase as the page shows it, the member's lines with it."""
    summary = card_summary(purchase)
    items = []
    for progress in summary.items:
        item = progress.item
        left = None if item.stock is None else max(item.stock - progress.units, 0)
        items.append({
            "id": item.item_id,
            "name": item.name,
            "variant": item.variant,
            "label": item.label,
            "photo": bool(item.photo),
            "price": price_text(t, item, progress.unit_price),
            "pack": item.pack_size,
            "min": item.member_min,
            "max": item.member_max,
            "left": left,
            "rules": item_rules(t, progress, open_orders, purchase.campaign_id is None),
            # What one unit costs now in minor units, for the running total before Save.
            "unit_minor": unit_cost_minor(replace(item, unit_price=progress.unit_price)),
            "quantity": purchase.quantity(member_id, item.item_id),
            "tolerance": purchase.tolerance(member_id, item.item_id),
        })  # fmt: skip
    return {
        "id": purchase.id,
        "title": purchase.title,
        "open": open_orders,
        "language": t.language,
        "currency": purchase.currency,
        "minor_digits": minor_digits(purchase.currency),
        "items": items,
        "texts": {
            "save": t.gettext("Save my order"),
            "saved": t.gettext("Saved: your order is updated."),
            "closed": t.gettext("Orders are closed for this purchase."),
            "tolerance": t.gettext("Also take up to this many more to fill a pack"),
            "left": t.gettext("{left} left"),
            "sold_out": t.gettext("sold out"),
            "total": t.gettext("Goods total: {total}"),
        },
    }


async def catalog(bot: Bot, rt: Runtime, person: MiniAppUser, purchase_id: int) -> dict[str, Any]:
    purchase, t = await _load(bot, rt, person, purchase_id)
    return catalog_of(t, purchase, person.user_id, purchase.accepts_orders(rt.clock()))


def _lines(body: object) -> dict[int, tuple[int, int]]:
    """`{"lines": [{"item": 1, "quantity": 2, "tolerance": 0}, ...]}` as the page sends it."""
    raw = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LINES:
        raise InvalidPurchase(N_("send the order as its lines"))
    lines: dict[int, tuple[int, int]] = {}
    for line in raw:
        values = [line.get(key) if isinstance(line, dict) else None
                  for key in ("item", "quantity", "tolerance")]  # fmt: skip
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise InvalidPurchase(N_("send the order as its lines"))
        item_id, quantity, tolerance = (int(v) for v in values)  # type: ignore[arg-type]
        lines[item_id] = (quantity, tolerance)
    return lines


async def save(
    bot: Bot, rt: Runtime, person: MiniAppUser, purchase_id: int, body: object
) -> dict[str, Any]:
    """The member's order as the page sent it, then the catalog as it now stands; the card
    in the chat and the member's editor in the private chat follow."""
    purchase, t = await _load(bot, rt, person, purchase_id)
    try:
        lines = _lines(body)
        for item_id in lines:
            purchase.item(item_id)  # an item of another purchase is refused here
        admission = await admission_for(rt, bot, person.user_id, purchase)
        await services.set_lines(
            rt.database.unit_of_work(), purchase_id, person.user_id, person.first_name, lines,
            rt.clock(), admission,
        )  # fmt: skip
    except UnusualQuantity as error:  # the page cannot ask, so it says why and how
        said = t.gettext(
            "{reason}. If you mean it, ask the head to set a maximum per member for it."
        ).format(reason=t.reason(error))
        raise Refused(400, said) from None
    except DomainError as error:
        raise Refused(400, t.reason(error)) from None
    rt.cards.request(purchase_id)
    await redraw_remembered_editor(bot, rt, t, person.user_id, purchase_id)
    return await catalog(bot, rt, person, purchase_id)


async def photo_of(rt: Runtime, purchase_id: int, item_id: int) -> str:
    """The Telegram file id of an item's photo. Its address was signed for a person the
    catalog was shown to, minutes ago (bot/mini_app.py), so no one is asked again here."""
    async with rt.database.unit_of_work() as uow:
        purchase, community = await uow.purchase_and_community(purchase_id)
    if purchase is None or community is None:
        t = Translator(rt.settings.default_language, rt.settings.default_timezone)
        raise Refused(404, t.reason(NotFound(N_("no such purchase"))))
    t = Translator(community.language, community.timezone)
    try:
        item = purchase.item(item_id)
    except DomainError as error:
        raise Refused(404, t.reason(error)) from None
    if not item.photo:
        raise Refused(404, t.reason(NotFound(N_("this item has no photo"))))
    return item.photo
