"""Unified social credit code (统一社会信用代码) validation per GB 32100-2015."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

# GB 32100-2015 §4.1: the code's alphabet is the digits and the capital letters without I, O, Z, S, V
# (too easily mistaken for 1, 0, 2, 5, U); a character's value is its index here.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100-2015 §4.2: weight of position i (1-based) is 3^(i-1) mod 31.
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18
_VALUE = {char: value for value, char in enumerate(ALPHABET)}
_MODULUS = len(ALPHABET)


class CreditCodeProblem(StrEnum):
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTER = "bad_character"
    BAD_AUTHORITY = "bad_registration_authority"
    BAD_CATEGORY = "bad_entity_category"
    BAD_DIVISION_CODE = "bad_division_code"
    WRONG_CHECK_CHARACTER = "wrong_check_character"


@dataclass(frozen=True)
class CreditCodeCheck:
    """The verdict on one code: valid, or the problem and a sentence naming it."""

    code: str
    valid: bool
    problem: CreditCodeProblem | None = None
    detail: str = ""


@cache
def entity_categories() -> dict[str, dict[str, str]]:
    """Registration authority code -> {entity category code: its name} (GB 32100-2015 table 1, as data)."""
    text = resources.files("registry").joinpath("data", "credit-code.toml").read_text(encoding="utf-8")
    return {a["code"]: dict(a["categories"]) for a in tomllib.loads(text)["authorities"]}


def check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 are `first17`: C18 = 31 − (Σ Ci·Wi mod 31), 31 ↦ 0."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"expected {LENGTH - 1} characters, got {len(first17)}")
    bad = [c for c in first17 if c not in _VALUE]
    if bad:
        raise ValueError(f"character {bad[0]!r} is not in the GB 32100 alphabet")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(_MODULUS - total % _MODULUS) % _MODULUS]


def validate_credit_code(code: str) -> CreditCodeCheck:
    """Check length, alphabet, the authority and category (positions 1–2), the 6-digit division code (3–8) and
    the check character."""
    if len(code) != LENGTH:
        return CreditCodeCheck(
            code, False, CreditCodeProblem.WRONG_LENGTH, f"must be {LENGTH} characters, got {len(code)}"
        )
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            return CreditCodeCheck(
                code,
                False,
                CreditCodeProblem.BAD_CHARACTER,
                f"character {char!r} at position {position} is not a digit or capital letter other than I, O, Z, S, V",
            )
    categories = entity_categories()
    if code[0] not in categories:
        return CreditCodeCheck(
            code,
            False,
            CreditCodeProblem.BAD_AUTHORITY,
            f"position 1 must be a registration authority code ({', '.join(categories)}), got {code[0]!r}",
        )
    if code[1] not in categories[code[0]]:
        return CreditCodeCheck(
            code,
            False,
            CreditCodeProblem.BAD_CATEGORY,
            f"position 2 must be an entity category of authority {code[0]!r} "
            f"({', '.join(categories[code[0]])}), got {code[1]!r}",
        )
    if not code[2:8].isdigit():
        return CreditCodeCheck(
            code,
            False,
            CreditCodeProblem.BAD_DIVISION_CODE,
            f"positions 3–8 must be the 6-digit administrative division code, got {code[2:8]!r}",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        return CreditCodeCheck(
            code,
            False,
            CreditCodeProblem.WRONG_CHECK_CHARACTER,
            f"check character is {code[17]!r}, expected {expected!r}",
        )
    return CreditCodeCheck(code, True)


def is_valid_credit_code(code: str) -> bool:
    return validate_credit_code(code).valid
