"""CPF validation: the two check digits (mod 11), any formatting, repeated digits refused."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.services.people import cpf

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(
    lambda s: len(set(s)) > 1
)


def test_known_numbers():
    assert cpf.is_valid("529.982.247-25")
    assert cpf.is_valid("52998224725")
    assert cpf.is_valid("111.444.777-35")
    assert not cpf.is_valid("529.982.247-24")
    assert not cpf.is_valid("111.111.111-11")  # arithmetic passes, never issued
    assert not cpf.is_valid("1234567890")
    assert not cpf.is_valid("")
    assert not cpf.is_valid(None)
    assert cpf.formatted("52998224725") == "529.982.247-25"


@given(nine_digits)
def test_the_computed_check_digits_make_a_valid_cpf(first):
    number = first + cpf.check_digits(first)
    assert cpf.is_valid(number)
    assert cpf.is_valid(cpf.formatted(number))


@given(nine_digits, st.integers(9, 10), st.integers(1, 9))
def test_a_wrong_check_digit_is_always_caught(first, position, delta):
    number = list(first + cpf.check_digits(first))
    number[position] = str((int(number[position]) + delta) % 10)
    assert not cpf.is_valid("".join(number))
