"""What the Telegram side remembers beside the domain: card locations, who started the bot,
where a person is in a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import CardLocation
from storage.community_tables import BotUserRow, ConversationRow
from storage.outbox import OutboxStatus
from storage.telegram_tables import OrderEditorRow, OutboxRow, PurchaseCardRow, UnreachableMemberRow


class SqlTelegramState:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._insert = postgresql.insert if is_postgres else sqlite.insert

    async def card(self, purchase_id: int) -> CardLocation | None:
        row = await self._session.get(PurchaseCardRow, purchase_id)
        if row is None or row.message_id is None:  # none, or still being posted
            return None
        return CardLocation(row.chat_id, row.message_id)

    async def card_to_post(self, purchase_id: int, chat_id: int) -> None:
        self._session.add(PurchaseCardRow(purchase_id=purchase_id, chat_id=chat_id))

    async def forget_awaited_card(self, purchase_id: int) -> bool:
        result = await self._session.execute(
            delete(PurchaseCardRow).where(
                PurchaseCardRow.purchase_id == purchase_id, PurchaseCardRow.message_id.is_(None)
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def cards_being_posted(self) -> list[int]:
        rows = await self._session.scalars(
            select(PurchaseCardRow.purchase_id)
            .where(PurchaseCardRow.message_id.is_(None))
            .order_by(PurchaseCardRow.purchase_id)
        )
        return list(rows)

    async def card_awaited(self, purchase_id: int) -> int | None:
        row = await self._session.get(PurchaseCardRow, purchase_id)
        return row.chat_id if row is not None and row.message_id is None else None

    async def card_posted(self, purchase_id: int, location: CardLocation) -> bool:
        # One statement: of two processes recording a card at once, exactly one wins.
        result = await self._session.execute(
            update(PurchaseCardRow)
            .where(
                PurchaseCardRow.purchase_id == purchase_id,
                PurchaseCardRow.chat_id == location.chat_id,
                PurchaseCardRow.message_id.is_(None),
            )
            .values(message_id=location.message_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def mark_started(self, user_id: int, now: datetime, language: str | None) -> bool:
        """Remember that the person opened the bot (and when, last); True when the bot could
        not write to them until now (a first start, or one after blocking it): they may have
        missed notices."""
        before = await self._session.get(BotUserRow, user_id)
        missed = before is None or before.blocked_at is not None
        statement = self._insert(BotUserRow).values(
            user_id=user_id, started_at=now, blocked_at=None, language=language
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={"blocked_at": None, "language": language, "started_at": now},
            )
        )
        if missed:  # reachable again: should they block the bot later, their heads hear anew
            await self._session.execute(
                delete(UnreachableMemberRow).where(UnreachableMemberRow.user_id == user_id)
            )
        return missed

    async def set_reminders(self, user_id: int, on: bool) -> None:
        row = await self._session.get(BotUserRow, user_id)
        if row is not None:
            row.reminders_off = not on

    async def reminders_off(self, user_ids: list[int]) -> set[int]:
        rows = await self._session.scalars(
            select(BotUserRow.user_id).where(
                BotUserRow.user_id.in_(user_ids), BotUserRow.reminders_off.is_(True)
            )
        )
        return set(rows)

    async def languages(self, user_ids: list[int]) -> dict[int, str]:
        """Each person's language: the one they chose with /language, else the one their
        Telegram app had when they last started the bot."""
        spoken = func.coalesce(BotUserRow.chosen_language, BotUserRow.language)
        rows = await self._session.execute(
            select(BotUserRow.user_id, spoken).where(
                BotUserRow.user_id.in_(user_ids), spoken.is_not(None)
            )
        )
        return {user_id: language for user_id, language in rows.tuples() if language}

    async def choose_language(self, user_id: int, language: str | None, now: datetime) -> None:
        """Remember the language a person chose (None: follow their Telegram app again)."""
        statement = self._insert(BotUserRow).values(
            user_id=user_id, started_at=now, blocked_at=None, chosen_language=language
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"chosen_language": language}
            )
        )

    async def chosen_languages(self) -> dict[int, str]:
        """Everyone who chose a language with /language (few people; kept in memory)."""
        rows = await self._session.execute(
            select(BotUserRow.user_id, BotUserRow.chosen_language).where(
                BotUserRow.chosen_language.is_not(None)
            )
        )
        return {user_id: language for user_id, language in rows.tuples() if language}

    async def mark_blocked(self, user_id: int, attempted_at: datetime, now: datetime) -> None:
        """A message tried at `attempted_at` could not reach this person (blocked, or never
        started the bot); not when they started it since: the answer was on its way then."""
        statement = self._insert(BotUserRow).values(
            user_id=user_id, started_at=attempted_at, blocked_at=now
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_={"blocked_at": now},
                where=BotUserRow.started_at <= attempted_at,
            )
        )

    async def note_unreachable(self, purchase_id: int, user_id: int, now: datetime) -> None:
        """A message about the purchase could not reach this person: their head will hear,
        unless the head was told already (until the person opens the bot again)."""
        statement = self._insert(UnreachableMemberRow).values(
            purchase_id=purchase_id, user_id=user_id, noted_at=now, told_at=None
        )
        await self._session.execute(statement.on_conflict_do_nothing())

    async def untold_unreachable(self, limit: int) -> dict[int, list[int]]:
        """Purchase → people not reached whose head has not been told yet (a few purchases
        at a time), once the round of messages about the purchase was tried: a purchase
        with a message not yet tried waits, so one round's 403s make one message."""
        in_flight = (
            select(OutboxRow.id)
            .where(
                OutboxRow.purchase_id == UnreachableMemberRow.purchase_id,
                or_(
                    and_(OutboxRow.status == OutboxStatus.PENDING.value, OutboxRow.attempts == 0),
                    OutboxRow.status == OutboxStatus.SENDING.value,
                ),
            )
            .exists()
        )
        rows = await self._session.execute(
            select(UnreachableMemberRow.purchase_id, UnreachableMemberRow.user_id)
            .where(UnreachableMemberRow.told_at.is_(None), ~in_flight)
            .order_by(UnreachableMemberRow.purchase_id, UnreachableMemberRow.noted_at)
        )
        found: dict[int, list[int]] = {}
        for purchase_id, user_id in rows.tuples():
            if purchase_id in found or len(found) < limit:
                found.setdefault(purchase_id, []).append(user_id)
        return found

    async def told_unreachable(self, purchase_id: int, user_ids: list[int], now: datetime) -> None:
        """The head has heard that the bot cannot reach these people (in the 403 message, or
        named in a summary): no more messages about them for this purchase."""
        if not user_ids:
            return
        statement = self._insert(UnreachableMemberRow).values(
            [
                {"purchase_id": purchase_id, "user_id": u, "noted_at": now, "told_at": now}
                for u in user_ids
            ]
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["purchase_id", "user_id"], set_={"told_at": now}
            )
        )

    async def started_among(self, user_ids: list[int]) -> set[int]:
        rows = await self._session.scalars(
            select(BotUserRow.user_id).where(
                BotUserRow.user_id.in_(user_ids), BotUserRow.blocked_at.is_(None)
            )
        )
        return set(rows)

    async def editor_shown(self, user_id: int, purchase_id: int, message_id: int) -> None:
        """The member's latest order editor of the purchase is this message."""
        statement = self._insert(OrderEditorRow).values(
            purchase_id=purchase_id, user_id=user_id, message_id=message_id
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["purchase_id", "user_id"], set_={"message_id": message_id}
            )
        )

    async def editors(self, purchase_id: int) -> dict[int, int]:
        """Member → the message of her latest order editor of the purchase."""
        rows = await self._session.execute(
            select(OrderEditorRow.user_id, OrderEditorRow.message_id).where(
                OrderEditorRow.purchase_id == purchase_id
            )
        )
        return {int(user_id): int(message_id) for user_id, message_id in rows}

    async def forget_editors(self, purchase_id: int) -> None:
        """The purchase has ended and its editors were redrawn for the last time."""
        await self._session.execute(
            delete(OrderEditorRow).where(OrderEditorRow.purchase_id == purchase_id)
        )

    async def conversation(self, user_id: int) -> tuple[str, dict[str, Any]] | None:
        """(kind, state) of where the person is in a conversation with the bot, if anywhere."""
        row = await self._session.get(ConversationRow, user_id)
        return None if row is None else (row.kind, row.state)

    async def save_conversation(
        self, user_id: int, kind: str, state: dict[str, Any], now: datetime
    ) -> None:
        statement = self._insert(ConversationRow).values(
            user_id=user_id, kind=kind, state=state, updated_at=now
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"kind": kind, "state": state, "updated_at": now}
            )
        )
