"""The stress population's knobs: how strongly each persona of :mod:`stress` shows its trait.

One knob per persona (the device changer has two), each a share, a rate or a count; the
defaults are what ``acctguard simulate --population stress`` and ``acctguard eval
--population stress`` use. What each persona does with its knob is described in
:mod:`detectors.simulation.stress`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class StressKnobs:
    splurge_rate: float = 0.08  # heavy_spender: chance per day of a purchase 5-30x the median
    bill_sessions_per_month: float = 4.0  # session_payer: sessions of 3-10 payments a month
    new_payee_share: float = 0.5  # new_payee_regular: share of online payments to new payees
    payday_abroad_share: float = 0.3  # payday_saver: share of savers abroad on payday
    spree_pace: float = 4.0  # seasonal_shopper: payments per day in the sale, times the usual
    bookkeeper_sessions_per_month: float = 4.0  # bookkeeper: the bookkeeper's payment runs
    trips_per_month: float = 4.0  # frequent_traveller: chance per day at home of leaving, x30
    phone_changes: int = 2  # device_changer: new phones over the period
    family_share: float = 0.3  # device_changer: share of sign-ins on a family member's device
    hop_share: float = 0.7  # network_hopper: share of sign-ins away from the home broadband
    foreign_exit_share: float = 0.3  # vpn_satellite: share of sessions placed in another country
    typo_rate: float = 0.35  # typo_prone: share of sign-ins preceded by 2-5 failed attempts

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"stress knob {name} must not be negative, got {value}")
        for name in ("new_payee_share", "payday_abroad_share", "family_share", "hop_share",
                     "foreign_exit_share", "typo_rate", "splurge_rate"):
            if getattr(self, name) > 1.0:
                raise ValueError(f"stress knob {name} is a share within [0, 1], "
                                 f"got {getattr(self, name)}")
