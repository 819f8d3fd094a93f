"""Languages: zh-CN by default, English on a switch. Every string is in a gettext catalog (Babel); money, dates
and numbers are formatted for the reader's locale (amounts in 元 / 万元 for Chinese readers, CNY in English)."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date, format_datetime, get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
NAMES = {"zh_CN": "中文", "en": "English"}
CHINA = get_timezone("Asia/Shanghai")
# From 10,000 元 on, Chinese readers read amounts in 万元 (ten thousands).
WAN = 10_000


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
    yuan = Decimal(int(fen)) / 100
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
