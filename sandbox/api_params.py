"""A Bot API call's parameters, read strictly, and the errors the emulator answers with."""

from __future__ import annotations

import json
from typing import Any

# Fields Telegram takes as JSON objects; form-encoded clients send them as JSON text.
JSON_FIELDS = {
    "reply_markup", "allowed_updates", "entities", "commands", "link_preview_options", "media",
    "prices", "reply_parameters",
}  # fmt: skip
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """Answered to the bot as Telegram would: status code, description, maybe retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class Params:
    """A method's parameters from JSON, urlencoded or multipart bodies, read strictly."""

    def __init__(self, values: dict[str, Any], files: dict[str, tuple[str, str, bytes]]) -> None:
        self.values = values
        self.files = files

    def get(self, name: str) -> Any:
        value = self.values.get(name)
        if name in JSON_FIELDS and isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def required(self, name: str) -> Any:
        value = self.get(name)
        if value is None or value == "":
            raise bad_request(f"{name} is empty" if name == "text" else f"{name} is required")
        return value

    def int(self, name: str, default: int | None = None) -> int:
        value = self.values.get(name)
        if value is None or value == "":
            if default is None:
                raise bad_request(f"{name} is required")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def file(self, name: str) -> tuple[str, str, bytes] | str:
        """An uploaded file (name, mime, bytes), or the file_id string to send again."""
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            name, value = value.removeprefix("attach://"), None
        if name in self.files:
            return self.files[name]
        if isinstance(value, str) and value:
            return value
        raise bad_request(f"there is no {name} in the request")
