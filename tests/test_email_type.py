"""The contract's e-mail type: pydantic's EmailStr, its parse remembered."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, EmailStr, ValidationError

from tic_shared.vocabulary import Email, _normalised_email


class Ours(BaseModel):
    email: Email


class Pydantics(BaseModel):
    email: EmailStr


ADDRESSES = [
    "wang.fang@example.com",
    "Wang.Fang@Example.COM",
    "李华@例子.中国",
    "no-at-sign",
    "two@@example.com",
    "trailing.dot.@example.com",
    "",
    "x" * 300 + "@example.com",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_an_address_is_accepted_normalised_or_refused_as_email_str_does(address: str) -> None:
    try:
        expected: str | list[dict[str, object]] = Pydantics(email=address).email
    except ValidationError as exc:
        expected = [{k: e[k] for k in ("type", "loc", "msg")} for e in exc.errors()]
    try:
        got: str | list[dict[str, object]] = Ours(email=address).email
    except ValidationError as exc:
        got = [{k: e[k] for k in ("type", "loc", "msg")} for e in exc.errors()]
    assert got == expected


def test_its_json_schema_is_email_strs() -> None:
    assert Ours.model_json_schema()["properties"]["email"] == {"format": "email", "title": "Email", "type": "string"}
    assert Ours.model_json_schema() == {**Pydantics.model_json_schema(), "title": "Ours"}


def test_an_address_seen_before_is_not_parsed_again() -> None:
    _normalised_email.cache_clear()
    for _ in range(3):
        Ours(email="zhang.wei@example.com")
    info = _normalised_email.cache_info()
    assert (info.misses, info.hits) == (1, 2)
