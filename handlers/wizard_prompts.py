"""What the wizard asks at each step, in the head's language: the question, its example
(the pay-by and pickup examples after the deadline she entered) and what it may be left at.
"""

from __future__ import annotations

from datetime import datetime

from domain import form_fields as fields
from domain.community import Community
from handlers.wizard_steps import Step, Wizard
from texts.i18n import Translator


def prompt(t: Translator, step: Step, wizard: Wizard, max_fee: str, now: datetime) -> str:
    community = wizard.community
    # The pay-by and pickup examples come after the deadline she entered.
    example = fields.Examples.of(community.timezone, now, wizard.form.deadline)
    return {
        Step.TITLE: t.gettext(
            "What are you buying? Send a short title, e.g. Wildflower honey from Altai"
        ),
        Step.DESCRIPTION: t.gettext("Describe it in a few lines for your neighbours."),
        Step.SUPPLIER: t.gettext("Who is the supplier? e.g. Altai Bee Farm"),
        Step.ITEMS: t.gettext(
            "Send the items one message each, as: name | price\n"
            "e.g. Honey 1 kg | 12.50 | pack 6 | max 10\n"
            "Options: pack N, min N, max N, stock N, moq N. "
            "Cheaper from a quantity: 12.50; 11.90 from 60"
        )
        + "\n"
        + t.gettext(
            "Sizes or colours: | variants S, M, L (or | row S, M, L when the supplier sells only "
            "full rows). By weight: Cheese | 18.00 per kg | about 0.5 kg. A photo with the item "
            "as its caption adds the item with its picture; a photo without a caption is the "
            "purchase's picture."
        ),
        Step.MOQ: t.gettext(
            "The minimum order for the whole purchase, e.g. 30 units or 500 {currency}"
        ).format(currency=community.currency),
        Step.DEADLINE: t.gettext("When do orders stop? e.g. {example} (time in {timezone})").format(
            example=example.deadline, timezone=community.timezone
        ),
        Step.PICKUP: t.gettext(
            "Where and when do members pick up? e.g. {example} | {place}"
        ).format(example=example.pickup, place=_saved_place(t, community))
        + "\n"
        + t.gettext(
            "Several places or times: one line each, and members choose. Add | 20 to let at "
            "most 20 members choose a slot."
        ),
        Step.FEE: t.gettext("Your organizer fee in percent (at most {max}%), e.g. 5%").format(
            max=max_fee
        ),
        Step.DELIVERY: t.gettext(
            "The delivery cost and how to share it, e.g. 20.00 split by amount "
            "(or per unit, per member)"
        ),
        Step.DELIVERY_SPLIT: t.gettext("How do members share the delivery cost of {cost}?").format(
            cost=t.money(wizard.form.delivery_cost) if wizard.form.delivery_cost else ""
        ),
        Step.REGIONS: t.gettext("Where do you deliver? e.g. EU, or pickup only"),
        Step.IF_SHORT: t.gettext(
            "If the minimum is not reached by the deadline: fail, ask (I ask you), or extend 24h"
        ),
        Step.PAYMENT: t.gettext(
            "When do members pay? Prepay: after the stop, before you order from the supplier. "
            "Postpay: when they pick up their goods."
        ),
        Step.PAY_TO: t.gettext(
            "Where do members pay you? Members read it privately. "
            "e.g. IBAN DE12 3456 7890 1234, or cash at pickup"
        ),
        Step.PAY_BY: t.gettext(
            "By when must members pay? e.g. {example} (time in {timezone}). "
            "Then I remind those who have not paid, and you may take them out."
        ).format(example=example.pay_by, timezone=community.timezone),
        Step.PREVIEW: "",
    }[step]


def _saved_place(t: Translator, community: Community) -> str:
    """The community's saved pickup point, else a place as an example."""
    if community.pickup is not None and community.pickup.address:
        return community.pickup.address
    return t.gettext("Community hall")
