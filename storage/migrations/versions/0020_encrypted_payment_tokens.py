"""communities' payment provider tokens encrypted under SECRETS_KEY

Tokens stored in plain text are encrypted with SECRETS_KEY's first key into a new column and
the plain column is dropped; updates the inbox kept whose text carries a token (a /paytoken
posted in a group, a token sent before this version) keep no text. With tokens stored and no
key set, the migration refuses (and
changes nothing): the operator sets SECRETS_KEY first (docs/security.md), so that a token is
neither left readable nor lost. Going back decrypts them, which needs a key that does.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-09 10:00:00
"""

import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.migrate import MigrationRefused

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A payment provider token as @BotFather gives it (domain/checkout.py's PROVIDER_TOKEN, as of
# this version: a migration keeps its own copy).
PROVIDER_TOKEN = re.compile(r"\d{1,20}:(?:TEST|LIVE):[^\s:]{1,230}")
INBOX = sa.table("inbox", sa.column("update_id", sa.BigInteger), sa.column("payload", sa.JSON))


def _without_text(payload: dict[str, object]) -> dict[str, object]:
    return {
        kind: {k: v for k, v in body.items() if k not in ("text", "entities", "caption")}
        if isinstance(body, dict)
        else body
        for kind, body in payload.items()
    }


def _blank_tokens_in_inbox() -> None:
    bind = op.get_bind()
    for update_id, payload in bind.execute(sa.select(INBOX.c.update_id, INBOX.c.payload)):
        if isinstance(payload, dict) and PROVIDER_TOKEN.search(json.dumps(payload)):
            bind.execute(
                sa.update(INBOX)
                .where(INBOX.c.update_id == update_id)
                .values(payload=_without_text(payload))
            )


def _keys(action: str, tokens: int) -> MultiFernet:
    keys = context.config.attributes.get("secrets_keys") or ()
    if not keys:
        raise MigrationRefused(
            f"SECRETS_KEY is not set, and {tokens} communities have a payment token to "
            f"{action}: set SECRETS_KEY first (docs/security.md says how to make one), then "
            "start again; nothing was changed"
        )
    return MultiFernet([Fernet(key) for key in keys])


def _tokens(column: str) -> list[tuple[int, str]]:
    rows = op.get_bind().execute(
        sa.text(f"SELECT chat_id, {column} FROM communities WHERE {column} IS NOT NULL")
    )
    return [(int(chat_id), str(value)) for chat_id, value in rows]


def upgrade() -> None:
    # Plain ADD and DROP COLUMN: a batch would copy the communities table, which the
    # purchases referring to it forbid on SQLite.
    op.add_column("communities", sa.Column("payment_token_encrypted", sa.Text(), nullable=True))
    plain = _tokens("payment_token")
    if plain:
        fernet = _keys("encrypt", len(plain))
        for chat_id, token in plain:
            op.get_bind().execute(
                sa.text("UPDATE communities SET payment_token_encrypted = :sealed "
                        "WHERE chat_id = :chat_id"),
                {"sealed": fernet.encrypt(token.encode()).decode(), "chat_id": chat_id},
            )  # fmt: skip
    op.drop_column("communities", "payment_token")
    _blank_tokens_in_inbox()


def downgrade() -> None:
    op.add_column("communities", sa.Column("payment_token", sa.String(255), nullable=True))
    sealed = _tokens("payment_token_encrypted")
    if sealed:
        fernet = _keys("decrypt", len(sealed))
        for chat_id, token in sealed:
            try:
                plain = fernet.decrypt(token.encode()).decode()
            except InvalidToken:
                raise MigrationRefused(
                    f"the payment token of community {chat_id} cannot be decrypted with "
                    "SECRETS_KEY; list the key that encrypted it; nothing was changed"
                ) from None
            op.get_bind().execute(
                sa.text("UPDATE communities SET payment_token = :plain WHERE chat_id = :chat_id"),
                {"plain": plain, "chat_id": chat_id},
            )
    op.drop_column("communities", "payment_token_encrypted")
