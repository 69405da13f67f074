"""Storage ports, declared by the domain that uses them."""

from __future__ import annotations

from typing import Protocol

from detectors.profile import AccountProfile
from service.domain.decisions import ScoreResult
from service.domain.freezes import Freeze


class RiskStore(Protocol):
    """Profiles, scored events and freezes, written together per event.

    ``commit_score`` is atomic: the result, the profile and the freeze (if any) are all durable
    when it returns, or none is. If another writer already stored a result for the same event_id,
    nothing is written and that stored result is returned instead.
    """

    def load_profile(self, account_id: str) -> AccountProfile | None: ...

    def find_result(self, event_id: str) -> ScoreResult | None: ...

    def freezes(self, account_id: str) -> list[Freeze]:
        """Every freeze of the account, oldest first, in its stored state."""
        ...

    def commit_score(self, result: ScoreResult, profile: AccountProfile,
                     freeze: Freeze | None) -> ScoreResult: ...

    def ping(self) -> None:
        """Raise StoreUnavailable if the store cannot be used."""
        ...

    def close(self) -> None: ...
