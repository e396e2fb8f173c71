"""The tables of forgetting people (storage/personal_data.py), apart from the main schema."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from storage.table_base import Base


class ErasureRequestRow(Base):
    """A person asked to be forgotten while a purchase she is bound to (past its stop) runs:
    she is pseudonymised in it when it ends, and the row goes with her id."""

    __tablename__ = "erasure_requests"
    __table_args__ = (Index("ix_erasure_requests_user_id", "user_id"),)

    purchase_id: Mapped[int] = mapped_column(ForeignKey("purchases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    asked_at: Mapped[datetime]
