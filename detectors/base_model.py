"""Where each event kind of an artifact came from: trained on its own data, or a base model's.

A deployment's history does not always hold every kind: a card processor logs transactions
only. ``acctguard train --events`` then fits the kinds the log has enough honest events of and
keeps, for the others, a base model's detectors, their calibration, explanation tails and
thresholds unchanged. The base model is a file (``--base-model``) or, by default, the model the
service trains from its own simulator on first start (the same data, seed and configuration,
so the same version). It is loaded only when a kind needs it.

The artifact records the split (:class:`KindOrigins`, under ``kind_origins`` in its metadata),
with the base model's version and what it was trained on; ``GetModelInfo`` reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detectors.events import EventKind
from detectors.model import RiskModel

METADATA_KEY = "kind_origins"


@dataclass(frozen=True, slots=True)
class BaseModel:
    """A model to take kinds from, loaded on first use; ``origin`` says what it is (JSON)."""

    origin: dict[str, Any]
    load: Callable[[], RiskModel]

    @classmethod
    def from_file(cls, path: Path) -> BaseModel:
        """An artifact on disk (refused by :meth:`RiskModel.load` like any other if its feature
        schema is not this build's)."""
        return cls({"file": str(path)}, lambda: RiskModel.load(path))

    @classmethod
    def simulator_default(cls, accounts: int, days: int, seed: int) -> BaseModel:
        """The model the service trains from its simulator when it has none
        (:func:`detectors.training.train_simulator_default`)."""
        def load() -> RiskModel:
            from detectors.training import train_simulator_default

            return train_simulator_default(accounts, days, seed)

        return cls({"simulator_default": {"accounts": accounts, "days": days, "seed": seed}},
                   load)


def describe_origin(origin: Mapping[str, Any]) -> str:
    """``origin`` of a :class:`BaseModel` in a few words."""
    if "file" in origin:
        return str(origin["file"])
    sim = origin.get("simulator_default")
    if isinstance(sim, Mapping):
        return (f"the simulator default: {sim.get('accounts', '?'):,} accounts, "
                f"{sim.get('days', '?')} days, seed {sim.get('seed', '?')}")
    return "unknown origin"


@dataclass(frozen=True, slots=True)
class KindOrigins:
    """Which kinds were fitted on the artifact's own training data (with their event counts)
    and which were kept from a base model (with why)."""

    trained: dict[EventKind, int]
    from_base: dict[EventKind, str] = field(default_factory=dict)
    base_version: str = ""
    base_origin: dict[str, Any] = field(default_factory=dict)
    base_source: dict[str, Any] = field(default_factory=dict)

    def to_metadata(self) -> dict[str, Any]:
        found: dict[str, Any] = {"trained": {str(k): n for k, n in self.trained.items()},
                                 "from_base": {str(k): why for k, why in self.from_base.items()}}
        if self.from_base:
            found["base_model"] = {"version": self.base_version, "origin": self.base_origin,
                                   "source": self.base_source}
        return found

    @classmethod
    def of(cls, metadata: Mapping[str, Any]) -> KindOrigins:
        """The record in an artifact's metadata. Artifacts from before it trained every kind
        on their own data."""
        record = metadata.get(METADATA_KEY)
        if not isinstance(record, Mapping):
            rows = metadata.get("rows") or {}
            return cls({kind: int(rows.get(str(kind), 0)) for kind in EventKind})
        base = record.get("base_model") or {}
        trained, kept = record.get("trained") or {}, record.get("from_base") or {}
        # In EventKind's order (the artifact's JSON header sorts keys).
        return cls({kind: int(trained[kind]) for kind in EventKind if kind in trained},
                   {kind: str(kept[kind]) for kind in EventKind if kind in kept},
                   str(base.get("version", "")), dict(base.get("origin") or {}),
                   dict(base.get("source") or {}))

    def summary(self, trained_on: str = "this log") -> list[str]:
        """Lines for the console: the kinds trained on ``trained_on``, with their event counts,
        and the kinds kept from the base model, with why."""
        trained = ", ".join(f"{kind} ({n:,} events)" for kind, n in self.trained.items())
        lines = [f"trained on {trained_on}: {trained or 'nothing'}"]
        if self.from_base:
            kept = "; ".join(f"{kind} ({why})" for kind, why in self.from_base.items())
            lines.append(f"kept from the base model {self.base_version} "
                         f"({describe_origin(self.base_origin)}): {kept}")
        return lines
