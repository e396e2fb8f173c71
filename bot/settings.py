"""Typed settings read from the environment or a `.env` file (DESIGN.md §7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import is_currency
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LANGUAGES = ("en", "ru", "zh_Hans")
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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
    log_level: str = "INFO"
    # Only used without BOT_TOKEN: the port of the sandbox's chat page on 127.0.0.1.
    sandbox_page_port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("bot_token", "webhook_secret", mode="before")
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

    @field_validator("webhook_url", mode="before")
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
            name = str(detail["loc"][0]).upper() if detail["loc"] else "settings"
            message = detail["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("invalid setting " + "; ".join(problems)) from None
