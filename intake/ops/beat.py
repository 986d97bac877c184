"""Beat runs once: a lock that a second beat cannot take, and a heartbeat file for its health
check.

Two beats would send every periodic task twice (twice the sweeps, twice the deadline checks).
The lock has two parts. On the machine: an exclusive `flock` on a file beside the schedule
file, which the kernel frees the moment its process dies. Across machines (Redis broker): a
Redis key with an expiry (`SET NX EX`), renewed at every tick of the scheduler (at least every
`beat_max_loop_interval` s), whose value names the machine and the schedule file. A beat that
holds the file lock and finds the key naming its own machine and schedule file is that beat
restarted (the one before it is dead, or the file lock would be held) and takes the key over at
once; any other beat is refused until the key expires, `LOCK_SECONDS` after its holder stopped
renewing it. A refused beat stops at once with `BeatLocked` (exit status not 0); one that loses
the lock stops at its next tick.
"""

from __future__ import annotations

import fcntl
import logging
import socket
import time
from pathlib import Path
from typing import Any

import redis
from celery.beat import PersistentScheduler

log = logging.getLogger(__name__)

LOCK_KEY = "wayfinder:beat-lock"
LOCK_SECONDS = 30  # three times the longest wait between ticks (beat_max_loop_interval)
WAIT_SECONDS = 2  # while Redis is away and the lock may have lapsed
# Renew our key; take it again if it is gone (Redis restarted empty); 0 if another beat has it.
_RENEW = (
    "local v = redis.call('get', KEYS[1]) "
    "if v == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end "
    "if not v then redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2]) return 1 end "
    "return 0"
)
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end"
)


class BeatLocked(RuntimeError):
    """Another beat holds the lock."""


class RedisLock:
    """The key across machines; `token` names this beat (machine and schedule file)."""

    def __init__(self, url: str, token: str, key: str = LOCK_KEY) -> None:
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.key = key
        self.token = token

    def acquire(self) -> bool:
        """Set the key if free, or take it over from this same beat's previous run."""
        if self.client.set(self.key, self.token, nx=True, ex=LOCK_SECONDS):
            return True
        return self.renew()

    def renew(self) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key, self.token, LOCK_SECONDS))

    def release(self) -> None:
        try:
            self.client.eval(_RELEASE, 1, self.key, self.token)
        finally:
            self.client.close()


class FileLock:
    """An exclusive `flock` on one file: held until released or until the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: Any = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self.handle = handle
        return True

    def renew(self) -> bool:
        return self.handle is not None

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


class BeatLock:
    """The file lock on this machine, then the Redis key when the broker is Redis."""

    def __init__(self, broker_url: str, schedule_file: str) -> None:
        schedule = str(Path(schedule_file).resolve())
        self.local = FileLock(Path(f"{schedule}.lock"))
        self.shared: RedisLock | None = None
        if broker_url.startswith(("redis://", "rediss://")):
            self.shared = RedisLock(broker_url, f"{socket.gethostname()}:{schedule}")

    def acquire(self) -> bool:
        if not self.local.acquire():
            return False
        try:
            taken = self.shared is None or self.shared.acquire()
        except redis.RedisError:
            taken = False
        if not taken:
            self.local.release()
        return taken

    def renew(self) -> bool:
        return self.local.renew() and (self.shared is None or self.shared.renew())

    def release(self) -> None:
        try:
            if self.shared is not None:
                self.shared.release()
        finally:
            self.local.release()


def heartbeat_path(schedule_file: str) -> Path:
    """Touched at every tick; the compose health check reads its age."""
    return Path(f"{schedule_file}.heartbeat")


class LockedScheduler(PersistentScheduler):  # type: ignore[misc]
    """Celery's file-backed scheduler, run only by the holder of the beat lock."""

    def setup_schedule(self) -> None:
        self._beat_lock = BeatLock(self.app.conf.broker_url, self.schedule_filename)
        if not self._beat_lock.acquire():
            log.error("another beat holds the beat lock: this one does not start")
            raise BeatLocked("another beat is running")
        self._renewed_at = time.monotonic()
        log.info("beat lock taken")
        super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> Any:
        """Renew the lock, then schedule; without Redis (so without a broker to publish to),
        go on while the key surely still lives, then wait for Redis instead of scheduling."""
        now = time.monotonic()
        try:
            held = self._beat_lock.renew()
            self._renewed_at = now
        except redis.RedisError as exc:
            log.warning("beat lock not renewed (%s)", type(exc).__name__)
            if now - self._renewed_at > LOCK_SECONDS * 0.8:
                return float(WAIT_SECONDS)
            held = True
        if not held:
            log.error("beat lock lost to another beat: stopping")
            raise SystemExit(1)
        heartbeat_path(self.schedule_filename).touch()
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            lock = getattr(self, "_beat_lock", None)
            if lock is not None:
                try:
                    lock.release()
                except redis.RedisError:
                    log.warning("beat lock not released; it expires by itself")
