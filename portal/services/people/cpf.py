"""CPF (Cadastro de Pessoas Físicas): eleven digits, the last two check digits (mod 11)."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"\D")


def digits(value: str | None) -> str:
    """The digits of ``value`` ("123.456.789-09" -> "12345678909")."""
    return _NON_DIGITS.sub("", value or "")


def check_digits(first_nine: str) -> str:
    """The two check digits of a CPF's first nine digits."""
    numbers = [int(d) for d in first_nine]
    for weight_start in (10, 11):
        total = sum(n * w for n, w in zip(numbers, range(weight_start, 1, -1), strict=False))
        rest = total * 10 % 11
        numbers.append(0 if rest == 10 else rest)
    return f"{numbers[-2]}{numbers[-1]}"


def is_valid(value: str | None) -> bool:
    """Whether ``value`` (formatted or not) is a CPF whose check digits match.

    Eleven equal digits ("111.111.111-11") pass the arithmetic but are not issued: refused.
    """
    number = digits(value)
    if len(number) != 11 or len(set(number)) == 1:
        return False
    return check_digits(number[:9]) == number[9:]


def formatted(value: str | None) -> str:
    """ "12345678909" -> "123.456.789-09" (anything else unchanged)."""
    number = digits(value)
    if len(number) != 11:
        return value or ""
    return f"{number[:3]}.{number[3:6]}.{number[6:9]}-{number[9:]}"
