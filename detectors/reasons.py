"""Reason codes: the stable, human-readable names for what drove a decision.

Values equal the protobuf ReasonCode numbers in protos/acctguard/v1/acctguard.proto.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ReasonCode(IntEnum):
    NEW_DEVICE = 1
    NEW_COUNTRY = 2
    NEW_NETWORK = 3
    IMPOSSIBLE_TRAVEL = 4
    FAILED_LOGIN_BURST = 5
    UNUSUAL_HOUR = 6
    AMOUNT_SPIKE = 7
    NEW_PAYEE = 8
    RAPID_TRANSACTIONS = 9
    CREDENTIAL_CHANGE_THEN_PAYOUT = 10
    DORMANT_ACCOUNT = 11
    RAPID_ACCOUNT_CHANGES = 12
    LOGIN_VELOCITY = 13
    FEATURE_FROZEN = 14
    NEW_ACCOUNT = 15
    UNUSUAL_PATTERN = 16
    OPERATOR_FREEZE = 17
    TINY_AMOUNT = 18
    RISK_STORE_UNAVAILABLE = 19
    REPORTED_FRAUD = 20
    FAILED_STEP_UP = 21
    NOT_SCORED_IN_TIME = 22


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    message: str
    weight: float
