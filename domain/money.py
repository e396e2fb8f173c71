"""Exact money: integer minor units with an ISO 4217 currency; never a float."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, DecimalException

from babel.numbers import get_currency_precision, is_currency

from domain.errors import N_, DomainError

# No purchase comes near a trillion units of any currency; larger numbers are typing mistakes.
MAX_MINOR_DIGITS = 15


class CurrencyMismatch(DomainError):
    """Two amounts in different currencies were combined."""


class InvalidAmount(DomainError):
    """A text or number is not a valid amount in the currency."""


def check_currency(code: str) -> str:
    """Return the upper-case ISO 4217 code, or raise if Babel does not know it."""
    upper = code.upper()
    if not is_currency(upper):
        raise InvalidAmount(N_('"{code}" is not an ISO 4217 currency code'), code=code)
    return upper


def minor_digits(currency: str) -> int:
    """How many digits the currency has after the decimal point (EUR 2, JPY 0, BHD 3)."""
    return int(get_currency_precision(currency))


@dataclass(frozen=True, order=False)
class Money:
    """An amount of one currency, held as a whole number of its minor unit (cents)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise InvalidAmount(N_("money is counted in whole minor units"))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str | Decimal | int, currency: str) -> Money:
        """Read "12.50" (or "12,50") exactly; refuse more decimals than the currency has."""
        raw = text.strip().replace(",", ".") if isinstance(text, str) else text
        try:
            value = Decimal(raw)
        except (DecimalException, ValueError):
            raise InvalidAmount(N_('"{text}" is not a number'), text=text) from None
        if not value.is_finite():
            raise InvalidAmount(N_('"{text}" is not a number'), text=text)
        digits = minor_digits(currency)
        if value and value.adjusted() + digits >= MAX_MINOR_DIGITS:
            raise InvalidAmount(N_('"{text}" is too large an amount'), text=text)
        scaled = value.scaleb(digits)
        if scaled != scaled.to_integral_value():
            raise InvalidAmount(
                N_('"{text}" has more than {digits} decimal places for {currency}'),
                text=text,
                digits=digits,
                currency=currency,
            )
        return cls(int(scaled), currency)

    @property
    def amount(self) -> Decimal:
        """The amount in major units, exact (for display and export)."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(
                N_("cannot combine {currency} with {other}"),
                currency=self.currency,
                other=other.currency,
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, times: int) -> Money:
        if not isinstance(times, int) or isinstance(times, bool):
            raise InvalidAmount(N_("money is multiplied by whole numbers only"))
        return Money(self.minor * times, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def percent(self, percent: Decimal) -> Money:
        """This amount times percent/100, rounded half up to the minor unit."""
        exact = Decimal(self.minor) * percent / 100
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), self.currency)

    def split(self, weights: Sequence[int]) -> list[Money]:
        """Split into shares proportional to `weights` that add up exactly to this amount.

        Largest remainder: everyone first gets the floor of their exact share; the minor units
        left over go one each to the largest remainders, ties to the earlier position. Example:
        10.00 split by weights 1, 1, 1 gives 3.34, 3.33, 3.33 (sum 10.00). With all weights
        zero the amount is split as if all were equal.
        """
        return [Money(share, self.currency) for share in split_minor(self.minor, weights)]


def split_minor(amount: int, weights: Sequence[int]) -> list[int]:
    """`Money.split` on whole minor units, for callers that split for thousands of members
    and want Money objects only for the few shares they show."""
    if not weights:
        return []
    if any(weight < 0 for weight in weights):
        raise InvalidAmount(N_("split weights cannot be negative"))
    total_weight = sum(weights)
    effective = list(weights) if total_weight else [1] * len(weights)
    total_weight = sum(effective)
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    floors = [magnitude * weight // total_weight for weight in effective]
    remainders = [magnitude * weight % total_weight for weight in effective]
    left = magnitude - sum(floors)
    if left:
        order = sorted(range(len(effective)), key=lambda index: (-remainders[index], index))
        for index in order[:left]:
            floors[index] += 1
    return [sign * share for share in floors]
