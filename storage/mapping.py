"""Translation between table rows and domain objects, both ways, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, cast

from domain.community import Community, CommunityChange, OpenRule
from domain.geo import GeoPoint, PickupPoint
from domain.money import Money
from domain.payments import ClaimState, EntryKind, LedgerEntry, Means, PaymentClaim
from domain.purchase import (
    DeliverySplit,
    Handover,
    Item,
    Member,
    Moq,
    PaymentMode,
    PickupSlot,
    PriceTier,
    Purchase,
    PurchaseStatus,
    Request,
    ShortPolicy,
    SupplyConfirmation,
)
from storage.community_tables import CommunityRow
from storage.secrets import Secrets


def community_to_row(community: Community, secrets: Secrets) -> CommunityRow:
    return CommunityRow(
        chat_id=community.chat_id,
        title=community.title,
        **community_columns(
            {
                "timezone": community.timezone,
                "currency": community.currency,
                "language": community.language,
                "open_rule": community.open_rule,
                "region": community.region,
                "pickup": community.pickup,
                "payment_token": community.payment_token,
            },
            secrets,
        ),
    )


def community_columns(changes: CommunityChange, secrets: Secrets) -> dict[str, Any]:
    """The columns these settings are stored in; a payment token only encrypted."""
    columns: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "pickup":
            pickup = cast(PickupPoint | None, value)
            columns["pickup_lat"] = pickup.point.lat if pickup else None
            columns["pickup_lon"] = pickup.point.lon if pickup else None
            columns["pickup_address"] = pickup.address if pickup else ""
        elif name == "open_rule":
            columns["open_rule"] = cast(OpenRule, value).value
        elif name == "payment_token":
            columns["payment_token_encrypted"] = (
                None if value is None else secrets.seal(cast(str, value))
            )
        else:
            columns[name] = value
    return columns


def community_from_row(row: CommunityRow, secrets: Secrets) -> Community:
    sealed = row.payment_token_encrypted
    return Community(
        row.chat_id,
        row.title,
        row.timezone,
        row.currency,
        row.language,
        OpenRule(row.open_rule),
        row.region,
        None
        if row.pickup_lat is None or row.pickup_lon is None
        else PickupPoint(GeoPoint(row.pickup_lat, row.pickup_lon), row.pickup_address),
        None if sealed is None else secrets.open(sealed, f"community {row.chat_id}"),
    )


def item_from_row(row: Any, currency: str) -> Item:
    return Item(
        item_id=row.item_id,
        name=row.name,
        unit=row.unit,
        unit_price=Money(row.unit_price_minor, currency),
        tiers=tuple(PriceTier(units, Money(minor, currency)) for units, minor in row.tiers),
        pack_size=row.pack_size,
        member_min=row.member_min,
        member_max=row.member_max,
        stock=row.stock,
        moq_units=row.moq_units,
        variant=row.variant,
        group=row.group_id,
        in_rows=row.in_rows,
        swaps=row.swaps,
        estimate_grams=row.estimate_grams,
        photo=row.photo,
    )


def item_columns(item: Item) -> dict[str, object]:
    return {
        "item_id": item.item_id,
        "name": item.name,
        "unit": item.unit,
        "unit_price_minor": item.unit_price.minor,
        "tiers": [[tier.min_units, tier.unit_price.minor] for tier in item.tiers],
        "pack_size": item.pack_size,
        "member_min": item.member_min,
        "member_max": item.member_max,
        "stock": item.stock,
        "moq_units": item.moq_units,
        "variant": item.variant,
        "group_id": item.group,
        "in_rows": item.in_rows,
        "swaps": item.swaps,
        "estimate_grams": item.estimate_grams,
        "photo": item.photo,
    }


def purchase_from_rows(
    row: Any,
    item_rows: Iterable[Any],
    slot_rows: Iterable[Any],
    member_rows: Iterable[Any],
    request_rows: Iterable[Any],
    withdrawal_rows: Iterable[Any],
    code_rows: Iterable[Any],
    claim_rows: Iterable[Any] = (),
    entry_rows: Iterable[Any] = (),
    supply_rows: Iterable[Any] = (),
    helper_rows: Iterable[Any] = (),
    choice_rows: Iterable[Any] = (),
) -> Purchase:
    """A purchase from its row and its children's rows (any objects with the column names)."""
    currency = row.currency
    moq = None
    if row.moq_units is not None:
        moq = Moq(units=row.moq_units)
    elif row.moq_minor is not None:
        moq = Moq(money=Money(row.moq_minor, currency))
    code_list = list(code_rows)
    return Purchase(
        id=row.id,
        community_id=row.community_id,
        head_id=row.head_id,
        title=row.title,
        description=row.description,
        supplier=row.supplier,
        currency=currency,
        items=[item_from_row(item, currency) for item in item_rows],
        deadline=row.deadline,
        created_at=row.created_at,
        moq=moq,
        pickup_slots=[
            PickupSlot(s.place, s.starts_at, s.ends_at, s.capacity, s.number) for s in slot_rows
        ],
        fee_percent=row.fee_percent,
        delivery_cost=None if row.delivery_minor is None else Money(row.delivery_minor, currency),
        delivery_split=DeliverySplit(row.delivery_split),
        regions=tuple(row.regions),
        payment_mode=PaymentMode(row.payment_mode),
        short_policy=ShortPolicy(row.short_policy),
        extend_by=None
        if row.extend_by_seconds is None
        else timedelta(seconds=row.extend_by_seconds),
        status=PurchaseStatus(row.status),
        version=row.version,
        extended=row.extended,
        awaiting_head_decision=row.awaiting_head_decision,
        cancel_reason=row.cancel_reason,
        pay_to=row.pay_to,
        pay_by=row.pay_by,
        pending_head_id=row.pending_head_id,
        transfer_offers_made=row.transfer_offers_made,
        withdrawal_window_ends=row.withdrawal_window_ends,
        withdrawal_requests={w.member_id: w.number for w in withdrawal_rows},
        withdrawal_requests_made=row.withdrawal_requests_made,
        weights={(member, item): grams for member, item, grams in row.weights},
        photo=row.photo,
        open_to_link=row.open_to_link,
        campaign_id=row.campaign_id,
        campaign_title=row.campaign_title,
        allotment={item: units for item, units in row.allotment},
        members={m.user_id: Member(m.user_id, m.name, m.joined_at) for m in member_rows},
        requests=[
            Request(r.seq, r.member_id, r.item_id, r.firm_delta, r.tolerance_delta, r.at)
            for r in request_rows
        ],
        pickup_codes={c.member_id: c.code for c in code_list},
        handed_over={
            c.member_id: Handover(c.handed_over_at, c.handed_over_by)
            for c in code_list
            if c.handed_over_at is not None
        },
        helpers={h.user_id: h.name for h in helper_rows},
        pickup_choices={c.member_id: c.slot_number for c in choice_rows},
        claims=[claim_from_row(c, currency) for c in claim_rows],
        ledger=[entry_from_row(e, currency) for e in entry_rows],
        supply={
            row.item_id: SupplyConfirmation(
                row.units,
                None if row.unit_price_minor is None else Money(row.unit_price_minor, currency),
            )
            for row in supply_rows
        },
    )


def claim_from_row(row: Any, currency: str) -> PaymentClaim:
    amount = None if row.amount_minor is None else Money(row.amount_minor, currency)
    return PaymentClaim(row.number, row.member_id, amount, row.at, ClaimState(row.state))


def claim_columns(claim: PaymentClaim) -> dict[str, object]:
    return {
        "number": claim.number,
        "member_id": claim.member_id,
        "amount_minor": None if claim.amount is None else claim.amount.minor,
        "at": claim.at,
        "state": claim.state.value,
    }


def entry_from_row(row: Any, currency: str) -> LedgerEntry:
    return LedgerEntry(
        row.number, row.member_id, EntryKind(row.kind), Money(row.amount_minor, currency),
        row.at, row.recorded_by, Means(row.means), row.claim_number, row.telegram_charge_id,
        row.provider_charge_id,
    )  # fmt: skip


def entry_columns(entry: LedgerEntry) -> dict[str, object]:
    return {
        "number": entry.number,
        "member_id": entry.member_id,
        "kind": entry.kind.value,
        "amount_minor": entry.amount.minor,
        "at": entry.at,
        "recorded_by": entry.recorded_by,
        "means": entry.means.value,
        "claim_number": entry.claim,
        "telegram_charge_id": entry.charge,
        "provider_charge_id": entry.provider_charge,
    }


def purchase_columns(purchase: Purchase) -> dict[str, object]:
    """The purchase's own columns (not its children), for an insert or a versioned update."""
    moq = purchase.moq
    return {
        "community_id": purchase.community_id,
        "head_id": purchase.head_id,
        "title": purchase.title,
        "description": purchase.description,
        "supplier": purchase.supplier,
        "currency": purchase.currency,
        "status": purchase.status.value,
        "deadline": purchase.deadline,
        "created_at": purchase.created_at,
        "moq_units": moq.units if moq else None,
        "moq_minor": moq.money.minor if moq and moq.money else None,
        "fee_percent": purchase.fee_percent,
        "delivery_minor": purchase.delivery_cost.minor if purchase.delivery_cost else None,
        "delivery_split": purchase.delivery_split.value,
        "regions": list(purchase.regions),
        "payment_mode": purchase.payment_mode.value,
        "short_policy": purchase.short_policy.value,
        "extend_by_seconds": int(purchase.extend_by.total_seconds())
        if purchase.extend_by
        else None,
        "extended": purchase.extended,
        "awaiting_head_decision": purchase.awaiting_head_decision,
        "cancel_reason": purchase.cancel_reason,
        "pay_to": purchase.pay_to,
        "pay_by": purchase.pay_by,
        "pending_head_id": purchase.pending_head_id,
        "transfer_offers_made": purchase.transfer_offers_made,
        "withdrawal_window_ends": purchase.withdrawal_window_ends,
        "withdrawal_requests_made": purchase.withdrawal_requests_made,
        "weights": [[m, i, grams] for (m, i), grams in sorted(purchase.weights.items())],
        "photo": purchase.photo,
        "open_to_link": purchase.open_to_link,
        "campaign_id": purchase.campaign_id,
        "campaign_title": purchase.campaign_title,
        "allotment": [[item, units] for item, units in sorted(purchase.allotment.items())],
    }
