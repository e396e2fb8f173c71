"""Domain errors: a broken business rule, with a message fit to show the person who tried.

The domain does not translate. Each error carries its message as an English template marked
with `N_` (so the catalogs pick it up) plus the values to fill in, kept as values (Money, whole
numbers, statuses, a nested error) so that the handlers can translate the template and format
each value for the reader's language: `Translator.reason(error)`.
"""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a message for translation; it is translated where it is shown, not here."""
    return message


class Term(str):
    """A word put into an error message ("the price") that is translated along with it."""

    __slots__ = ()


class DomainError(Exception):
    """A business rule refused the request; `str(error)` says why, in English."""

    def __init__(self, message: str, /, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message.format(**values) if values else message)


class InvalidPurchase(DomainError):
    """A purchase's fields do not make a purchase (no items, a deadline in the past...)."""


class FormError(DomainError):
    """What a person typed for a field is not valid; the message says what is expected."""


class IllegalTransition(DomainError):
    """The purchase cannot go from its status to the one asked for."""


class NotAllowed(DomainError):
    """The person asking is not allowed to do this (not the head, not an admin...)."""


class OrdersClosed(DomainError):
    """Orders can no longer be changed: the purchase is stopped or past its deadline."""


class OutOfStock(DomainError):
    """Not enough stock is left for the units asked for."""


class LimitExceeded(DomainError):
    """The member would go over (or under) the per-member limit of an item."""


class NotFound(DomainError):
    """No such purchase, item or member."""


class MoqNotReached(DomainError):
    """The minimum order is not reached, so the purchase cannot simply stop."""


class PickupNeeded(InvalidPurchase):
    """Goods cannot be marked arrived before the head says where and when to pick them up."""


class UnusualQuantity(LimitExceeded):
    """More units of an item than anyone would usually order in this purchase: a slip of the
    finger until the member confirms it (`domain.usual_quantities`)."""

    def __init__(self, message: str, /, *, quantity: int, item: str, bound: int) -> None:
        super().__init__(message, quantity=quantity, item=item, bound=bound)
        self.quantity = quantity
        self.bound = bound
