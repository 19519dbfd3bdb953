"""The one pagination rule every List RPC follows."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

DEFAULT_PER_PAGE = 128
MAX_PER_PAGE = 1000


def paginate(items: Iterable[T], page: int, per_page: int) -> list[T]:
    """Page `page` (1-based; below 1 means 1) of `per_page` items (0 means 128; capped at 1000)."""
    size = min(per_page or DEFAULT_PER_PAGE, MAX_PER_PAGE)
    start = (max(page, 1) - 1) * size
    if isinstance(items, list | tuple):
        return list(items[start : start + size])
    return list(islice(items, start, start + size))
