"""Card numbers: every issuer's prefix and length, Luhn-checked; long numbers that are not cards stay."""

from __future__ import annotations

import pytest

from privacy.recognizers import CardNumberRecognizer


def _luhn(body: str) -> str:
    """``body`` with its Luhn check digit appended (worked out here, not by Presidio)."""
    total = 0
    for i, d in enumerate(reversed(body)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return body + str((10 - total % 10) % 10)


def _found(text: str) -> list[str]:
    return [
        text[r.start : r.end] for r in CardNumberRecognizer().analyze(text, ["CREDIT_CARD"]) if r.score >= 0.4
    ]


@pytest.mark.parametrize(
    "number",
    [
        _luhn("222300004841001"),  # Mastercard 2-series
        _luhn("408621182339845461"),  # 19-digit Visa
        _luhn("50180307562"),  # 12-digit Maestro
        _luhn("21312856914630"),  # 15-digit JCB
        _luhn("37828224631000"),  # Amex
        _luhn("601111111111111"),  # Discover
        _luhn("620000000000000"),  # UnionPay
    ],
)
def test_every_issuer_is_found(number):
    assert _found(f"refund to card {number} today") == [number]


def test_grouped_numbers_are_found_whole():
    number = _luhn("411111111111111")
    grouped = " ".join(number[i : i + 4] for i in range(0, 16, 4))
    assert _found(f"card {grouped}.") == [grouped]
    assert _found(f"card {grouped.replace(' ', '-')}") == [grouped.replace(" ", "-")]


@pytest.mark.parametrize(
    "text",
    [
        "card " + _luhn("411111111111111")[:-1] + "2",  # fails the Luhn check
        "order " + _luhn("911111111111111"),  # no issuer starts with 9
        "trace " + _luhn("41111111111111111111")[:20],  # 20 digits
        "ORD-" + _luhn("411111111111111"),  # part of an identifier
        "sha a" + _luhn("411111111111111") + "f",  # inside a hex string
        "card 4111-1111 1111 1111",  # mixed separators: not one number
    ],
)
def test_numbers_that_are_not_cards_stay(text):
    assert _found(text) == []
