"""Secrets at rest: a community's payment token is Fernet text in the database (read raw on
both databases), a wrong key makes it unset with one warning, a key rotates, the migration
encrypts the tokens stored before."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from domain import services
from domain.community import Community
from domain.ports import NoSecretsKey
from storage.migrate import MigrationRefused, downgrade, upgrade
from storage.secrets import Secrets, parse_keys
from storage.telegram_tables import InboxRow
from storage.unit_of_work import Database
from tests.test_cli_and_settings import groupbuy

TOKEN = "381764678:TEST:secret-of-block-5"
BLOCK_5 = Community(-100, "Block 5", "UTC", "EUR", "en")
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


async def stored_raw(url: str) -> str | None:
    database = Database(url)
    try:
        async with database.engine.connect() as connection:
            return await connection.scalar(
                text("SELECT payment_token_encrypted FROM communities WHERE chat_id = -100")
            )
    finally:
        await database.dispose()


async def with_token(url: str, keys: tuple[str, ...]) -> None:
    database = Database(url, Secrets(keys))
    try:
        await services.register_community(database.unit_of_work(), BLOCK_5)
        async with database.unit_of_work() as uow:
            await uow.communities.change(BLOCK_5.chat_id, {"payment_token": TOKEN})
            await uow.commit()
    finally:
        await database.dispose()


async def token_with(url: str, keys: tuple[str, ...]) -> str | None:
    database = Database(url, Secrets(keys))
    try:
        async with database.unit_of_work() as uow:
            community = await uow.communities.get(BLOCK_5.chat_id)
    finally:
        await database.dispose()
    assert community is not None
    return community.payment_token


async def test_a_token_is_stored_encrypted_and_read_back_with_the_key(database_url: str) -> None:
    await with_token(database_url, (NEW_KEY,))
    raw = await stored_raw(database_url)
    assert raw is not None and TOKEN not in raw
    assert Fernet(NEW_KEY).decrypt(raw.encode()).decode() == TOKEN
    assert await token_with(database_url, (NEW_KEY,)) == TOKEN


async def test_without_a_key_a_token_is_refused_and_nothing_is_stored(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert not database.keeps_secrets
        await services.register_community(database.unit_of_work(), BLOCK_5)
        async with database.unit_of_work() as uow:
            with pytest.raises(NoSecretsKey):
                await uow.communities.change(BLOCK_5.chat_id, {"payment_token": TOKEN})
            # The other settings need no key.
            await uow.communities.change(BLOCK_5.chat_id, {"currency": "USD"})
            await uow.commit()
    finally:
        await database.dispose()
    assert await stored_raw(database_url) is None


async def test_a_token_no_key_decrypts_counts_as_unset_with_one_warning(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    await with_token(database_url, (OLD_KEY,))
    database = Database(database_url, Secrets((NEW_KEY,)))
    try:
        with caplog.at_level(logging.WARNING, logger="storage.secrets"):
            for _ in range(3):
                async with database.unit_of_work() as uow:
                    community = await uow.communities.get(BLOCK_5.chat_id)
                assert community is not None and community.payment_token is None
    finally:
        await database.dispose()
    [warning] = caplog.records
    assert "community -100" in warning.getMessage()
    assert TOKEN not in caplog.text and OLD_KEY not in caplog.text and NEW_KEY not in caplog.text
    assert await token_with(database_url, ()) is None  # no key at all: unset too


async def test_rotation_decrypts_with_the_old_key_listed_second_then_re_encrypts(
    database_url: str,
) -> None:
    await with_token(database_url, (OLD_KEY,))
    assert await token_with(database_url, (NEW_KEY, OLD_KEY)) == TOKEN
    database = Database(database_url, Secrets((NEW_KEY, OLD_KEY)))
    try:
        async with database.unit_of_work() as uow:
            assert await uow.communities.reseal_tokens() == (1, [])
            await uow.commit()
    finally:
        await database.dispose()
    assert await token_with(database_url, (NEW_KEY,)) == TOKEN
    assert await token_with(database_url, (OLD_KEY,)) is None


def test_the_rotate_command_re_encrypts_and_names_what_it_cannot(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    assert groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url).returncode == 0
    asyncio.run(with_token(url, (OLD_KEY,)))
    keys = f"{NEW_KEY},{OLD_KEY}"
    rotated = groupbuy("rotate-secrets", tmp_path=tmp_path, DATABASE_URL=url, SECRETS_KEY=keys)
    assert rotated.returncode == 0, rotated.stderr
    assert "1 payment tokens encrypted with the first key" in rotated.stdout
    assert asyncio.run(token_with(url, (NEW_KEY,))) == TOKEN
    # The old key dropped too early: the token is named as unreadable, and left as it is.
    lost = groupbuy("rotate-secrets", tmp_path=tmp_path, DATABASE_URL=url, SECRETS_KEY=OLD_KEY)
    assert lost.returncode == 1
    assert "no key of SECRETS_KEY decrypts the token of communities -100" in lost.stderr
    assert asyncio.run(token_with(url, (NEW_KEY,))) == TOKEN
    for result in (rotated, lost):
        for secret in (NEW_KEY, OLD_KEY, TOKEN):
            assert secret not in result.stdout + result.stderr


def test_a_key_that_is_no_fernet_key_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = groupbuy("check-config", tmp_path=tmp_path, SECRETS_KEY=f"{NEW_KEY},not-a-key")
    assert result.returncode == 2
    assert result.stderr.startswith("groupbuy: invalid setting SECRETS_KEY: key 2 of 2 is not")
    assert "Fernet.generate_key()" in result.stderr
    assert NEW_KEY not in result.stderr
    shown = groupbuy("check-config", tmp_path=tmp_path, SECRETS_KEY=f"{NEW_KEY}, {OLD_KEY}")
    assert "SECRETS_KEY=(set, hidden)" in shown.stdout
    assert NEW_KEY not in shown.stdout + shown.stderr
    assert parse_keys(f" {NEW_KEY}, {OLD_KEY} ,") == (NEW_KEY, OLD_KEY)


async def insert_plain_token(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO communities (chat_id, title, timezone, currency, language, "
                    "open_rule, region, pickup_address, payment_token) VALUES (-100, "
                    "'Block 5', 'UTC', 'EUR', 'en', 'anyone', '', '', :token)"
                ),
                {"token": TOKEN},
            )
    finally:
        await database.dispose()


async def test_the_migration_encrypts_the_tokens_stored_in_plain_text(database_url: str) -> None:
    await downgrade(database_url, "0019")
    await insert_plain_token(database_url)
    posted = {"message": {"message_id": 5, "text": f"/paytoken {TOKEN}", "chat": {"id": -100}}}
    other = {"message": {"message_id": 6, "text": "/help", "chat": {"id": -100}}}
    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            await uow.inbox.store([(71, posted), (72, other)], datetime.now(UTC))
            await uow.commit()
    finally:
        await database.dispose()
    # Without a key it refuses, and changes nothing: the token is neither lost nor left.
    with pytest.raises(MigrationRefused, match="SECRETS_KEY is not set, and 1 communities"):
        await upgrade(database_url)
    await upgrade(database_url, secrets_keys=(NEW_KEY,))
    raw = await stored_raw(database_url)
    assert raw is not None and TOKEN not in raw
    assert await token_with(database_url, (NEW_KEY,)) == TOKEN
    # The inbox's copy of a token posted before this version keeps no text; others stay.
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            kept = dict(
                (await connection.execute(select(InboxRow.update_id, InboxRow.payload))).all()
            )
    finally:
        await database.dispose()
    assert kept[71] == {"message": {"message_id": 5, "chat": {"id": -100}}} and kept[72] == other
    # And back: decrypted into the plain column of before, with the key.
    await downgrade(database_url, "0019", secrets_keys=(NEW_KEY,))
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            plain = await connection.scalar(text("SELECT payment_token FROM communities"))
    finally:
        await database.dispose()
    assert plain == TOKEN
    await upgrade(database_url, secrets_keys=(NEW_KEY,))


def test_an_upgrade_with_tokens_and_no_key_stops_with_one_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    asyncio.run(upgrade(url, "0019"))
    asyncio.run(insert_plain_token(url))
    refused = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url)
    assert refused.returncode == 2
    assert refused.stderr.startswith("groupbuy: SECRETS_KEY is not set, and 1 communities")
    assert len(refused.stderr.splitlines()) == 1
    done = groupbuy("migrate", tmp_path=tmp_path, DATABASE_URL=url, SECRETS_KEY=NEW_KEY)
    assert done.returncode == 0, done.stderr
    assert asyncio.run(token_with(url, (NEW_KEY,))) == TOKEN
