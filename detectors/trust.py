"""What an account trusts, beyond what it has seen: the trust loop's state in a profile.

A profile knows three kinds of thing about a device, network or payee:

* *trusted*: learned from the holder (the profile's known sets, :meth:`AccountProfile.learn`);
* *pending*: seen in a challenged event whose step-up result has not come back yet
  (``profile.step_ups``); nothing of it is learned until the holder passes;
* *untrusted*: failed or abandoned a step-up, was confirmed fraud, or was flagged when the
  holder restored service from another device (``profile.distrust``), until a set time.

Everything is bounded (the newest entries are kept) and decays (untrusted entries end).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from detectors.events import Event, LoginEvent, TransactionEvent
from detectors.geo import network_prefix
from detectors.profile import BASELINE_SECONDS, AccountProfile

MAX_STEP_UPS = 8
MAX_DISTRUST = 32


class StepUpState(IntEnum):
    PENDING = 0
    # No result came within the abandonment time: judged abandoned (evidence already counted).
    JUDGED_ABANDONED = 1


class DistrustSource(IntEnum):
    """Why a device, network or payee is untrusted, mildest first."""

    FAILED_STEP_UP = 1
    # The holder restored service from another device they use: the frozen one was not theirs.
    RESTORED_ELSEWHERE = 2
    CONFIRMED_FRAUD = 3


class EntityKind(IntEnum):
    DEVICE = 1
    NETWORK = 2
    PAYEE = 3


_PREFIX = {EntityKind.DEVICE: "d:", EntityKind.NETWORK: "n:", EntityKind.PAYEE: "p:"}


def entity_key(kind: EntityKind, key: str) -> str:
    return _PREFIX[kind] + key


@dataclass(frozen=True, slots=True)
class Entities:
    """The device, network (/24 or /48) and payee an event came from or went to ('' if none)."""

    device: str = ""
    network: str = ""
    payee: str = ""

    @classmethod
    def of(cls, event: Event) -> Entities:
        payee = event.payee_id if isinstance(event, TransactionEvent) else ""
        return cls(event.device_id, network_prefix(event.ip) if event.ip else "", payee)

    def keyed(self) -> list[tuple[EntityKind, str]]:
        return [(kind, key) for kind, key in ((EntityKind.DEVICE, self.device),
                                              (EntityKind.NETWORK, self.network),
                                              (EntityKind.PAYEE, self.payee)) if key]


@dataclass(frozen=True, slots=True)
class Distrust:
    """The strongest active distrust an event meets on its account."""

    source: DistrustSource
    failures: int  # failed or abandoned step-ups behind it (the most of any of its entities)
    until: float
    kinds: tuple[EntityKind, ...]


def is_trusted(profile: AccountProfile, kind: EntityKind, key: str) -> bool:
    """Learned from the holder (and not untrusted since)."""
    if kind is EntityKind.DEVICE:
        return key in profile.devices
    if kind is EntityKind.NETWORK:
        return key in profile.networks
    return key in profile.payees


def distrust_of(profile: AccountProfile, event: Event, now: float) -> Distrust | None:
    """What the account holds against the event's device, network or payee, if anything."""
    if not profile.distrust:
        return None
    found: list[tuple[EntityKind, list[float]]] = []
    for kind, key in Entities.of(event).keyed():
        entry = profile.distrust.get(entity_key(kind, key))
        if entry is not None and entry[0] > now:
            found.append((kind, entry))
    if not found:
        return None
    return Distrust(source=DistrustSource(int(max(entry[2] for _, entry in found))),
                    failures=int(max(entry[1] for _, entry in found)),
                    until=max(entry[0] for _, entry in found),
                    kinds=tuple(kind for kind, _ in found))


def distrust(profile: AccountProfile, kind: EntityKind, key: str, until: float,
             source: DistrustSource, failures: int = 0) -> None:
    """Mark ``key`` untrusted until ``until`` (never shortening nor weakening an entry)."""
    if not key:
        return
    name = entity_key(kind, key)
    entry = profile.distrust.pop(name, None)
    if entry is None:
        entry = [until, 0.0, float(source)]
        _drop_soonest(profile.distrust, MAX_DISTRUST - 1)
    entry[0] = max(entry[0], until)
    entry[1] += failures
    entry[2] = max(entry[2], float(source))
    profile.distrust[name] = entry


def _drop_soonest(entries: dict[str, list[float]], keep: int) -> None:
    """Make room: the entries that end soonest go first."""
    while len(entries) > keep:
        del entries[min(entries, key=lambda name: entries[name][0])]


def clear_distrust(profile: AccountProfile, entities: Entities,
                   up_to: DistrustSource) -> bool:
    """Forget distrust of the entities whose source is at most ``up_to``; True if any was."""
    cleared = False
    for kind, key in entities.keyed():
        name = entity_key(kind, key)
        entry = profile.distrust.get(name)
        if entry is not None and entry[2] <= up_to:
            del profile.distrust[name]
            cleared = True
    return cleared


def forget_entities(profile: AccountProfile, entities: Entities) -> None:
    """The entities are no longer the holder's: drop them from the known sets."""
    profile.devices.discard(entities.device)
    profile.networks.discard(entities.network)
    profile.payees.discard(entities.payee)


# -- step-ups ------------------------------------------------------------------------------------

def hold_step_up(profile: AccountProfile, event: Event) -> None:
    """A challenged event: its novelties wait for the step-up result."""
    profile.step_ups.pop(event.event_id, None)
    while len(profile.step_ups) >= MAX_STEP_UPS:
        del profile.step_ups[next(iter(profile.step_ups))]
    profile.step_ups[event.event_id] = [event.occurred_at, int(StepUpState.PENDING),
                                        event.device_id, event.ip]


def pending_step_ups(profile: AccountProfile) -> list[str]:
    """Challenged events awaiting a result, oldest first."""
    return [event_id for event_id, entry in sorted(profile.step_ups.items(),
                                                   key=lambda item: item[1][0])
            if entry[1] == StepUpState.PENDING]


def step_up_failed(profile: AccountProfile, at: float, entities: Entities, until: float,
                   ) -> bool:
    """A failed or abandoned step-up of an attempt at ``at``: evidence against its device and
    network where the account does not already trust them, and a failure in the sign-in
    failure windows. True if anything became untrusted (the holder dropping a challenge on
    their own trusted phone loses nothing)."""
    changed = False
    for kind, key in ((EntityKind.DEVICE, entities.device),
                      (EntityKind.NETWORK, entities.network)):
        if key and not is_trusted(profile, kind, key):
            distrust(profile, kind, key, until, DistrustSource.FAILED_STEP_UP, failures=1)
            changed = True
    if changed:
        unknown = bool(entities.device) and entities.device not in profile.devices
        profile.count_failure(at, unknown)
    return changed


@dataclass(frozen=True, slots=True)
class JudgedAbandoned:
    """A step-up judged abandoned that counted as evidence: the attempt's time and origin."""

    event_id: str
    at: float
    device_id: str
    ip: str


def judge_abandoned(profile: AccountProfile, now: float, after_seconds: float,
                    distrust_seconds: float, as_evidence: bool = True) -> list[JudgedAbandoned]:
    """Step-ups pending for longer than ``after_seconds`` at ``now`` (the time of the account's
    next event) are judged abandoned: each counts as a failed step-up (or, without
    ``as_evidence``, is only no longer pending). Returns those that counted against a device
    or network."""
    judged: list[JudgedAbandoned] = []
    for event_id, entry in profile.step_ups.items():
        at, state, device, ip = float(entry[0]), entry[1], str(entry[2]), str(entry[3])
        if state == StepUpState.PENDING and now - at > after_seconds:
            entry[1] = int(StepUpState.JUDGED_ABANDONED)
            entities = Entities(device, network_prefix(ip) if ip else "")
            if as_evidence and step_up_failed(profile, at, entities, at + distrust_seconds):
                judged.append(JudgedAbandoned(event_id, at, device, ip))
    return judged


def take_step_up(profile: AccountProfile, event_id: str) -> StepUpState | None:
    """Remove the event's step-up entry (its result has come); its state before, if any."""
    entry = profile.step_ups.pop(event_id, None)
    return StepUpState(entry[1]) if entry is not None else None


def as_failed_sign_in(event_id: str, account_id: str, at: float, ip: str,
                      device_id: str) -> LoginEvent:
    """A failed or abandoned step-up as the crowd signal counts it: a failed sign-in."""
    return LoginEvent(event_id, account_id, at, ip=ip, device_id=device_id, success=False)


def vouch_for(profile: AccountProfile, event: Event) -> None:
    """The holder proved the event was theirs: learn it, lift any step-up distrust of its
    device and network, and start the accumulated evidence afresh."""
    entities = Entities.of(event)
    clear_distrust(profile, Entities(entities.device, entities.network),
                   DistrustSource.FAILED_STEP_UP)
    profile.learn(event, vouched=True)
    if isinstance(event, LoginEvent) and profile.last_new_device_login_at <= event.occurred_at:
        # The new-device sign-in the holder just vouched for is no longer a risk signal.
        profile.last_new_device_login_at = 0.0
    profile.step_ups.pop(event.event_id, None)
    profile.alert_level = 0.0


def is_new_account(profile: AccountProfile, at: float, days: float, events: int) -> bool:
    """Under ``days`` since the first successful event, or fewer than ``events`` of them."""
    if profile.successful_events < events:
        return True
    since = profile.first_success_at or profile.first_seen_at
    return at - since < days * 86400.0


def is_familiar(profile: AccountProfile, event: Event) -> bool:
    """The event comes from a device the holder has used for a day or longer (or vouched
    for), on a network they use, or naming none. Failed sign-ins, a reset password and a
    payment after it, seen there, are the holder at their own phone and home, not a stranger.
    The network is its /24 (/48), not its ASN: a carrier's ASN spans a whole country."""
    device = event.device_id
    first = profile.devices.first_seen(device) if device else None
    if first is None or event.occurred_at - first < BASELINE_SECONDS:
        return False
    if not event.ip:
        return True
    return network_prefix(event.ip) in profile.networks


def contact_changed_within(profile: AccountProfile, at: float, seconds: float) -> bool:
    return profile.last_contact_change_at > 0.0 and at - profile.last_contact_change_at < seconds


class TrustState(IntEnum):
    """Numbers are the proto's."""

    TRUSTED = 1
    PENDING = 2
    UNTRUSTED = 3


@dataclass(frozen=True, slots=True)
class DeviceTrust:
    device_id: str
    state: TrustState
    until: float | None
    reason: str


_UNTRUSTED_BECAUSE = {
    DistrustSource.FAILED_STEP_UP: "failed or abandoned a step-up on this account",
    DistrustSource.RESTORED_ELSEWHERE: "its activity was frozen and the holder restored "
                                       "service from another device",
    DistrustSource.CONFIRMED_FRAUD: "used in activity confirmed as fraud",
}


def device_trust(profile: AccountProfile, now: float) -> list[DeviceTrust]:
    """Every device the account knows, with what it trusts of each: untrusted first, then
    pending, then trusted (most recently used first)."""
    untrusted: dict[str, DeviceTrust] = {}
    for name, (until, failures, source) in profile.distrust.items():
        if name.startswith(_PREFIX[EntityKind.DEVICE]) and until > now:
            device = name[len(_PREFIX[EntityKind.DEVICE]):]
            because = _UNTRUSTED_BECAUSE[DistrustSource(int(source))]
            if failures > 1:
                because += f" ({int(failures)} times)"
            untrusted[device] = DeviceTrust(device, TrustState.UNTRUSTED, until, because)
    pending: dict[str, DeviceTrust] = {}
    for event_id in pending_step_ups(profile):
        device = str(profile.step_ups[event_id][2])
        if device and device not in untrusted and device not in profile.devices:
            pending.setdefault(device, DeviceTrust(
                device, TrustState.PENDING, None,
                f"seen in challenged event {event_id}, awaiting its step-up result"))
    trusted = [DeviceTrust(device, TrustState.TRUSTED, None,
                           "learned from the holder's own activity")
               for device in reversed(profile.devices.entries)
               if device not in untrusted and device not in pending]
    return [*untrusted.values(), *pending.values(), *trusted]
