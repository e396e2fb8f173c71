"""What the Telegram side remembers beside the domain: card locations, who started the bot,
community settings changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.community import Community
from storage.mapping import community_to_row
from storage.tables import BotUserRow, PurchaseCardRow


@dataclass(frozen=True)
class CardLocation:
    chat_id: int
    message_id: int


class SqlTelegramState:
    def __init__(self, session: AsyncSession, is_postgres: bool) -> None:
        self._session = session
        self._insert = postgresql.insert if is_postgres else sqlite.insert

    async def card(self, purchase_id: int) -> CardLocation | None:
        row = await self._session.get(PurchaseCardRow, purchase_id)
        return None if row is None else CardLocation(row.chat_id, row.message_id)

    async def set_card(self, purchase_id: int, location: CardLocation) -> None:
        statement = self._insert(PurchaseCardRow).values(
            purchase_id=purchase_id, chat_id=location.chat_id, message_id=location.message_id
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["purchase_id"],
                set_={"chat_id": location.chat_id, "message_id": location.message_id},
            )
        )

    async def mark_started(self, user_id: int, now: datetime, language: str | None) -> None:
        statement = self._insert(BotUserRow).values(
            user_id=user_id, started_at=now, blocked_at=None, language=language
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"], set_={"blocked_at": None, "language": language}
            )
        )

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

    async def mark_blocked(self, user_id: int, now: datetime) -> None:
        """The bot cannot write to this person (blocked, or never started it)."""
        statement = self._insert(BotUserRow).values(user_id=user_id, started_at=now, blocked_at=now)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["user_id"], set_={"blocked_at": now})
        )

    async def started_among(self, user_ids: list[int]) -> set[int]:
        rows = await self._session.scalars(
            select(BotUserRow.user_id).where(
                BotUserRow.user_id.in_(user_ids), BotUserRow.blocked_at.is_(None)
            )
        )
        return set(rows)

    async def save_community(self, community: Community) -> None:
        row = community_to_row(community)
        await self._session.merge(row)
