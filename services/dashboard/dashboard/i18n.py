"""Languages: zh-CN by default, English on a switch. Every string is in a gettext catalog (Babel); money, dates
and numbers are formatted for the reader's locale (amounts in 元 / 万元 for Chinese readers, CNY in English)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date, format_datetime, format_skeleton, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")


def N_(message: str) -> str:
    """Mark a string for the catalog; it is translated where it is shown."""
    return message


NAMES = {"zh_CN": "中文", "en": "English"}
CHINA = get_timezone("Asia/Shanghai")
# From 10,000 元 on, Chinese readers read amounts in 万元 (ten thousands).
WAN = 10_000
FEN_PER_WAN = 100 * WAN  # forms take money in 万元; the APIs count it in fen


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog of `locale`, compiled from its .po file in memory (English is the source language)."""
    if locale == "en":
        return NullTranslations()
    source = resources.files("dashboard").joinpath(f"locale/{locale}/LC_MESSAGES/messages.po")
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def pick_locale(wanted: str | None, default: str) -> str:
    return wanted if wanted in LOCALES else default


def money(fen: Any, locale: str) -> str:
    """Integer fen as people read it: 123456789 -> 123.46 万元 (zh) or CNY 1,234,567.89 (en)."""
    if fen is None:
        return "—"
    yuan = Decimal(int(fen)) / 100  # integer fen: an int, or a decimal string or Decimal without a fraction
    if locale == "en":
        return f"CNY {format_decimal(yuan, format='#,##0.00', locale='en')}"
    if abs(yuan) >= WAN:
        return f"{format_decimal(yuan / WAN, format='#,##0.00', locale='zh_CN')} 万元"
    return f"{format_decimal(yuan, format='#,##0.00', locale='zh_CN')} 元"


def day(value: Any, locale: str) -> str:
    """A date (or an ISO string of one) in the reader's way: 2026年12月3日 / Dec 3, 2026."""
    if value in (None, ""):
        return "—"
    if isinstance(value, str) and len(value) > 10:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):  # a moment: the day it was in China
        value = value.astimezone(CHINA).date() if value.tzinfo else value.date()
    parsed = value if isinstance(value, date) else date.fromisoformat(str(value))
    return format_date(parsed, format="long" if locale == "zh_CN" else "medium", locale=locale)


def month_day(value: str | None, locale: str) -> str:
    """A day of every year ("03-31", as the APIs write it) in the reader's way: 3月31日 / Mar 31."""
    if not value:
        return "—"
    month, day_of_month = (int(part) for part in value.split("-"))
    return format_skeleton("MMMd", date(2000, month, day_of_month), locale=locale)


def moment(value: Any, locale: str) -> str:
    """A time (an ISO string from the APIs, in UTC) in China's time zone, to the minute."""
    if value in (None, ""):
        return "—"
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return format_datetime(parsed, format="yyyy-MM-dd HH:mm", tzinfo=CHINA, locale=locale)


def number(value: Any, locale: str) -> str:
    if value is None:
        return "—"
    return format_decimal(value, locale=locale)


# What a plan's figures count in (the evaluation service's units), as written after a figure: Chinese, English.
# Money counts in fen and is written as money; a count whose English reads from the indicator's name has none.
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "percent": ("%", "%"),
    "organizations": ("家", ""),
    "units": ("个", ""),
    "projects": ("个", "projects"),
    "items": ("项", "items"),
    "events": ("场", "events"),
    "people": ("人", "people"),
    "person_times": ("人次", "person-times"),
    "wan_person_years": ("万人年", "× 10,000 person-years"),
    "per_10k_people": ("件/万人", "per 10,000 people"),
    "person_years_per_10k_employed": ("人年/万名就业人员", "person-years per 10,000 employed"),
    "square_metres": ("平方米", "m²"),
    "index": ("", ""),
}


def unit_name(unit: str | None, locale: str) -> str:
    """What a figure of `unit` is written with in the reader's language ("" for a bare count, or unknown)."""
    zh, en = UNIT_NAMES.get(unit or "", ("", ""))
    return en if locale == "en" else zh


def figure(value: Any, unit: str | None, locale: str) -> str:
    """A plan's figure (a decimal string from the API) with its unit: 2.76%, 150,000 m² / 150,000平方米, money as
    money (fen → 万元 / CNY); a unit the console does not know, or none, gives the number alone, grouped."""
    if value is None:
        return "—"
    if unit == "fen":
        return money(Decimal(str(value)), locale)
    text = format_decimal(Decimal(str(value)), locale=locale)
    name = unit_name(unit, locale)
    # Chinese writes the unit right after the figure; English after a space, but for a percent sign.
    return f"{text} {name}" if locale == "en" and name and name != "%" else f"{text}{name}"
