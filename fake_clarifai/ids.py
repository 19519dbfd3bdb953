"""Id generation and time: uuid4-hex ids (seedable) and an injectable clock."""

from __future__ import annotations

import random
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
