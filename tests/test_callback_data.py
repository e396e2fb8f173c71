"""The callback codec: round-trips what it makes, refuses everything else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from texts.callback_data import (
    ARITY,
    Action,
    Callback,
    Start,
    decode,
    encode,
    parse_start,
)


def test_round_trip() -> None:
    assert decode(encode(Action.JOIN, 7, 2)) == Callback(Action.JOIN, (7, 2))
    biggest = encode(Action.HANDOVER, 2**63 - 1, -(2**63), 0)
    assert decode(biggest) == Callback(Action.HANDOVER, (2**63 - 1, -(2**63), 0))
    assert decode(encode(Action.WIZARD_SKIP, 1)) == Callback(Action.WIZARD_SKIP, (1,))


@pytest.mark.parametrize(
    "forged",
    ["", "j:7:2", "2:j:7:2", "1:j:7", "1:j:7:2:3", "1:zz:1", "1:j:x:2", "1:j:7:2 ", "1:J:7:2",
     "1:ws", "1:ws:1:2", "1:j:" + "9" * 20 + ":1", "1:j:7:2\n", "1:j:-:2", "x" * 65, None,
     "1:j:9223372036854775808:1", "1:j:1:-9223372036854775809", "1:oo:9999999999999999999"],
)  # fmt: skip
def test_anything_else_decodes_to_none(forged: str | None) -> None:
    assert decode(forged) is None


def test_encode_refuses_wrong_arity() -> None:
    with pytest.raises(ValueError, match="takes 2"):
        encode(Action.JOIN, 1)


@given(st.text(max_size=80))
def test_decode_never_raises(data: str) -> None:
    decode(data)


def test_start_payloads() -> None:
    assert parse_start("n-100123") == (Start.NEW_PURCHASE, -100123)
    assert parse_start("o7") == (Start.MY_ORDER, 7)
    assert parse_start("x7") is None
    assert parse_start("o7;drop") is None
    assert parse_start("o9223372036854775807") == (Start.MY_ORDER, 2**63 - 1)
    assert parse_start("o9223372036854775808") is None  # beyond 64 bits: not an id


def test_every_action_has_its_own_code() -> None:
    # Two names with one code would make the second an alias: its buttons would reach the
    # first one's handler.
    assert len(Action.__members__) == len(list(Action))
    assert set(ARITY) == set(Action)
