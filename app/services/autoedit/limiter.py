"""A cap on a batch's calls in flight that holds across every worker process and host.

With Redis: a counting semaphore, one sorted set per batch whose members are the holders and
whose scores are their expiry times (Redis's own clock), so a slot held by a worker that died
comes back by itself. A release pushes a wake-up onto a short list that waiters block on (BLPOP),
so a freed slot is taken at once, without polling. A stopped batch (cancelled, failed, at its
cost ceiling) is marked here too, so calls already claimed but still waiting for a slot never go
out. Without Redis the claim transaction counts running tasks instead (see runner.claim_task);
`make_limiter` then returns None.
"""

import random
import time
import uuid
from functools import lru_cache

import redis

from app.config import Settings

KEY_PREFIX = "redline:autoedit:slots:"
WAKE_PREFIX = "redline:autoedit:freed:"
STOP_PREFIX = "redline:autoedit:stopped:"
WAKE_BLOCK_S = (0.5, 1.0)  # how long a waiter blocks on the wake-up list before trying again anyway
# Refuse a stopped batch, drop expired holders, then take a slot if one is free; TIME makes every
# worker share one clock.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[2]) == 1 then
  return -1
end
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1e6
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', t)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], t + tonumber(ARGV[3]), ARGV[1])
  redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])) + 60)
  return 1
end
return 0
"""


class BatchStopped(Exception):
    """The batch was stopped while this call waited for a slot."""


class RedisLimiter:
    def __init__(self, client: redis.Redis):
        self.client = client
        self._acquire = client.register_script(_ACQUIRE)

    def try_acquire(self, batch_id: int, limit: int, lease_s: float) -> str | None:
        """A holder token when a slot was free, else None. The slot frees itself after lease_s.
        Raises BatchStopped for a batch marked stopped."""
        token = uuid.uuid4().hex
        ok = self._acquire(keys=[f"{KEY_PREFIX}{batch_id}", f"{STOP_PREFIX}{batch_id}"], args=[token, limit, lease_s])
        if ok == -1:
            raise BatchStopped(f"batch {batch_id} was stopped")
        return token if ok else None

    def mark_stopped(self, batch_id: int) -> None:
        self.client.set(f"{STOP_PREFIX}{batch_id}", 1, ex=7 * 24 * 3600)

    def acquire(self, batch_id: int, limit: int, lease_s: float, wait_s: float) -> str | None:
        """Wait up to wait_s for a slot: block on the wake-up list between tries. Every release
        pushes a wake-up, so the blocks can be long; a wake-up lost to a waiter that then found no
        slot leaves the slot to the next waiter whose block times out (a few milliseconds, with a
        window's worth of waiters), and a dead holder's slot comes back by expiry. Short blocks cost
        a script call per waiter each time, which was a tenth of a worker's CPU."""
        deadline = time.monotonic() + wait_s
        while True:
            token = self.try_acquire(batch_id, limit, lease_s)
            left = deadline - time.monotonic()
            if token is not None or left <= 0:
                return token
            self.client.blpop([f"{WAKE_PREFIX}{batch_id}"], timeout=min(left, random.uniform(*WAKE_BLOCK_S)))

    def release(self, batch_id: int, token: str) -> None:
        wake = f"{WAKE_PREFIX}{batch_id}"
        with self.client.pipeline(transaction=False) as pipe:
            pipe.zrem(f"{KEY_PREFIX}{batch_id}", token)
            pipe.lpush(wake, 1)
            pipe.ltrim(wake, 0, 63)  # wake-ups nobody waited for do not pile up
            pipe.expire(wake, 600)
            pipe.execute()

    def in_use(self, batch_id: int) -> int:
        return int(self.client.zcard(f"{KEY_PREFIX}{batch_id}"))

    def clear(self, batch_id: int) -> None:
        self.client.delete(f"{KEY_PREFIX}{batch_id}", f"{WAKE_PREFIX}{batch_id}")


@lru_cache(maxsize=4)
def _limiter_for(url: str) -> RedisLimiter:
    return RedisLimiter(redis.Redis.from_url(url, socket_timeout=10, health_check_interval=30))


def make_limiter(settings: Settings) -> RedisLimiter | None:
    """The Redis semaphore when Redis is configured; None means the database enforces the limit."""
    return _limiter_for(settings.redis_url) if settings.redis_url else None
