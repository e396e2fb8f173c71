"""The communities: loaded whole, changed by column (a copy read before an `await` never
undoes what someone else changed meanwhile)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from domain.community import Community, CommunityChange
from storage.mapping import community_columns, community_from_row, community_to_row
from storage.tables import CommunityRow


class SqlCommunityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, chat_id: int) -> Community | None:
        row = await self._session.get(CommunityRow, chat_id)
        return None if row is None else community_from_row(row)

    async def add(self, community: Community) -> None:
        self._session.add(community_to_row(community))

    async def change(self, chat_id: int, changes: CommunityChange) -> None:
        columns = community_columns(changes)
        if columns:
            await self._session.execute(
                update(CommunityRow)
                .where(CommunityRow.chat_id == chat_id)
                .values(columns)
                .execution_options(synchronize_session=False)
            )
