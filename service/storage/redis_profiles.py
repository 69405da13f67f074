"""Account profiles in Redis, for replicas that share hot state.

Each profile is a hash ``{prefix}profile:{account}`` with its JSON and a version. A swap is
one Lua script: it checks every expected version and then writes every profile, atomically on
the Redis server, so two replicas updating one account cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from detectors.profile import AccountProfile
from service.storage.profile_codec import dump_profile, load_profile

SWAP = """
for i, key in ipairs(KEYS) do
  local stored = redis.call('HGET', key, 'v') or '0'
  local expected = ARGV[2 * i - 1]
  if expected ~= '-1' and stored ~= expected then return 0 end
end
local ttl = tonumber(ARGV[#ARGV])
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'data', ARGV[2 * i])
  redis.call('HINCRBY', key, 'v', 1)
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
end
return 1
"""


class RedisProfiles:
    def __init__(self, url: str, prefix: str = "acctguard:", timeout: float = 2.0,
                 retention_seconds: int = 0) -> None:
        """``retention_seconds``: a profile not updated for this long expires (0: never)."""
        self.client: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix
        self._swap = self.client.register_script(SWAP)
        self.retention_seconds = retention_seconds

    def _key(self, account_id: str) -> str:
        return f"{self.prefix}profile:{account_id}"

    def load(self, account_id: str) -> tuple[AccountProfile | None, int]:
        return _decoded(*self.client.hmget(self._key(account_id), ["data", "v"]))

    def load_many(self, account_ids: Sequence[str],
                  ) -> dict[str, tuple[AccountProfile | None, int]]:
        """Every profile in one round trip (a pipeline of HMGETs, not a transaction: each is
        checked by its version when written back)."""
        pipe = self.client.pipeline(transaction=False)
        for account in account_ids:
            pipe.hmget(self._key(account), ["data", "v"])
        return {account: _decoded(*fields)
                for account, fields in zip(account_ids, pipe.execute(), strict=True)}

    def swap(self, updates: dict[str, tuple[int, AccountProfile]]) -> bool:
        keys = [self._key(account) for account in updates]
        args: list[Any] = []
        for version, profile in updates.values():
            args += [str(version), dump_profile(profile)]
        return bool(self._swap(keys=keys, args=[*args, str(self.retention_seconds)]))

    def forget(self, account_id: str) -> None:
        self.client.delete(self._key(account_id))

    def ping(self) -> None:
        self.client.ping()

    def delete_all(self) -> None:
        """Remove every key under the prefix (tests use a prefix each)."""
        for key in self.client.scan_iter(f"{self.prefix}*"):
            self.client.delete(key)

    def close(self) -> None:
        self.client.close()


def _decoded(data: bytes | str | None,
             version: bytes | str | None) -> tuple[AccountProfile | None, int]:
    """A profile hash's two fields: the profile (None if there is none) and its version."""
    return (load_profile(data) if data is not None else None), int(version or 0)
