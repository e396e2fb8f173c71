"""Everything stored about one person, found across the tables: to export it (/mydata) and
to forget it (domain/personal_data.py decides what, per purchase).

Pseudonymising rewrites a purchase's child rows with SQL, not through the aggregate: the
order log and the ledger are only ever appended to by the repository, and this is the one
change that must touch rows already written. The purchase's version and layout move on, so
every process's cached copy of it is read again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.personal_data import next_pseudonym, pseudonym_name, rename_in_payload
from domain.terms import FINISHED
from storage.campaign_tables import DriverRow, PlatformRoleRow, RatingRow
from storage.community_tables import BotUserRow, CommunityRow, ConversationRow, PriceListRow
from storage.erasure_tables import ErasureRequestRow
from storage.inbox import LANES
from storage.purchase_tables import (
    DomainEventRow,
    choices,
    claims,
    codes,
    entries,
    helpers,
    members,
    purchases,
    requests,
    withdrawals,
)
from storage.receipts import ReceiptRow
from storage.repositories import SqlPurchaseRepository
from storage.table_base import metadata
from storage.telegram_tables import InboxRow, OrderEditorRow, OutboxRow, UnreachableMemberRow

# How long what is not a purchase's record stays: as SqlUnitOfWork.prune keeps it.
INBOX_KEPT_DAYS = 7
SENT_KEPT_DAYS = 30
EVENTS_KEPT_DAYS = 30

erasures = metadata.tables[ErasureRequestRow.__tablename__]
ratings = metadata.tables[RatingRow.__tablename__]
receipts = metadata.tables[ReceiptRow.__tablename__]


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _by_month(ratings: Iterable[RatingRow]) -> list[dict[str, Any]]:
    months: dict[str, list[RatingRow]] = {}
    for rating in ratings:
        months.setdefault(f"{rating.rated_at:%Y-%m}", []).append(rating)
    return [
        {"month": month, "ratings": len(rows), "stars": sorted(r.stars for r in rows),
         "comments": sorted(r.comment for r in rows if r.comment)}
        for month, rows in sorted(months.items())
    ]  # fmt: skip


def _sent_by(payload: dict[str, Any], user_id: int) -> bool:
    """Whether an update as Telegram sent it came from this person."""
    return any(
        isinstance(body, dict)
        and isinstance(body.get("from"), dict)
        and body["from"].get("id") == user_id
        for body in payload.values()
    )


class SqlPersonalData:
    def __init__(
        self, session: AsyncSession, is_postgres: bool, purchases: SqlPurchaseRepository
    ) -> None:
        self._session = session
        self._insert = postgresql.insert if is_postgres else sqlite.insert
        self._is_postgres = is_postgres
        self._purchases = purchases

    async def purchases_of(self, user_id: int) -> list[int]:
        u = user_id
        found = await self._session.scalars(
            union(
                select(members.c.purchase_id).where(members.c.user_id == u),
                select(requests.c.purchase_id).where(requests.c.member_id == u),
                select(helpers.c.purchase_id).where(helpers.c.user_id == u),
                select(entries.c.purchase_id).where(
                    or_(entries.c.member_id == u, entries.c.recorded_by == u)
                ),
                select(claims.c.purchase_id).where(claims.c.member_id == u),
                select(codes.c.purchase_id).where(
                    or_(codes.c.member_id == u, codes.c.handed_over_by == u)
                ),
                select(ratings.c.purchase_id).where(ratings.c.member_id == u),
                select(receipts.c.purchase_id).where(receipts.c.member_id == u),
                select(purchases.c.id).where(
                    or_(purchases.c.head_id == u, purchases.c.pending_head_id == u)
                ),
                select(erasures.c.purchase_id).where(erasures.c.user_id == u),
            )
        )
        return sorted(set(found))

    # --- what she may see -------------------------------------------------------------------

    async def export(self, user_id: int) -> dict[str, Any]:
        s, u = self._session, user_id
        profile = await s.get(BotUserRow, u)
        conversation = await s.get(ConversationRow, u)
        driver = await s.get(DriverRow, u)
        role = await s.get(PlatformRoleRow, u)
        lists = await s.scalars(select(PriceListRow).where(PriceListRow.head_id == u))
        return {
            "telegram_id": u,
            "profile": None if profile is None else {
                "started_at": _when(profile.started_at),
                "blocked_at": _when(profile.blocked_at),
                "telegram_language": profile.language,
                "chosen_language": profile.chosen_language,
                "reminders_off": profile.reminders_off,
            },
            "conversation_in_progress": None if conversation is None else {
                "kind": conversation.kind, "state": conversation.state,
                "updated_at": _when(conversation.updated_at),
            },
            "roles": {
                "driver_since": _when(driver.granted_at) if driver else None,
                "platform_role": {"role": role.role, "since": _when(role.granted_at)}
                if role else None,
            },
            "price_lists": [
                {"supplier": p.supplier, "currency": p.currency, "lines": p.lines,
                 "saved_at": _when(p.saved_at)}
                for p in lists
            ],
            "purchases": {str(pid): await self._purchase(pid, u)
                          for pid in await self.purchases_of(u)},
            # As the head's scorecard shows them: by month, naming neither the purchase nor the
            # moment, which in a small purchase would name the member who rated.
            "ratings_received_as_head": _by_month(
                await s.scalars(select(RatingRow).where(RatingRow.head_id == u))
            ),
            "unreachable_notes": list(await s.scalars(
                select(UnreachableMemberRow.purchase_id).where(UnreachableMemberRow.user_id == u)
            )),
            "messages": await self._messages(u),
        }  # fmt: skip

    async def _purchase(self, purchase_id: int, u: int) -> dict[str, Any]:
        s, pid = self._session, purchase_id
        head = (
            await s.execute(
                select(purchases.c.title, purchases.c.status, purchases.c.currency,
                       purchases.c.head_id, purchases.c.pay_to, CommunityRow.title)
                .join(CommunityRow, CommunityRow.chat_id == purchases.c.community_id)
                .where(purchases.c.id == pid)
            )
        ).one()  # fmt: skip

        async def rows(table: Any, *where: ColumnElement[bool]) -> list[Any]:
            return list(await s.execute(select(table).where(table.c.purchase_id == pid, *where)))

        member = await rows(members, members.c.user_id == u)
        helper = await rows(helpers, helpers.c.user_id == u)
        code = await rows(codes, codes.c.member_id == u)
        choice = await rows(choices, choices.c.member_id == u)
        asked = await rows(withdrawals, withdrawals.c.member_id == u)
        rated = await rows(ratings, ratings.c.member_id == u)
        roles = [name for name, held in (
            ("member", bool(member)), ("head", head.head_id == u), ("helper", bool(helper)),
        ) if held]  # fmt: skip
        return {
            "title": head.title, "community": head[5], "status": head.status,
            "currency": head.currency, "roles": roles,
            "name_stored": member[0].name if member else helper[0].name if helper else None,
            "joined_at": _when(member[0].joined_at) if member else None,
            "payment_details_you_gave": head.pay_to if head.head_id == u else None,
            "order_log": [
                {"at": _when(r.at), "item_id": r.item_id, "firm_delta": r.firm_delta,
                 "tolerance_delta": r.tolerance_delta}
                for r in await rows(requests, requests.c.member_id == u)
            ],
            "withdrawal_requested": bool(asked),
            "pickup_slot_chosen": choice[0].slot_number if choice else None,
            "pickup_code": {"code": code[0].code,
                            "handed_over_at": _when(code[0].handed_over_at)} if code else None,
            "payment_claims": [
                {"number": c.number, "amount_minor": c.amount_minor, "at": _when(c.at),
                 "state": c.state}
                for c in await rows(claims, claims.c.member_id == u)
            ],
            "ledger": [
                {"number": e.number, "kind": e.kind, "amount_minor": e.amount_minor,
                 "at": _when(e.at), "means": e.means, "about_you": e.member_id == u,
                 "recorded_by_you": e.recorded_by == u}
                for e in await rows(entries, or_(entries.c.member_id == u,
                                                 entries.c.recorded_by == u))
            ],
            # Only what recognises each picture: the bot keeps no picture.
            "receipts_sent": [
                {"at": _when(r.sent_at), "name_stored": r.member_name,
                 "telegram_file": r.file_unique_id, "picture_hash": r.picture_hash}
                for r in await rows(receipts, receipts.c.member_id == u)
            ],
            "rating_given": {"stars": rated[0].stars, "comment": rated[0].comment,
                             "rated_at": _when(rated[0].rated_at)} if rated else None,
            "to_be_forgotten_when_it_ends": bool(
                await rows(erasures, erasures.c.user_id == u)
            ),
            "events_naming_you": await self._events_naming(pid, u),
        }  # fmt: skip

    async def _events_naming(self, purchase_id: int, u: int) -> int:
        found = await self._session.execute(
            select(DomainEventRow.payload).where(DomainEventRow.purchase_id == purchase_id)
        )
        return sum(1 for (payload,) in found if rename_in_payload(payload, u, 0) != payload)

    async def _messages(self, u: int) -> dict[str, Any]:
        # Her lane's updates only (an index search), never the whole week of inbox.
        kept = await self._session.scalars(
            select(InboxRow.payload).where(InboxRow.lane == u % LANES)
        )
        to_her = await self._session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.chat_id == u)
        )
        return {
            "updates_from_you_kept": sum(1 for payload in kept if _sent_by(payload, u)),
            "updates_kept_days": INBOX_KEPT_DAYS,
            "messages_to_you_kept": int(to_her or 0),
            "sent_messages_kept_days": SENT_KEPT_DAYS,
            "events_kept_days": EVENTS_KEPT_DAYS,
        }

    # --- forgetting her ---------------------------------------------------------------------

    async def pseudonymise(self, purchase_id: int, user_id: int) -> int | None:
        s, pid, u = self._session, purchase_id, user_id
        query = select(purchases.c.head_id, purchases.c.weights).where(purchases.c.id == pid)
        found = (await s.execute(query.with_for_update() if self._is_postgres else query)).first()
        if found is None:
            return None
        taken = {found.head_id}
        taken |= set(await s.scalars(select(members.c.user_id).where(members.c.purchase_id == pid)))
        taken |= set(await s.scalars(select(helpers.c.user_id).where(helpers.c.purchase_id == pid)))
        x = next_pseudonym(taken)
        name = pseudonym_name(x)

        def of(table: Any, column: Any) -> Any:
            return update(table).where(table.c.purchase_id == pid, column == u)

        changed = 0
        for statement in (
            of(members, members.c.user_id).values(user_id=x, name=name),
            of(requests, requests.c.member_id).values(member_id=x),
            of(withdrawals, withdrawals.c.member_id).values(member_id=x),
            of(choices, choices.c.member_id).values(member_id=x),
            # The QR code's secret would still open her pickup: it goes.
            of(codes, codes.c.member_id).values(member_id=x, token=None),
            of(codes, codes.c.handed_over_by).values(handed_over_by=x),
            of(helpers, helpers.c.user_id).values(user_id=x, name=name),
            of(claims, claims.c.member_id).values(member_id=x),
            of(entries, entries.c.member_id).values(member_id=x),
            of(entries, entries.c.recorded_by).values(recorded_by=x),
            of(ratings, ratings.c.member_id).values(member_id=x, comment=""),
            of(ratings, ratings.c.head_id).values(head_id=x),
            of(receipts, receipts.c.member_id).values(member_id=x, member_name=name),
            # A head's payment details are hers too; the purchase is over when this runs.
            update(purchases).where(purchases.c.id == pid, purchases.c.head_id == u)
            .values(head_id=x, pay_to=""),
            update(purchases).where(purchases.c.id == pid, purchases.c.pending_head_id == u)
            .values(pending_head_id=None),
        ):  # fmt: skip
            changed += int((await s.execute(statement)).rowcount)  # type: ignore[attr-defined]
        weights = [[x if m == u else m, item, grams] for m, item, grams in found.weights]
        if weights != found.weights:
            changed += 1
            await s.execute(update(purchases).where(purchases.c.id == pid).values(weights=weights))
        events = await s.execute(
            select(DomainEventRow.id, DomainEventRow.payload)
            .where(DomainEventRow.purchase_id == pid)
        )  # fmt: skip
        for event_id, payload in list(events):
            renamed = rename_in_payload(payload, u, x)
            if renamed != payload:
                changed += 1
                await s.execute(
                    update(DomainEventRow)
                    .where(DomainEventRow.id == event_id)
                    .values(payload=renamed)
                )
        await s.execute(delete(erasures).where(erasures.c.purchase_id == pid,
                                               erasures.c.user_id == u))  # fmt: skip
        await s.execute(
            delete(UnreachableMemberRow).where(
                UnreachableMemberRow.purchase_id == pid, UnreachableMemberRow.user_id == u
            )
        )
        if not changed:
            return None
        # A new version and layout: no cached copy of the purchase, in any process, is reused.
        await s.execute(
            update(purchases)
            .where(purchases.c.id == pid)
            .values(version=purchases.c.version + 1, layout_version=purchases.c.version + 1)
        )
        self._purchases.forget_loaded(pid)
        return x

    async def forget_at_end(self, purchase_id: int, user_id: int, now: datetime) -> None:
        await self._session.execute(
            self._insert(ErasureRequestRow)
            .values(purchase_id=purchase_id, user_id=user_id, asked_at=now)
            .on_conflict_do_nothing(index_elements=["purchase_id", "user_id"])
        )

    async def still_waiting(self, user_id: int) -> bool:
        found = await self._session.scalar(
            select(erasures.c.purchase_id).where(erasures.c.user_id == user_id).limit(1)
        )
        return found is not None

    async def ended_waiting(self) -> list[int]:
        found = await self._session.scalars(
            select(erasures.c.purchase_id.distinct())
            .join(purchases, purchases.c.id == erasures.c.purchase_id)
            .where(purchases.c.status.in_([status.value for status in FINISHED]))
        )
        return sorted(found)

    async def waiting_in(self, purchase_id: int) -> list[int]:
        found = await self._session.scalars(
            select(erasures.c.user_id).where(erasures.c.purchase_id == purchase_id)
        )
        return sorted(found)

    async def forget_person(self, user_id: int) -> None:
        s, u = self._session, user_id
        for statement in (
            delete(BotUserRow).where(BotUserRow.user_id == u),
            delete(ConversationRow).where(ConversationRow.user_id == u),
            delete(UnreachableMemberRow).where(UnreachableMemberRow.user_id == u),
            delete(OrderEditorRow).where(OrderEditorRow.user_id == u),
            delete(PriceListRow).where(PriceListRow.head_id == u),
            # Messages to her, sent or waiting: nobody is to write to her any more.
            delete(OutboxRow).where(OutboxRow.chat_id == u),
        ):
            await s.execute(statement)
        # Her updates are blanked to their bare id: one handled is still recognised when
        # Telegram sends it again, one in hand now is handled from memory, and one a restart
        # would handle again is an update with nothing in it, which no handler takes.
        kept = await s.execute(
            select(InboxRow.update_id, InboxRow.payload).where(InboxRow.lane == u % LANES)
        )
        hers = [update_id for update_id, payload in kept if _sent_by(payload, u)]
        for update_id in hers:
            await s.execute(
                update(InboxRow)
                .where(InboxRow.update_id == update_id)
                .values(payload={"update_id": update_id})
            )
