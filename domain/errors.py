"""The root of every domain error: a broken business rule with a message fit for a person."""


class DomainError(Exception):
    """A business rule refused the request; `str(error)` says why."""
