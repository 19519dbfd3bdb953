"""Containers whose `copy()` costs O(1) whatever their size, so that a store snapshot, restore or reset does
not depend on how much state there is (issue 18; docs/BEHAVIOUR.md §8 "Snapshots").

Both are mutable facades over shared, never-changed parts: `copy()` gives a new facade sharing every part,
and a facade copies a part (a chunk of at most `CHUNK` entries) only before its first write to it, so the
first write after a copy costs O(CHUNK) plus O(size / CHUNK) pointer copies, not O(size).

- `PMap`: an insertion-ordered mapping (the order Clarifai's List RPCs page in). Entries live in chunks
  (dicts of at most `CHUNK` entries, in order); a persistent hash array mapped trie (`immutables.Map`, the
  HAMT that CPython's contextvars use, in C) says which chunk holds each key. `edit(key)` gives a value that
  this facade owns (copying it once per copy of the map), for maps of maps and of stateful objects.
- `PList`: a list of chunks, for append-mostly arrays indexed by position (a DYNAMIC pool's union-find).
- `KeySequence`: a frozen, indexable view of a PMap's keys in order (a task's source), O(1) to take.

Not thread-safe by themselves: the store's lock guards them.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import (
    Callable,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    Sequence,
    ValuesView,
)
from itertools import accumulate, chain, islice
from typing import Any, TypeVar, overload

import immutables

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

CHUNK = 256
_MISSING: Any = object()


class PMap(MutableMapping[K, V]):
    """An insertion-ordered mutable mapping with an O(1) `copy()` (see the module docstring).

    Re-setting an existing key keeps its place; a deleted key that is set again goes to the end, as with dict.
    """

    __slots__ = ("_chunks", "_edited", "_owned", "_prefix", "_top", "_where")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._chunks: list[dict[K, V]] = []
        self._where: immutables.Map[K, int] = immutables.Map()
        self._owned: set[int] = set()  # chunks this facade may change in place
        self._top = True  # whether `_chunks` (the list) is this facade's own
        self._edited: set[K] = set()  # keys whose values this facade owns (`edit`)
        self._prefix: list[int] | None = None  # entries before each chunk, cached until the sizes change
        if items:
            self.update(items)

    # -- reads ------------------------------------------------------------------------------------------
    def __getitem__(self, key: K) -> V:
        return self._chunks[self._where[key]][key]

    def get(self, key: K, default: Any = None) -> Any:
        cid = self._where.get(key)
        return default if cid is None else self._chunks[cid][key]

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def __len__(self) -> int:
        return len(self._where)

    def __iter__(self) -> Iterator[K]:
        return chain.from_iterable(self._chunks)

    def __reversed__(self) -> Iterator[K]:
        return chain.from_iterable(map(reversed, reversed(self._chunks)))

    def keys(self) -> _Keys[K]:  # type: ignore[override]
        return _Keys(self)

    def values(self) -> _Values[V]:  # type: ignore[override]
        return _Values(self)

    def items(self) -> _Items[K, V]:  # type: ignore[override]
        return _Items(self)

    def values_from(self, offset: int) -> Iterator[V]:
        """The values from the `offset`-th entry on, in order, skipping whole chunks before it."""
        cid, skip = self._locate(offset)
        chunks = self._chunks
        if cid >= len(chunks):
            return iter(())
        return chain(islice(chunks[cid].values(), skip, None), chain.from_iterable(map(dict.values, chunks[cid + 1 :])))

    def values_of(self, keys: Iterable[K]) -> list[V]:
        """`[self[key] for key in keys]` in C-level passes, with no Python per key (ListApps' page of apps)."""
        keys = list(keys)
        return list(map(dict.__getitem__, map(self._chunks.__getitem__, map(self._where.__getitem__, keys)), keys))

    def page(self, offset: int, count: int) -> list[V]:
        """`count` values from the `offset`-th entry on (List RPCs' pages)."""
        return list(islice(self.values_from(offset), count))

    def frozen_keys(self) -> KeySequence[K]:
        """The keys as they are now, as an indexable sequence that later writes to this map do not change."""
        return KeySequence(self.copy())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PMap):
            return len(self) == len(other) and all(other.get(k, _MISSING) == v for k, v in self.items())
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PMap({dict(self.items())!r})"

    # -- writes -----------------------------------------------------------------------------------------
    def __setitem__(self, key: K, value: V) -> None:
        cid = self._where.get(key)
        if cid is None:
            cid = self._tail()
            self._where = self._where.set(key, cid)
            self._prefix = None
        self._own(cid)[key] = value
        self._edited.discard(key)

    def __delitem__(self, key: K) -> None:
        cid = self._where[key]
        del self._own(cid)[key]
        self._where = self._where.delete(key)
        self._edited.discard(key)
        self._prefix = None

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        cid = self._where.get(key)
        if cid is None:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self._own(cid).pop(key)
        self._where = self._where.delete(key)
        self._edited.discard(key)
        self._prefix = None
        return value

    def update(self, other: Any = (), /, **kwargs: V) -> None:  # type: ignore[override]
        """Set many entries; new keys are appended in bulk (one HAMT mutation, whole chunks)."""
        pairs = other.items() if isinstance(other, Mapping) else other
        if kwargs:
            pairs = chain(pairs, kwargs.items())
        where = self._where.mutate()
        try:
            cid = self._tail()
            chunk = self._own(cid)
            for key, value in pairs:
                known = where.get(key)
                if known is not None:
                    self._own(known)[key] = value
                    self._edited.discard(key)
                    continue
                if len(chunk) >= CHUNK:
                    cid = self._tail()
                    chunk = self._own(cid)
                chunk[key] = value
                where[key] = cid
        finally:
            self._where = where.finish()
            self._prefix = None

    def clear(self) -> None:
        self._chunks, self._where, self._prefix = [], immutables.Map(), None
        self._owned, self._top, self._edited = set(), True, set()

    def edit(self, key: K, default: Callable[[], V] | None = None) -> V:
        """The value at `key`, owned by this facade: copied (its `copy()`) once after each copy of the map,
        so that changing it in place does not change the copies. `default` makes a missing value first."""
        if key in self._edited:
            return self[key]
        current = self.get(key, _MISSING)
        if current is _MISSING:
            if default is None:
                raise KeyError(key)
            value = default()
        else:
            value = current.copy()  # type: ignore[attr-defined]
        self[key] = value
        self._edited.add(key)
        return value

    def edited(self, key: K) -> V | None:
        """`edit(key)`, or None when `key` is absent; one lookup when the value is owned already (Store.app
        runs this on every call)."""
        if key in self._edited:
            return self._chunks[self._where[key]][key]
        return self.edit(key) if key in self._where else None

    def adopt(self, key: K, value: V) -> None:
        """Store `value`, a new object nobody else holds, as one this facade owns (no `edit` copy needed)."""
        self[key] = value
        self._edited.add(key)

    def copy(self) -> PMap[K, V]:
        """An independent map with the same entries, in O(1): the two share every chunk until each writes."""
        twin: PMap[K, V] = PMap.__new__(PMap)
        twin._chunks, twin._where, twin._prefix = self._chunks, self._where, self._prefix
        twin._owned, twin._top, twin._edited = set(), False, set()
        self._owned, self._top, self._edited = set(), False, set()
        return twin

    __copy__ = copy

    # -- internals --------------------------------------------------------------------------------------
    def _own(self, cid: int) -> dict[K, V]:
        """Chunk `cid`, copied first if it may be shared."""
        if cid in self._owned:
            return self._chunks[cid]
        if not self._top:
            self._chunks = self._chunks.copy()
            self._top = True
        chunk = self._chunks[cid] = self._chunks[cid].copy()
        self._owned.add(cid)
        return chunk

    def _tail(self) -> int:
        """The chunk new keys go to: the last one, or a new one when it is full."""
        chunks = self._chunks
        if chunks and len(chunks[-1]) < CHUNK:
            return len(chunks) - 1
        if not self._top:
            self._chunks = chunks = chunks.copy()
            self._top = True
        chunks.append({})
        self._owned.add(len(chunks) - 1)
        return len(chunks) - 1

    def _starts(self) -> list[int]:
        if self._prefix is None:
            self._prefix = [0, *accumulate(map(len, self._chunks))]
        return self._prefix

    def _locate(self, offset: int) -> tuple[int, int]:
        """The chunk holding the `offset`-th entry and the entry's place in it."""
        if offset <= 0:
            return 0, 0
        starts = self._starts()
        cid = bisect_right(starts, offset) - 1
        return cid, offset - starts[cid]

    def _position(self, key: K) -> int:
        """The key's place in the order (0-based); O(CHUNK)."""
        cid = self._where[key]
        return self._starts()[cid] + list(self._chunks[cid]).index(key)


class _Keys(KeysView[K]):
    """The keys view: set operations from `collections.abc.Set`, iteration in C over the chunks."""

    _mapping: PMap[K, Any]

    def __iter__(self) -> Iterator[K]:
        return iter(self._mapping)

    def __reversed__(self) -> Iterator[K]:
        return reversed(self._mapping)


class _Values(ValuesView[V]):
    _mapping: PMap[Any, V]

    def __iter__(self) -> Iterator[V]:
        return chain.from_iterable(map(dict.values, self._mapping._chunks))

    def __reversed__(self) -> Iterator[V]:
        return chain.from_iterable(map(reversed, map(dict.values, reversed(self._mapping._chunks))))


class _Items(ItemsView[K, V]):
    _mapping: PMap[K, V]

    def __iter__(self) -> Iterator[tuple[K, V]]:
        return chain.from_iterable(map(dict.items, self._mapping._chunks))

    def __reversed__(self) -> Iterator[tuple[K, V]]:
        return chain.from_iterable(map(reversed, map(dict.items, reversed(self._mapping._chunks))))


class _SequenceValue(Sequence[T]):
    """Equality with any sequence of equal items (a list, a tuple), unhashable, shown as its items."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=False))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class KeySequence(_SequenceValue[K]):
    """A frozen view of a PMap's keys in order: `len`, `in` and `seq[i]` in O(log(size / CHUNK)),
    `index(key)` in O(CHUNK), slices in O(length of the slice). Taking one is O(1) (`PMap.frozen_keys`)."""

    __slots__ = ("_map",)

    def __init__(self, pmap: PMap[K, Any]) -> None:
        self._map = pmap

    def __len__(self) -> int:
        return len(self._map)

    def __contains__(self, key: object) -> bool:
        return key in self._map

    def __iter__(self) -> Iterator[K]:
        return iter(self._map)

    @overload
    def __getitem__(self, index: int) -> K: ...
    @overload
    def __getitem__(self, index: slice) -> list[K]: ...
    def __getitem__(self, index: int | slice) -> K | list[K]:
        size = len(self._map)
        if isinstance(index, slice):
            start, stop, step = index.indices(size)
            if step != 1:
                return list(self)[index]
            return list(islice(self.keys_from(start), max(stop - start, 0)))
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("KeySequence index out of range")
        return next(self.keys_from(index))

    def keys_from(self, offset: int) -> Iterator[K]:
        """The keys from the `offset`-th on, in order."""
        cid, skip = self._map._locate(offset)
        chunks = self._map._chunks
        if cid >= len(chunks):
            return iter(())
        return chain(islice(chunks[cid], skip, None), chain.from_iterable(chunks[cid + 1 :]))

    def index(self, key: Any, start: int = 0, stop: int | None = None) -> int:
        if key not in self._map:
            raise ValueError(f"{key!r} is not in the sequence")
        position = self._map._position(key)
        if position < start or (stop is not None and position >= stop):
            raise ValueError(f"{key!r} is not in the sequence between {start} and {stop}")
        return position



class PList(_SequenceValue[T]):
    """A list with an O(1) `copy()`: chunks of `CHUNK` items, each copied before this facade's first write."""

    __slots__ = ("_chunks", "_len", "_owned", "_top")

    def __init__(self, items: Iterable[T] = ()) -> None:
        self._chunks: list[list[T]] = []
        self._len = 0
        self._owned: set[int] = set()
        self._top = True
        self.extend(items)

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
            if index < 0:
                raise IndexError("PList index out of range")
        return self._chunks[index >> _SHIFT][index & _MASK]

    def __setitem__(self, index: int, value: T) -> None:
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("PList assignment index out of range")
        cid = index >> _SHIFT
        chunk = self._chunks[cid] if cid in self._owned else self._own(cid)
        chunk[index & _MASK] = value

    def __iter__(self) -> Iterator[T]:
        return chain.from_iterable(self._chunks)

    def append(self, value: T) -> None:
        cid = self._len >> _SHIFT
        if cid == len(self._chunks):
            self._new_chunk()
        chunk = self._chunks[cid] if cid in self._owned else self._own(cid)
        chunk.append(value)
        self._len += 1

    def extend(self, values: Iterable[T]) -> None:
        values = list(values)
        while values:
            cid = self._len >> _SHIFT
            if cid == len(self._chunks):
                self._new_chunk()
            chunk = self._chunks[cid] if cid in self._owned else self._own(cid)
            room = CHUNK - len(chunk)
            chunk.extend(values[:room])
            self._len += min(room, len(values))
            values = values[room:]

    def copy(self) -> PList[T]:
        twin: PList[T] = PList.__new__(PList)
        twin._chunks, twin._len, twin._owned, twin._top = self._chunks, self._len, set(), False
        self._owned, self._top = set(), False
        return twin

    __copy__ = copy


    def _own(self, cid: int) -> list[T]:
        if not self._top:
            self._chunks = self._chunks.copy()
            self._top = True
        chunk = self._chunks[cid] = self._chunks[cid].copy()
        self._owned.add(cid)
        return chunk

    def _new_chunk(self) -> None:
        if not self._top:
            self._chunks = self._chunks.copy()
            self._top = True
        self._chunks.append([])
        self._owned.add(len(self._chunks) - 1)


_SHIFT = CHUNK.bit_length() - 1
_MASK = CHUNK - 1
assert 1 << _SHIFT == CHUNK
