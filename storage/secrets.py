"""Secrets at rest: what would let someone take the members' money (a community's payment
provider token) is stored as Fernet text under SECRETS_KEY, never in plain text
(docs/security.md). The first key encrypts; every key listed decrypts, for rotation."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from domain.ports import NoSecretsKey

log = logging.getLogger(__name__)


def parse_keys(value: str) -> tuple[str, ...]:
    """The keys of a SECRETS_KEY setting ("new,old"), each checked to be a Fernet key;
    ValueError names the one that is not."""
    keys = tuple(part.strip() for part in value.split(",") if part.strip())
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            raise ValueError(
                f"key {position} of {len(keys)} is not a Fernet key (32 random bytes in "
                'url-safe base64, 44 characters); make one with: python -c "from '
                'cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
            ) from None
    return keys


class Secrets:
    """Encrypts with the first key, decrypts with any; without keys it refuses to encrypt."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None
        # What could not be decrypted, warned about once per process: a load per update
        # would otherwise repeat the same line all day.
        self._warned: set[str] = set()

    @property
    def can_seal(self) -> bool:
        return self._fernet is not None

    def seal(self, plain: str) -> str:
        if self._fernet is None:
            raise NoSecretsKey
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str, whose: str) -> str | None:
        """The plain text, or None (with one warning, which never shows the secret) when no
        key listed decrypts it: a wrong or missing key makes the secret unset, not a crash."""
        if self._fernet is not None:
            try:
                return self._fernet.decrypt(sealed.encode()).decode()
            except InvalidToken:
                pass
        if whose not in self._warned:
            self._warned.add(whose)
            log.warning(
                "the payment token of %s cannot be decrypted with SECRETS_KEY (%s); it counts "
                "as unset until the key that encrypted it is listed again",
                whose,
                "not set" if self._fernet is None else "a wrong key?",
            )
        return None

    def reseal(self, sealed: str) -> str | None:
        """The same secret encrypted with the first key (rotation), or None when no key
        listed decrypts it."""
        if self._fernet is None:
            return None
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken:
            return None
