"""Typed settings read from the environment or a `.env` file (DESIGN.md §7)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.secrets import parse_keys
from texts.i18n import SUPPORTED_LANGUAGES

TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What Telegram accepts as a webhook's secret_token, at least 16 characters long: a short one
# can be guessed, and whoever knows it can send the bot forged updates.
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,256}")
MAKE_A_SECRET = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'
SECRET_RULE = f"16 to 256 characters of A-Z a-z 0-9 _ - (make one with: {MAKE_A_SECRET})"


class Settings(BaseSettings):
    """Everything the bot can be configured with; a wrong value fails at start-up."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_api_base_url: str = TELEGRAM_API_BASE_URL
    database_url: str = "sqlite+aiosqlite:///groupbuy.db"
    admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_timezone: str = "UTC"
    default_currency: str = "EUR"
    default_language: str = "en"
    max_fee_percent: Decimal = Field(default=Decimal("10"), ge=0, le=100)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Where the bot itself listens in webhook mode; WEBHOOK_URL is usually a reverse proxy
    # in front of it, so loopback is the safe default.
    webhook_listen: str = "127.0.0.1:8443"
    log_level: str = "INFO"
    # The catalog Mini App: MINI_APP_URL is its public https address (BotFather's Mini App URL,
    # ending in /app), served by the webhook server in webhook mode; in polling mode
    # MINI_APP_LISTEN ("host:port") starts a small server for it (the sandbox starts one on the
    # loopback by itself). Without either, the buttons work as before and there is no app.
    mini_app_url: str | None = None
    mini_app_listen: str | None = None
    # Telegram Payments: the provider token BotFather gives under Payments. With it, members
    # of prepaid purchases can pay what they owe with an invoice in Telegram (the money goes
    # to the provider account behind the token); without it, they pay the head as before.
    payment_provider_token: SecretStr | None = None
    # Prometheus' /metrics on an address of its own ("host:port"; port 0: any), never on the
    # webhook's, which the load balancer forwards from outside. Off when unset.
    metrics_listen: str | None = None
    # A process without WEBHOOK_URL refuses to poll while Telegram has a webhook set for the
    # token (the production workers'); true: take the updates over, and the workers stop.
    take_over_webhook: bool = False
    # How often webhook workers check that the webhook is still theirs (bot/takeover.py).
    webhook_check_seconds: float = Field(default=30, gt=0, le=3600)
    # The key communities' own payment tokens are encrypted with in the database (a Fernet
    # key; "new,old" while rotating: the first encrypts, each decrypts). Without it chat
    # admins cannot set a token. docs/security.md: making one, rotating, backing it up.
    secrets_key: SecretStr | None = None
    # Only used without BOT_TOKEN: the port of the sandbox's chat page on 127.0.0.1.
    sandbox_page_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator(
        "bot_token", "webhook_secret", "payment_provider_token", "secrets_key", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            bot_id, _, secret = value.get_secret_value().partition(":")
            if not bot_id.isdigit() or not secret:
                raise ValueError("expected the form 123456:ABC-DEF... as given by @BotFather")
        return value

    @field_validator("secrets_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @property
    def secrets_keys(self) -> tuple[str, ...]:
        """SECRETS_KEY's keys, the one that encrypts first."""
        return () if self.secrets_key is None else parse_keys(self.secrets_key.get_secret_value())

    @field_validator(
        "webhook_url", "mini_app_url", "mini_app_listen", "metrics_listen", mode="before"
    )
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("bot_api_base_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http:// or https:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers)"
            )
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _comma_separated_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            bad = [part for part in parts if not part.lstrip("-").isdigit()]
            if bad:
                raise ValueError(f"{bad[0]!r} is not a numeric Telegram user id")
            return tuple(int(part) for part in parts)
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone such as Europe/Berlin") from None
        return value

    @field_validator("default_currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        code = value.upper()
        if not is_currency(code):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code such as EUR")
        return code

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"{value!r} is not one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET_PATTERN.fullmatch(value.get_secret_value()):
            raise ValueError(f"use {SECRET_RULE}")
        return value

    @field_validator("webhook_listen")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, colon, port = value.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port, e.g. 127.0.0.1:8443")
        return value.strip()

    @field_validator("mini_app_listen", "metrics_listen")
    @classmethod
    def _own_host_and_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, colon, port = value.strip().rpartition(":")
        if not colon or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"{value!r} is not host:port, e.g. 127.0.0.1:8081 (0: any port)")
        return value.strip()

    @field_validator("mini_app_url")
    @classmethod
    def _https_mini_app(cls, value: str | None) -> str | None:
        # Telegram opens Mini Apps over https only.
        if value is not None and urlsplit(value).scheme != "https":
            raise ValueError("a Mini App URL is https://..., as BotFather takes it")
        return value

    @model_validator(mode="after")
    def _webhook_needs_a_secret(self) -> Settings:
        # Without it anyone who finds the URL could send the bot forged updates.
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET: webhook mode (WEBHOOK_URL is set) needs a secret, so that only "
                f"Telegram can send updates; set it to {SECRET_RULE}"
            )
        return self

    @property
    def listen_host(self) -> str:
        return self.webhook_listen.rpartition(":")[0].strip("[]")

    @property
    def listen_port(self) -> int:
        return int(self.webhook_listen.rpartition(":")[2])

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not one of {', '.join(LOG_LEVELS)}")
        return level


class SettingsError(Exception):
    """A setting has a wrong value; the message is one line fit to show an operator."""


def load_settings() -> Settings:
    """Read the settings, turning pydantic's report into one line that names each setting."""
    try:
        return Settings()
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            message = detail["msg"].removeprefix("Value error, ")
            # A rule across settings names the setting at the start of its own message.
            name = str(detail["loc"][0]).upper() if detail["loc"] else ""
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError("invalid setting " + "; ".join(problems)) from None
