"""The one codec for callback data and deep-link payloads: short, versioned, parsed strictly.

Callback data is at most 64 bytes and comes from the client, so it is never trusted: anything
that does not parse exactly decodes to None, and handlers still check every id against the
database and the person pressing. Also the keyboards the notices build as Bot API JSON, made
into python-telegram-bot's types for a handler to send.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum, unique
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

VERSION = "1"
MAX_BYTES = 64
# Every id we store is a signed 64-bit integer; a larger number is forged, not an id.
INT64 = range(-(2**63), 2**63)


@unique  # two actions on one code would run each other's handler
class Action(StrEnum):
    JOIN = "j"  # +1 on the card: purchase, item
    WIZARD_SKIP = "ws"
    WIZARD_DONE = "wd"  # no more items
    WIZARD_PUBLISH = "wp"
    WIZARD_EDIT = "we"
    WIZARD_CANCEL = "wc"
    WIZARD_FIELD = "wf"  # jump to field number
    WIZARD_CHOICE = "wk"  # index of a choice offered as buttons (prepay / postpay...)
    ORDER_OPEN = "oo"  # purchase: a new editor message
    ORDER_REFRESH = "or"  # purchase: the editor under the button, redrawn
    ORDER_ADD = "oa"  # purchase, item, +1 or -1
    ORDER_TOLERANCE = "ot"  # purchase, item, +1 or -1
    ORDER_WITHDRAW = "ow"  # purchase: after the member said yes
    ORDER_ASK_LEAVE = "ol"  # purchase: Withdraw, asking once before it
    ORDER_ASK_WITHDRAW = "oq"  # purchase
    ORDER_PAID = "op"  # purchase: "I paid"
    ORDER_PAY = "oi"  # purchase: an invoice to pay in Telegram what is due now
    WITHDRAWAL_ACCEPT = "ha"  # purchase, member, request: shows what accepting would change
    WITHDRAWAL_CONFIRM = "hk"  # purchase, member, request: accept, after seeing that
    WITHDRAWAL_DECLINE = "hd"  # purchase, member, request
    HEAD_STOP = "hs"  # purchase: asks first (orders freeze for everyone)
    # The "yes" of a step asked once: purchase, asked at (epoch seconds), members it reaches.
    HEAD_STOP_CONFIRM = "hsy"
    HEAD_GO_AHEAD = "hg"  # purchase: asks whether to stop although short of the minimum
    HEAD_GO_AHEAD_CONFIRM = "hh"  # purchase, asked at, members: yes, stop although short
    HEAD_EXTEND = "he"  # purchase, hours
    HEAD_CANCEL = "hc"  # purchase
    HEAD_CANCEL_CONFIRM = "hcy"  # purchase, asked at, members: the reason is in the command
    HEAD_KEEP = "hkp"  # purchase: a question answered no; nothing changes
    HEAD_ORDERED = "ho"  # purchase: asks first (everyone is told)
    HEAD_ORDERED_CONFIRM = "hb"  # purchase, asked at, members
    HEAD_ARRIVED = "hr"  # purchase: asks first, naming the pickup slots
    HEAD_ARRIVED_CONFIRM = "hj"  # purchase, asked at, members
    HEAD_ARRIVED_TYPED_CONFIRM = "hjy"  # purchase, asked at, members: the slots are in /arrived
    HEAD_COMPLETE = "hf"  # purchase: asks first (members who did not collect are told)
    HEAD_COMPLETE_CONFIRM = "hfy"  # purchase, asked at, members
    HEAD_COMPLETE_ANYWAY = "hz"  # purchase: close with open balances (they stay on record)
    HEAD_DROP_UNPAID = "hn"  # purchase: what dropping those who paid nothing would change
    HEAD_DROP_CONFIRM = "hv"  # purchase, fingerprint of the members shown
    HEAD_PANEL = "hp"  # purchase: redraw the panel under the button
    HEAD_OPEN = "hq"  # purchase: a new message with its panel
    HEAD_PARTICIPANTS = "hl"  # purchase
    HEAD_EXPORT = "hx"  # purchase
    HEAD_MESSAGE = "hm"  # purchase
    HEAD_PAYMENTS = "hy"  # purchase: who has paid
    HEAD_REMIND_UNPAID = "hu"  # purchase
    PAYMENT_CONFIRM = "pc"  # purchase, member, claim
    PAYMENT_CASH = "pk"  # purchase, member, the amount shown (minor units): money received
    REFUND_GIVEN = "pb"  # purchase, member, the amount shown (minor units): money given back
    HEAD_TRANSFER = "ht"  # purchase: pick the next head
    HEAD_SUPPLY = "hw"  # purchase: enter what the supplier confirmed
    HEAD_EDIT = "hi"  # purchase: the form of editable terms
    TRANSFER_OFFER = "to"  # purchase, member
    TRANSFER_ACCEPT = "ta"  # purchase, offer (the member offered answers)
    TRANSFER_DECLINE = "td"  # purchase, offer
    PAYMENT_REJECT = "pr"  # purchase, member, claim
    HANDOVER = "gv"  # purchase, member, money settled then (minor; + received, − given back)
    HANDOVER_LATER = "gl"  # purchase, member
    HANDOVER_UNDO = "gu"  # purchase, member
    HELPER_REMOVE = "gx"  # purchase, helper: asks first
    HELPER_REMOVE_CONFIRM = "gxy"  # purchase, helper, asked at (epoch seconds)
    HELPERS_LIST = "gxl"  # purchase: the helpers again, under the button (a removal not made)
    HEAD_HELPERS = "gh"  # purchase: who helps hand over, to add or remove
    PICKUP_CHOOSE = "gs"  # purchase, slot number, 1 under the order editor (0 elsewhere)
    LANGUAGE = "lg"  # index into handlers.language.CHOICES
    HEAD_AGAIN = "ag"  # purchase: a new draft with its terms, items and photos
    HEAD_WEIGH = "wt"  # purchase: the form for the real weights of goods sold by weight
    PRICE_LIST_USE = "pl"  # price list: a purchase in the making with its items
    CAMPAIGN_ADOPT = "ca"  # campaign, community: a purchase in the making that sells it
    WIZARD_PRICE_LIST = "wl"  # price list: its items, at the wizard's items question
    ORDER_ROW_MOVE = "om"  # purchase, from item, to item: the size that completes a row
    ORDER_CONFIRM_UNUSUAL = "ov"  # purchase, item, quantity: yes, that many (asked once)
    ROUTE_DELIVERED = "rd"  # route plan, community: the driver left the goods there
    ROUTE_PROBLEM = "rp"  # route plan, community: the driver reports a problem next
    RATE = "rs"  # purchase, stars (1 to 5): a member's rating of a completed purchase
    WIZARD_ACCESS = "wa"  # 1: anyone with the link may join; 0: the chat's members only
    FORGET_ASK = "mf"  # user: what forgetting her would do, asked once (under /mydata)
    FORGET_CONFIRM = "mx"  # user, asked at (epoch seconds): forget her, after she read that
    FORGET_CANCEL = "mk"  # user: she keeps her data after all
    ORDER_PICK = "ok"  # purchase, item: a compact editor shows that item's +/− (its sizes)
    ORDER_PAGE = "og"  # purchase, page: a compact editor's items, that page (also Back)


ARITY = {
    Action.JOIN: 2,
    Action.WIZARD_SKIP: 1,
    Action.WIZARD_DONE: 1,
    Action.WIZARD_PUBLISH: 0,
    Action.WIZARD_EDIT: 0,
    Action.WIZARD_CANCEL: 0,
    Action.WIZARD_FIELD: 1,
    Action.WIZARD_CHOICE: 2,
    Action.ORDER_OPEN: 1,
    Action.ORDER_REFRESH: 1,
    Action.ORDER_ADD: 3,
    Action.ORDER_TOLERANCE: 3,
    Action.ORDER_WITHDRAW: 1,
    Action.ORDER_ASK_LEAVE: 1,
    Action.ORDER_ASK_WITHDRAW: 1,
    Action.ORDER_PAID: 1,
    Action.ORDER_PAY: 1,
    Action.WITHDRAWAL_ACCEPT: 3,
    Action.WITHDRAWAL_CONFIRM: 3,
    Action.WITHDRAWAL_DECLINE: 3,
    Action.HEAD_STOP: 1,
    Action.HEAD_STOP_CONFIRM: 3,
    Action.HEAD_GO_AHEAD: 1,
    Action.HEAD_GO_AHEAD_CONFIRM: 3,
    Action.HEAD_ORDERED_CONFIRM: 3,
    Action.HEAD_ARRIVED_CONFIRM: 3,
    Action.HEAD_ARRIVED_TYPED_CONFIRM: 3,
    Action.HEAD_COMPLETE_CONFIRM: 3,
    Action.HEAD_EXTEND: 2,
    Action.HEAD_CANCEL: 1,
    Action.HEAD_CANCEL_CONFIRM: 3,
    Action.HEAD_KEEP: 1,
    Action.HEAD_ORDERED: 1,
    Action.HEAD_ARRIVED: 1,
    Action.HEAD_COMPLETE: 1,
    Action.HEAD_COMPLETE_ANYWAY: 1,
    Action.HEAD_DROP_UNPAID: 1,
    Action.HEAD_DROP_CONFIRM: 2,
    Action.HEAD_PANEL: 1,
    Action.HEAD_OPEN: 1,
    Action.HEAD_PARTICIPANTS: 1,
    Action.HEAD_EXPORT: 1,
    Action.HEAD_MESSAGE: 1,
    Action.HEAD_PAYMENTS: 1,
    Action.HEAD_REMIND_UNPAID: 1,
    Action.PAYMENT_CONFIRM: 3,
    Action.PAYMENT_CASH: 3,
    Action.REFUND_GIVEN: 3,
    Action.HEAD_TRANSFER: 1,
    Action.HEAD_SUPPLY: 1,
    Action.HEAD_EDIT: 1,
    Action.TRANSFER_OFFER: 2,
    Action.TRANSFER_ACCEPT: 2,
    Action.TRANSFER_DECLINE: 2,
    Action.PAYMENT_REJECT: 3,
    Action.HANDOVER: 3,
    Action.HANDOVER_LATER: 2,
    Action.HANDOVER_UNDO: 2,
    Action.HELPER_REMOVE: 2,
    Action.HELPER_REMOVE_CONFIRM: 3,
    Action.HELPERS_LIST: 1,
    Action.HEAD_HELPERS: 1,
    Action.PICKUP_CHOOSE: 3,
    Action.LANGUAGE: 1,
    Action.HEAD_AGAIN: 1,
    Action.HEAD_WEIGH: 1,
    Action.PRICE_LIST_USE: 1,
    Action.CAMPAIGN_ADOPT: 2,
    Action.WIZARD_PRICE_LIST: 1,
    Action.ORDER_ROW_MOVE: 3,
    Action.ORDER_CONFIRM_UNUSUAL: 3,
    Action.ROUTE_DELIVERED: 2,
    Action.ROUTE_PROBLEM: 2,
    Action.RATE: 2,
    Action.WIZARD_ACCESS: 1,
    Action.FORGET_ASK: 1,
    Action.FORGET_CONFIRM: 2,
    Action.FORGET_CANCEL: 1,
    Action.ORDER_PICK: 2,
    Action.ORDER_PAGE: 2,
}
PATTERN = re.compile(r"1:([a-z]{1,3})((?::-?\d{1,19})*)")


@dataclass(frozen=True)
class Callback:
    action: Action
    args: tuple[int, ...]


def encode(action: Action, *args: int) -> str:
    data = ":".join([VERSION, action.value, *(str(arg) for arg in args)])
    if len(args) != ARITY[action]:
        raise ValueError(f"{action} takes {ARITY[action]} arguments")
    if len(data.encode()) > MAX_BYTES:
        raise ValueError("callback data over 64 bytes")
    return data


# Every handler's pattern decodes the pressed data again, some forty times a press: a rush
# of taps on one card presses the same few strings.
@functools.lru_cache(maxsize=4096)
def decode(data: str | None) -> Callback | None:
    """The callback, or None for anything that is not exactly what `encode` makes."""
    if data is None or len(data.encode()) > MAX_BYTES:
        return None
    match = PATTERN.fullmatch(data)
    if match is None:
        return None
    try:
        action = Action(match[1])
    except ValueError:
        return None
    args = tuple(int(arg) for arg in match[2].split(":")[1:])
    if len(args) != ARITY[action] or any(arg not in INT64 for arg in args):
        return None
    return Callback(action, args)


def is_action(action: Action) -> Callable[[object], bool]:
    """A pattern for CallbackQueryHandler matching one action."""

    def matches(data: object) -> bool:
        decoded = decode(data) if isinstance(data, str) else None
        return decoded is not None and decoded.action is action

    return matches


class Start(StrEnum):
    """Deep-link payloads: t.me/<bot>?start=<kind><number>."""

    NEW_PURCHASE = "n"  # community chat id
    MY_ORDER = "o"  # purchase id
    DETAILS = "d"  # purchase id
    CAMPAIGNS = "c"  # community chat id: the campaigns a head there may adopt
    PAY_TOKEN = "t"  # community chat id: a chat admin sends its payment provider token next
    MY_ORDERS = "l"  # 0: the list of the person's orders (/orders typed in a group)


START_PATTERN = re.compile(r"([nodctl])(-?\d{1,19})")


def start_payload(kind: Start, number: int) -> str:
    return f"{kind.value}{number}"


def parse_start(payload: str) -> tuple[Start, int] | None:
    match = START_PATTERN.fullmatch(payload)
    if match is None or int(match[2]) not in INT64:
        return None
    return Start(match[1]), int(match[2])


def deep_link(bot_username: str, kind: Start, number: int) -> str:
    return f"https://t.me/{bot_username}?start={start_payload(kind, number)}"


def keyboard(raw: dict[str, Any] | None) -> InlineKeyboardMarkup:
    """Buttons the notices build as Bot API JSON (for the outbox), for a handler to send."""
    rows = (raw or {}).get("inline_keyboard", [])
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
         for row in rows]
    )  # fmt: skip
