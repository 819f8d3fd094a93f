"""Unified social credit codes (GB 32100-2015): real codes pass, corrupted ones fail with the right reason."""

from __future__ import annotations

import random

import pytest

from registry.domain.credit_code import (
    ALPHABET,
    WEIGHTS,
    CreditCodeProblem,
    check_character,
    entity_categories,
    is_valid_credit_code,
    validate_credit_code,
)

# Codes published on public registers and pages: large listed groups and Ningbo-registered (3302xx) companies.
REAL_CODES = (
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "914403001922038216",  # 华为技术有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000802100433B",  # 百度在线网络技术（北京）有限公司
    "91330212MA281ATH4G",  # 浙江智加信息科技有限公司 (Ningbo, Yinzhou)
    "913302117532974515",  # a Ningbo Zhenhai company
    "913302007645281201",  # a Ningbo company
)


def test_alphabet_and_weights_are_the_standards() -> None:
    assert ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert not set("IOZSV") & set(ALPHABET)
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert check_character(code[:17]) == code[17]


def test_generated_codes_are_valid() -> None:
    rng = random.Random(32100)
    for _ in range(500):
        prefix = rng.choice(["11", "12", "13", "19", "51", "52", "53", "91", "92", "93", "Y1"])
        first17 = prefix + "330212" + "".join(rng.choices(ALPHABET, k=9))
        assert is_valid_credit_code(first17 + check_character(first17))


def test_check_character_zero_when_sum_divides() -> None:
    # 31 − 0 = 31 maps to '0', not to an out-of-range index.
    assert check_character("0" * 17) == "0"


@pytest.mark.parametrize("code", REAL_CODES)
def test_wrong_check_character_fails(code: str) -> None:
    for wrong in ALPHABET.replace(code[17], "")[:5]:
        result = validate_credit_code(code[:17] + wrong)
        assert not result.valid
        assert result.problem == CreditCodeProblem.WRONG_CHECK_CHARACTER
        assert code[17] in result.detail


def test_a_changed_body_character_fails() -> None:
    code = REAL_CODES[5]
    corrupted = code[:10] + ("B" if code[10] != "B" else "C") + code[11:]
    assert validate_credit_code(corrupted).problem == CreditCodeProblem.WRONG_CHECK_CHARACTER


@pytest.mark.parametrize("bad", ["I", "O", "Z", "S", "V", "a", "-", " ", "中"])
def test_bad_character_set_fails(bad: str) -> None:
    code = REAL_CODES[0]
    result = validate_credit_code(code[:12] + bad + code[13:])
    assert result.problem == CreditCodeProblem.BAD_CHARACTER
    assert "position 13" in result.detail


def test_lowercase_is_not_accepted() -> None:
    assert validate_credit_code(REAL_CODES[0].lower()).problem == CreditCodeProblem.BAD_CHARACTER


@pytest.mark.parametrize("length", [0, 15, 17, 19, 20])
def test_wrong_length_fails(length: int) -> None:
    code = (REAL_CODES[0] * 2)[:length]
    result = validate_credit_code(code)
    assert result.problem == CreditCodeProblem.WRONG_LENGTH
    assert str(length) in result.detail


def test_division_code_must_be_digits() -> None:
    first17 = "91" + "3302A2" + "MA281ATH4"
    result = validate_credit_code(first17 + check_character(first17))
    assert result.problem == CreditCodeProblem.BAD_DIVISION_CODE


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        check_character("91330212MA281ATH")
    with pytest.raises(ValueError):
        check_character("91330212MA281ATHI")


def test_position_1_is_a_registration_authority_of_gb_32100() -> None:
    assert set(entity_categories()) == set("123456789ANY")
    for authority in "0BCDXW":
        first17 = authority + "1" + "330212" + "MA281ATH4"
        result = validate_credit_code(first17 + check_character(first17))
        assert result.problem == CreditCodeProblem.BAD_AUTHORITY
        assert "position 1" in result.detail


@pytest.mark.parametrize("prefix", ["94", "99", "Y2", "58", "A3", "2A"])
def test_position_2_is_a_category_of_that_authority(prefix: str) -> None:
    first17 = prefix + "330212" + "MA281ATH4"
    result = validate_credit_code(first17 + check_character(first17))
    assert result.problem == CreditCodeProblem.BAD_CATEGORY
    assert "position 2" in result.detail


def test_enterprises_and_institutions_have_their_categories() -> None:
    categories = entity_categories()
    assert categories["9"]["1"] == "企业"
    assert categories["1"]["2"] == "事业单位"
    assert categories["5"]["2"] == "民办非企业单位"
