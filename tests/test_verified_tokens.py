"""A verified token is remembered so its signature is checked once, never past its expiry and never unbounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tic_shared.auth import Principal, TokenVerifier, VerifiedTokens
from tic_shared.problems import Problem


class CountingVerifier(TokenVerifier):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.checked = 0

    async def verify(self, token: str) -> Principal:
        self.checked += 1
        return await super().verify(token)


def _verifier(make_settings: Callable[..., Any]) -> CountingVerifier:
    return CountingVerifier(make_settings("registry"))


async def test_a_token_is_verified_once_while_it_is_valid(
    make_settings: Callable[..., Any], token: Callable[..., str]
) -> None:
    verifier = _verifier(make_settings)
    verified = VerifiedTokens(verifier)
    bearer = token(subject="reader", roles=["bureau_admin"])
    first = await verified.principal(bearer)
    again = await verified.principal(bearer)
    assert first.subject == again.subject == "reader"
    assert verifier.checked == 1


async def test_an_expired_token_is_refused_even_after_it_was_remembered(
    make_settings: Callable[..., Any], keys: Any
) -> None:
    from tic_shared.auth import mint_token

    verifier = _verifier(make_settings)
    verified = VerifiedTokens(verifier)
    short = mint_token(keys.private_pem, subject="brief", roles=["bureau_admin"], ttl_s=1)
    assert (await verified.principal(short)).subject == "brief"
    await asyncio.sleep(2.1)
    with pytest.raises(Problem) as refused:
        await verified.principal(short)
    assert refused.value.status == 401
    assert verifier.checked == 2


async def test_the_memory_is_bounded(make_settings: Callable[..., Any], token: Callable[..., str]) -> None:
    verified = VerifiedTokens(_verifier(make_settings), size=10)
    for n in range(25):
        await verified.principal(token(subject=f"user-{n}", roles=["expert"]))
    assert len(verified._known) <= 10


async def test_a_forged_token_is_never_remembered(make_settings: Callable[..., Any], token: Callable[..., str]) -> None:
    verifier = _verifier(make_settings)
    verified = VerifiedTokens(verifier)
    good = token(subject="reader", roles=["bureau_admin"])
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(Problem):
            await verified.principal(forged)
    assert verifier.checked == 2
