"""Translation and locale formatting: one gettext catalog per language, formatted by Babel.

The catalogs are the `.po` files under `texts/locales`; they are compiled in memory on first use,
so there is no build step and no compiled file to keep in step with its source.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_interval, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

from domain.errors import DomainError, Term
from domain.money import Money
from domain.purchase import STATUS_WORDS, PurchaseStatus

LOCALES_DIR = Path(__file__).parent / "locales"
# The languages the bot speaks: English (the source) and the catalogs under LOCALES_DIR.
SUPPORTED_LANGUAGES = ("en", "ru", "zh_Hans")
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == SOURCE_LANGUAGE or not po_path.exists():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def pick_language(*candidates: str | None) -> str:
    """The first candidate we have a catalog for ("ru-RU" → "ru", "zh-hans" → "zh_Hans")."""
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.replace("-", "_").lower()
        if code.startswith("zh") and not code.startswith(("zh_hant", "zh_tw", "zh_hk")):
            return "zh_Hans"
        base = code.split("_")[0]
        if base in SUPPORTED_LANGUAGES:
            return base
    return SOURCE_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """Texts and formats for one language and timezone: what a handler renders with."""

    language: str
    timezone: str = "UTC"

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def gettext(self, message: str) -> str:
        return _catalog(self.language).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _catalog(self.language).ngettext(singular, plural, count)

    def money(self, money: Money) -> str:
        return str(format_currency(money.amount, money.currency, locale=self.locale))

    def number(self, number: int) -> str:
        return str(format_decimal(number, locale=self.locale))

    def units(self, count: int) -> str:
        """A count of units with the noun agreeing ("1 unit", "5 units"; «1 штука», «2 штуки»,
        «5 штук»): put into a sentence whole, never as a bare number before a fixed noun."""
        return self.ngettext("{units} unit", "{units} units", count).format(units=count)

    def packs(self, count: int) -> str:
        return self.ngettext("{count} pack", "{count} packs", count).format(count=count)

    def kilograms(self, grams: int) -> str:
        """Grams as kilograms in the locale's digits: "0.5", "1.104", "0,5"."""
        return str(
            format_decimal(Decimal(grams).scaleb(-3), locale=self.locale, format="#,##0.###")
        )

    def when(self, instant: datetime) -> str:
        """An aware instant shown in the community's timezone ("Nov 25, 2026 6:00 PM")."""
        local = instant.astimezone(ZoneInfo(self.timezone))
        day = format_date(local, format="medium", locale=self.locale)
        clock = format_time(local, format="short", locale=self.locale)
        return f"{day} {clock}"

    def clock(self, instant: datetime) -> str:
        """The time of day only, in the timezone ("9:12 AM", "09:12"): for a day's schedule."""
        local = instant.astimezone(ZoneInfo(self.timezone))
        return str(format_time(local, format="short", locale=self.locale))

    def window(self, starts: datetime, ends: datetime) -> str:
        """A time window, its date said once when it is one day ("Dec 7, 2026 10:00 AM –
        12:00 PM"), in full at both ends when it spans days."""
        zone = ZoneInfo(self.timezone)
        first, last = starts.astimezone(zone), ends.astimezone(zone)
        if first.date() != last.date():
            return f"{self.when(starts)} – {self.when(ends)}"
        day = format_date(first, format="medium", locale=self.locale)
        hours = "Hm" if "H" in self.locale.time_formats["short"].pattern else "hm"
        return f"{day} {format_interval(first, last, hours, tzinfo=zone, locale=self.locale)}"

    def reason(self, error: DomainError) -> str:
        """Why the domain refused, in this language, with each value formatted for it."""
        if not error.values:  # nothing to fill in: the text is used as it is
            return self.gettext(error.message)
        values = {name: self._value(value) for name, value in error.values.items()}
        return self.gettext(error.message).format(**values)

    def _value(self, value: object) -> str:
        if isinstance(value, DomainError):
            return self.reason(value)
        if isinstance(value, PurchaseStatus):
            return self.gettext(STATUS_WORDS[value])
        if isinstance(value, Term):
            return self.gettext(value)
        if isinstance(value, Money):
            return self.money(value)
        if isinstance(value, datetime):
            return self.when(value)
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            return str(format_decimal(value, locale=self.locale))
        return str(value)


def speaking(*languages: str | None, timezone: str = "UTC") -> Translator:
    """The one way a translator is made for a reader: the first of `languages` we have a
    catalog for — in the order the house keeps (docs/ARCHITECTURE.md): the language a person
    chose with /language, else their Telegram app's (or the one stored for them when the bot
    writes first), else the community's, else the default — in `timezone`."""
    return Translator(pick_language(*languages), timezone)
