"""Id generation and time: uuid4-hex ids (seedable) and an injectable clock."""

from __future__ import annotations

import random
import threading
import time

from google.protobuf.timestamp_pb2 import Timestamp

_ID_BITS = 128
_ID_BYTES = _ID_BITS // 8
_VERSION_MASK = ((1 << _ID_BITS) - 1) & ~(0xF000 << 64) & ~(0xC000 << 48)  # clears the version and variant bits
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)  # version 4, variant 10xx


class IdFactory:
    """Makes 32-char lowercase hex ids shaped like `uuid4().hex`.

    With a seed the sequence is reproducible; without one the generator is seeded from the OS entropy pool
    (once: a system call per id cost more than the rest of a GetApp call).
    """

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)
        self.seed = seed

    def new_id(self) -> str:
        return f"{(self._random.getrandbits(_ID_BITS) & _VERSION_MASK) | _VERSION_BITS:032x}"

    def new_ids(self, count: int) -> list[str]:
        """The ids `count` calls of `new_id` would make, from one draw: the generator fills a long draw 32 bits
        at a time from the low end, so id k is bits [128k, 128k + 128) of `getrandbits(128 * count)`."""
        drawn = self._random.getrandbits(_ID_BITS * count)
        shaped = (drawn & _repeated(_VERSION_MASK, count)) | _repeated(_VERSION_BITS, count)
        ids = shaped.to_bytes(_ID_BYTES * count, "big").hex(" ", _ID_BYTES).split()  # the last id first
        ids.reverse()
        return ids

    def state(self) -> object:
        return self._random.getstate() if self.seed is not None else None

    def set_state(self, state: object) -> None:
        if state is not None:
            self._random.setstate(state)  # type: ignore[arg-type]


class BatchedIds:
    """The ids of `factory`, drawn `batch` at a time and handed out one by one in the order `new_id` would
    make them (a draw of 64 costs ~0.1 us an id, one `new_id` ~0.5 us). For a generator nobody snapshots,
    such as the wire's req_ids: the factory's `state()` runs up to a batch ahead of the ids handed out."""

    def __init__(self, factory: IdFactory, batch: int = 64) -> None:
        self.factory = factory
        self._batch = batch
        self._ready: list[str] = []  # the next id last
        self._lock = threading.Lock()

    def new_id(self) -> str:
        while True:
            try:
                return self._ready.pop()
            except IndexError:
                with self._lock:
                    if not self._ready:
                        ready = self.factory.new_ids(self._batch)
                        ready.reverse()
                        self._ready = ready


def _repeated(word: int, count: int) -> int:
    """`word` (an id's 128 bits) in each of `count` consecutive 128-bit places."""
    return int.from_bytes(word.to_bytes(_ID_BYTES, "big") * count, "big")


class Clock:
    """Wall-clock time, or a manual clock when `start` is given (advance it with `advance`)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = start

    @property
    def is_manual(self) -> bool:
        return self._now is not None

    def now(self) -> float:
        return time.time() if self._now is None else self._now

    def advance(self, seconds: float) -> float:
        if self._now is None:
            raise RuntimeError("advance() needs a manual clock: construct Clock(start=...)")
        self._now += seconds
        return self._now

    def set(self, now: float) -> None:
        self._now = now


def to_timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    whole = int(seconds)
    stamp.seconds = whole
    stamp.nanos = round((seconds - whole) * 1e9) % 1_000_000_000
    return stamp
