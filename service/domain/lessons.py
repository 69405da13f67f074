"""What each kind of feedback teaches an account's profile (see detectors.trust).

Pure functions of a profile, an event and the settings: the services around them read, decide
with these, and write the profile back in one :class:`~service.domain.feedback.TrustChange`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from detectors.events import Event
from detectors.profile import AccountProfile
from detectors.trust import (
    DistrustSource,
    Entities,
    EntityKind,
    StepUpState,
    clear_distrust,
    contact_changed_within,
    distrust,
    forget_entities,
    is_trusted,
    step_up_failed,
    take_step_up,
    vouch_for,
)
from service.domain.engine import TrustSettings
from service.domain.feedback import FraudEvidence

# Step-up methods that do not go through the phone number or e-mail address on file.
METHODS_BEYOND_CONTACT_POINTS = frozenset({"totp", "passkey"})


@dataclass(frozen=True, slots=True)
class Lesson:
    learned: bool  # the account's trust changed
    note: str  # what was learned, or why nothing was


def _day(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


def contact_guard(profile: AccountProfile, now: float, settings: TrustSettings,
                  strong_method: bool) -> str:
    """Why a passed step-up or a restore may not teach anything now ('' if it may): whoever
    changed the phone number or e-mail address receives the codes sent there."""
    if strong_method or not contact_changed_within(profile, now,
                                                   settings.contact_change_guard_seconds):
        return ""
    return (f"the phone number or e-mail address changed on {_day(profile.last_contact_change_at)}"
            ", so a code sent there proves nothing about who holds the account")


def passed(profile: AccountProfile, event: Event, method: str, now: float,
           settings: TrustSettings) -> Lesson:
    guard = contact_guard(profile, now, settings, method in METHODS_BEYOND_CONTACT_POINTS)
    if guard:
        profile.step_ups.pop(event.event_id, None)  # answered: never judged abandoned
        return Lesson(False, guard)
    vouch_for(profile, event)
    return Lesson(True, "the event's device, network, country and payee are now trusted")


def failed(profile: AccountProfile, event: Event, now: float,
           settings: TrustSettings) -> Lesson:
    if take_step_up(profile, event.event_id) is StepUpState.JUDGED_ABANDONED:
        return Lesson(False, "already judged abandoned, and counted then")
    at = event.occurred_at
    entities = Entities.of(event)
    if step_up_failed(profile, at, Entities(entities.device, entities.network),
                      max(now, at) + settings.distrust_seconds):
        return Lesson(True, "the event's device and network are untrusted on this account")
    return Lesson(False, "the event's device and network are trusted on this account: nothing "
                         "is held against them")


def restored(profile: AccountProfile, event: Event, verifying_device: str,
             strong_method: bool, now: float, settings: TrustSettings) -> Lesson:
    """A freeze triggered by ``event`` was lifted by a restore verified from
    ``verifying_device``."""
    guard = contact_guard(profile, now, settings, strong_method)
    if guard:
        return Lesson(False, guard)
    if not verifying_device:
        return Lesson(False, "the verifying device was not given")
    if not event.device_id:
        return Lesson(False, "the frozen event named no device, so there is none to learn or "
                             "to hold against it")
    if verifying_device == event.device_id:
        vouch_for(profile, event)
        return Lesson(True, "verified from the frozen device: its device, network and country "
                            "are now trusted")
    if is_trusted(profile, EntityKind.DEVICE, verifying_device):
        entities = Entities.of(event)
        flagged = False
        for kind, key in ((EntityKind.DEVICE, entities.device),
                          (EntityKind.NETWORK, entities.network)):
            if key and not is_trusted(profile, kind, key):
                distrust(profile, kind, key, now + settings.distrust_seconds,
                         DistrustSource.RESTORED_ELSEWHERE)
                flagged = True
        if flagged:
            return Lesson(True, "verified from another device the account trusts: the frozen "
                                "event's device and network are untrusted")
        return Lesson(False, "verified from another trusted device, and the frozen event's "
                             "device and network are trusted too")
    return Lesson(False, "verified from a device this account does not know")


def confirmed_fraud(profile: AccountProfile, event: Event, now: float,
                    settings: TrustSettings, reported_at: float) -> list[FraudEvidence]:
    """What the fraudster brought (the event's device, network and payee, those the account
    did not know before the event) is no longer the holder's and is untrusted on the account;
    returns it as evidence to keep for signals across accounts. The holder's own long-known
    phone or home network, used in the fraud (malware, a talked-into payment), is not held
    against them: the account's freeze protects them until they verify, and a restore then
    sticks."""
    seen = Entities.of(event)
    brought = Entities(*(key if not _known_before(profile, kind, key, event.occurred_at) else ""
                         for kind, key in ((EntityKind.DEVICE, seen.device),
                                           (EntityKind.NETWORK, seen.network),
                                           (EntityKind.PAYEE, seen.payee))))
    forget_entities(profile, brought)
    until = now + settings.fraud_freeze_seconds
    evidence = []
    for kind, key in brought.keyed():
        distrust(profile, kind, key, until, DistrustSource.CONFIRMED_FRAUD)
        evidence.append(FraudEvidence(kind, key, event.account_id, event.event_id, reported_at))
    profile.step_ups.pop(event.event_id, None)
    return evidence


def _known_before(profile: AccountProfile, kind: EntityKind, key: str, at: float) -> bool:
    """Known to the account before ``at`` (a vouched-for key counts as known since ever)."""
    keys = {EntityKind.DEVICE: profile.devices, EntityKind.NETWORK: profile.networks,
            EntityKind.PAYEE: profile.payees}[kind]
    first = keys.first_seen(key) if key else None
    return first is not None and first < at


def confirmed_legitimate(profile: AccountProfile, event: Event) -> Lesson:
    """Learned like a passed step-up (the risk team's word, so no contact-change guard), and
    whatever was held against its device, network and payee goes."""
    clear_distrust(profile, Entities.of(event), DistrustSource.CONFIRMED_FRAUD)
    vouch_for(profile, event)
    return Lesson(True, "the event's device, network, country and payee are now trusted")
