"""Domain errors: a broken business rule, with a message fit to show the person who tried."""


class DomainError(Exception):
    """A business rule refused the request; `str(error)` says why."""


class InvalidPurchase(DomainError):
    """A purchase's fields do not make a purchase (no items, a deadline in the past...)."""


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
