"""The purchase's tables as SQLAlchemy Core sees them: what the repositories query."""

from __future__ import annotations

from storage.tables import (
    ItemRow,
    LedgerEntryRow,
    MemberRow,
    OrderRequestRow,
    PaymentClaimRow,
    PickupChoiceRow,
    PickupCodeRow,
    PickupSlotRow,
    PurchaseHelperRow,
    PurchaseRow,
    SupplyConfirmationRow,
    WithdrawalRequestRow,
    metadata,
)

purchases = metadata.tables[PurchaseRow.__tablename__]
items = metadata.tables[ItemRow.__tablename__]
slots = metadata.tables[PickupSlotRow.__tablename__]
members = metadata.tables[MemberRow.__tablename__]
requests = metadata.tables[OrderRequestRow.__tablename__]
withdrawals = metadata.tables[WithdrawalRequestRow.__tablename__]
helpers = metadata.tables[PurchaseHelperRow.__tablename__]
codes = metadata.tables[PickupCodeRow.__tablename__]
choices = metadata.tables[PickupChoiceRow.__tablename__]
claims = metadata.tables[PaymentClaimRow.__tablename__]
entries = metadata.tables[LedgerEntryRow.__tablename__]
supplies = metadata.tables[SupplyConfirmationRow.__tablename__]
