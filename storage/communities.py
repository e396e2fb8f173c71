"""The communities: loaded whole, changed by column (a copy read before an `await` never
undoes what someone else changed meanwhile), their payment tokens encrypted."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.community import Community, CommunityChange
from storage.community_tables import CommunityRow
from storage.mapping import community_columns, community_from_row, community_to_row
from storage.secrets import Secrets


class SqlCommunityRepository:
    def __init__(self, session: AsyncSession, secrets: Secrets) -> None:
        self._session = session
        self._secrets = secrets

    async def get(self, chat_id: int) -> Community | None:
        row = await self._session.get(CommunityRow, chat_id)
        return None if row is None else community_from_row(row, self._secrets)

    async def add(self, community: Community) -> None:
        self._session.add(community_to_row(community, self._secrets))

    async def change(self, chat_id: int, changes: CommunityChange) -> None:
        columns = community_columns(changes, self._secrets)
        if columns:
            await self._session.execute(
                update(CommunityRow)
                .where(CommunityRow.chat_id == chat_id)
                .values(columns)
                .execution_options(synchronize_session=False)
            )

    async def reseal_tokens(self) -> tuple[int, list[int]]:
        """Every stored token encrypted again with the first key (a rotation): how many
        were, and the chats whose token no key listed decrypts (left as they are)."""
        rows = await self._session.execute(
            select(CommunityRow.chat_id, CommunityRow.payment_token_encrypted).where(
                CommunityRow.payment_token_encrypted.is_not(None)
            )
        )
        resealed, unreadable = 0, []
        for chat_id, sealed in rows.tuples():
            fresh = self._secrets.reseal(sealed) if sealed is not None else None
            if fresh is None:
                unreadable.append(chat_id)
                continue
            await self._session.execute(
                update(CommunityRow)
                .where(CommunityRow.chat_id == chat_id)
                .values(payment_token_encrypted=fresh)
                .execution_options(synchronize_session=False)
            )
            resealed += 1
        return resealed, unreadable
