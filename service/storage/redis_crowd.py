"""The crowd signal (other accounts failing sign-ins per network in the last hour) in Redis,
so every replica sees the whole stuffing wave, not its own share of it.

One sorted set per network (``{prefix}crowd:{network}``): member = account, score = its latest
failed sign-in. Bounded like the in-process version: entries older than an hour are dropped on
each write, at most ``max_accounts`` per network are kept, and a network's key expires after
two quiet hours. If Redis fails, the signal is simply absent for that event (logged): it is
one feature among many, not a reason to fail the call.
"""

from __future__ import annotations

import redis
import structlog

from detectors.crowd import MAX_ACCOUNTS_PER_NETWORK, CrowdSignals
from detectors.events import Event, LoginEvent
from detectors.geo import network_prefix
from detectors.profile import HOUR

log = structlog.get_logger("acctguard.crowd")


class RedisNetworkFailures:
    def __init__(self, url: str, prefix: str = "acctguard:", timeout: float = 2.0,
                 max_accounts: int = MAX_ACCOUNTS_PER_NETWORK) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=timeout)
        self.prefix = prefix
        self.max_accounts = max_accounts

    def _key(self, ip: str) -> str:
        return f"{self.prefix}crowd:{network_prefix(ip)}"

    def signals(self, event: Event) -> CrowdSignals:
        if not isinstance(event, LoginEvent) or not event.ip:
            return CrowdSignals()
        key, at = self._key(event.ip), event.occurred_at
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.zcount(key, at - HOUR, at)
            pipe.zscore(key, event.account_id)
            count, own = pipe.execute()
        except redis.RedisError as exc:
            log.warning("crowd_unavailable", error=type(exc).__name__)
            return CrowdSignals()
        own_counted = own is not None and at - HOUR <= float(own) <= at
        return CrowdSignals(network_failed_accounts_1h=int(count) - int(own_counted))

    def record(self, event: Event) -> None:
        if not isinstance(event, LoginEvent) or event.success or not event.ip:
            return
        key, at = self._key(event.ip), event.occurred_at
        try:
            pipe = self.client.pipeline(transaction=True)
            # GT: a new account is added, a known one keeps its latest failure.
            pipe.zadd(key, {event.account_id: at}, gt=True)
            pipe.zremrangebyscore(key, "-inf", f"({at - HOUR}")
            pipe.zremrangebyrank(key, 0, -(self.max_accounts + 1))
            pipe.expire(key, int(2 * HOUR))
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("crowd_unavailable", error=type(exc).__name__)

    def close(self) -> None:
        self.client.close()
