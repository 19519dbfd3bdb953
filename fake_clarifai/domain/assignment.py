"""Which worker labels which input: the pure engine behind BEHAVIOUR.md §5 (no gRPC, no store).

- FULL: every worker gets every input; a `FullPlan` keeps that implied (the source past each worker's cursor),
  `assign_full` spells it out (its model in tests).
- PARTITIONED: `validate_partitioned` checks a configuration (BEHAVIOUR.md §4), `partition_quotas` apportions the
  `n·wpi` slots by largest remainder, and `deal_partitioned` deals the inputs (as source positions) so that
  every input goes to exactly `wpi` distinct workers and every worker gets exactly its quota; a
  `PartitionPlan` keeps the dealt work not yet handed out, per worker in source order.
- Both plans share the task's source, a frozen `KeySequence` of the app's ids: no per-task copy of it.
- DYNAMIC: a `DynamicPool` hands out batches from the live source on demand.
- One rule, `open_slots`, says when an input has enough workers; every dealer above honours it when work
  already exists on the inputs (`held`: a task whose definition was overwritten keeps its submitted work).

Everything here is deterministic: the same arguments always give the same result.
"""

from __future__ import annotations

import heapq
import json
import math
from array import array
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from itertools import islice
from typing import TYPE_CHECKING

import immutables

from fake_clarifai.domain.work import WorkSource, key_sequence
from fake_clarifai.persistent import CHUNK, KeySequence, PList, PMap

if TYPE_CHECKING:
    from fake_clarifai.store import AppState, Store, TaskState

WEIGHTS_FIELD = "worker.partitioned_strategy_info.weights"


class _NoValue:
    """A weights Struct entry whose google.protobuf.Value has no kind set (e.g. a client misspelled the kind)."""


NO_VALUE = _NoValue()
WORKERS_PER_INPUT_FIELD = "worker.partitioned_strategy_info.workers_per_input"
SHARE_TOLERANCE = 1e-9


class AssignmentConfigError(ValueError):
    """A worker configuration that cannot be honoured.

    `field` is the offending field's path inside a Task (e.g. `worker.partitioned_strategy_info.weights.labeler-2`),
    `value` what it held (None when it is missing). `str(error)` is a complete sentence that starts with
    `field`, so a caller may prefix it with the task's own path (`f"tasks[0].{error}"`).
    """

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


def effective_wpi(workers_per_input: int) -> int:
    """`workers_per_input` as the assignment uses it: 0 (unset) means 1."""
    return workers_per_input or 1


def as_json(value: object) -> str:
    """A weight as the client wrote it in the Struct (JSON: null, true, "3"), never a Python repr."""
    try:
        return json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return str(value)


def open_slots(workers_per_input: int, holders: Collection[str]) -> int:
    """How many more workers an input needs, given the distinct workers that hold work on it.

    The rule (the fake's policy): every worker with work on the input holds one of its `workers_per_input`
    slots (0 meaning 1), whatever the state of that work: pending (handed out or planned), awaiting review or
    consensus review, approved, and rejected too. A rejection is a final verdict, not a request for more
    work: the input is not dealt to another worker to make up for it (REVIEW_REQUEST_CHANGES is the way to
    have work redone, by the same worker). Work on an input that left the task is gone, so it holds nothing.
    """
    return max(0, effective_wpi(workers_per_input) - len(holders))


Held = Mapping[str, Collection[str]]  # input id -> the distinct workers already holding work on it


def _weight_problem(weight: object) -> str | None:
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        return "is not a number"
    try:
        finite = math.isfinite(weight)
    except OverflowError:  # an int beyond the float range
        finite = False
    if not finite:
        return "is not a finite number"
    if weight <= 0:
        return "is not positive: weights must be greater than 0"
    return None


def validate_partitioned(
    workers: Sequence[str], workers_per_input: int, weights: Mapping[str, object] | None
) -> dict[str, float] | None:
    """Check a PARTITIONED configuration; return the weights as floats in worker order (None = EVENLY).

    Raises AssignmentConfigError, checking in this order:
    - a worker listed twice (`worker.workers[i]`);
    - `workers_per_input` < 0, or (0 meaning 1) more than there are workers;
    - for each listed worker in order: its weight missing, not a number (bool is not), not finite, or <= 0;
    - a weight given for a worker that is not listed;
    - a worker whose share `w/Σw` exceeds `1/workers_per_input` by more than 1e-9: no assignment could give
      each input `workers_per_input` distinct workers then. Equal shares exactly at the bound are valid.
    """
    seen: set[str] = set()
    for index, worker in enumerate(workers):
        if worker in seen:
            raise AssignmentConfigError(
                f"worker.workers[{index}]", worker, f"worker.workers[{index}] {worker!r} is listed twice"
            )
        seen.add(worker)
    if workers_per_input < 0:
        raise AssignmentConfigError(
            WORKERS_PER_INPUT_FIELD,
            workers_per_input,
            f"{WORKERS_PER_INPUT_FIELD} {workers_per_input} is negative: it must be from 0 to the number of workers",
        )
    wpi = effective_wpi(workers_per_input)
    if wpi > len(workers):
        raise AssignmentConfigError(
            WORKERS_PER_INPUT_FIELD,
            workers_per_input,
            f"{WORKERS_PER_INPUT_FIELD} {workers_per_input} exceeds the number of workers ({len(workers)}): "
            "each input goes to that many distinct workers",
        )
    if weights is None:
        return None
    checked: dict[str, float] = {}
    for worker in workers:
        field = f"{WEIGHTS_FIELD}.{worker}"
        if worker not in weights:
            raise AssignmentConfigError(field, None, f"{field} is missing: every listed worker needs a weight")
        weight = weights[worker]
        if weight is NO_VALUE:
            message = f"{field} holds no value: set its number_value (numberValue in JavaScript objects)"
            raise AssignmentConfigError(field, None, message)
        problem = _weight_problem(weight)
        if problem is not None:
            raise AssignmentConfigError(field, weight, f"{field} {as_json(weight)} {problem}")
        checked[worker] = float(weight)  # type: ignore[arg-type]  # _weight_problem proved it a real number
    for worker, weight in weights.items():
        if worker not in seen:
            field = f"{WEIGHTS_FIELD}.{worker}"
            message = f"{field} {as_json(weight)} is given for '{worker}', who is not a worker of the task"
            raise AssignmentConfigError(field, weight, message)
    largest = max(checked.values(), default=1.0)
    total = math.fsum(weight / largest for weight in checked.values())  # scaled: no overflow to inf
    for worker, weight in checked.items():
        share = weight / largest / total
        if share > 1 / wpi + SHARE_TOLERANCE:
            field = f"{WEIGHTS_FIELD}.{worker}"
            raise AssignmentConfigError(
                field,
                weights[worker],
                f"{field} {as_json(weights[worker])} gives '{worker}' a share of {share:.6g} of the work, more than "
                f"1/workers_per_input = 1/{wpi}: no partition can give each input {wpi} distinct workers",
            )
    return checked


def _largest_remainder(slots: int, weights: Sequence[Fraction]) -> list[int]:
    """Hamilton apportionment of `slots` on `weights` (all > 0); equal remainders go to the earlier index."""
    total = sum(weights)
    exact = [slots * weight / total for weight in weights]
    counts = [math.floor(share) for share in exact]
    left = slots - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for index in by_remainder[:left]:
        counts[index] += 1
    return counts


def partition_quotas(
    n_inputs: int, workers: Sequence[str], wpi: int, weights: Mapping[str, float] | None
) -> dict[str, int]:
    """How many inputs each worker gets under PARTITIONED, in worker order.

    The `n_inputs·wpi` slots are apportioned by largest remainder (Hamilton) on the weights (None = EVENLY,
    equal weights), equal remainders going to the worker listed first. No worker gets more than `n_inputs`
    (one slot per input): a worker whose apportionment exceeds it is held at `n_inputs` and the remaining
    slots are apportioned again among the others. Properties: the quotas sum to `n_inputs·wpi`; each is
    within 1 of `n_inputs·wpi·w/Σw` where the cap does not bind (it binds only for shares above 1/wpi,
    which `validate_partitioned` admits up to 1e-9); EVENLY quotas differ by at most 1.
    Expects a validated configuration; `wpi` 0 means 1.
    """
    wpi = effective_wpi(wpi)
    if wpi < 1:
        raise ValueError(f"workers_per_input {wpi} must be at least 1")
    exact_weights = [Fraction(1) if weights is None else Fraction(weights[worker]) for worker in workers]
    quotas = dict.fromkeys(workers, 0)
    open_workers = list(range(len(workers)))
    slots = n_inputs * wpi
    while slots:
        if not open_workers:
            raise ValueError(f"{n_inputs} inputs cannot each go to {wpi} of {len(workers)} workers")
        counts = _largest_remainder(slots, [exact_weights[i] for i in open_workers])
        capped = {i for i, count in zip(open_workers, counts, strict=True) if count > n_inputs}
        if not capped:
            for i, count in zip(open_workers, counts, strict=True):
                quotas[workers[i]] = count
            break
        for i in capped:
            quotas[workers[i]] = n_inputs
        slots -= n_inputs * len(capped)
        open_workers = [i for i in open_workers if i not in capped]
    return quotas


def deal_partitioned(
    input_ids: Sequence[str],
    workers: Sequence[str],
    wpi: int,
    weights: Mapping[str, float] | None,
    held: Held | None = None,
) -> dict[str, array[int]]:
    """Deal the inputs under PARTITIONED: worker -> the source positions of its inputs, ascending (every
    worker present; 4 bytes a position).

    Inputs are dealt in order, each to the `wpi` workers with the most quota left (`partition_quotas`),
    equal amounts going to the worker listed first. Properties: every input gets exactly `wpi` distinct
    workers; every worker gets exactly its quota; the result is a pure function of the arguments.
    (Always possible: while m inputs remain, every remaining quota is <= m and they sum to m·wpi, so at
    least `wpi` workers have quota left and every worker with m left is among the `wpi` served.)
    Costs O(n·wpi·log(workers)). Expects a validated configuration and distinct input ids; `wpi` 0 means 1.

    With `held` (work kept from before an overwrite), an input gets only its `open_slots`, never a worker
    that holds it; each worker's quota is reduced by the inputs it holds, and the open slots go to the
    workers with the most quota left (ties by worker order), so the held work plus the dealt work is as
    close to the quotas as the held work allows.
    """
    wpi = effective_wpi(wpi)
    quotas = partition_quotas(len(input_ids), workers, wpi, weights)
    dealt = _deal_around(input_ids, workers, wpi, quotas, held) if held else _deal(len(input_ids), workers, wpi, quotas)
    return dict(zip(workers, dealt, strict=True))


def assign_partitioned(
    input_ids: Sequence[str],
    workers: Sequence[str],
    wpi: int,
    weights: Mapping[str, float] | None,
    held: Held | None = None,
) -> dict[str, list[str]]:
    """`deal_partitioned` as input ids: worker -> its input ids in source order (every worker present)."""
    ids = list(input_ids)
    dealt = deal_partitioned(ids, workers, wpi, weights, held)
    return {worker: [ids[position] for position in positions] for worker, positions in dealt.items()}


def _deal(n_inputs: int, workers: Sequence[str], wpi: int, quotas: Mapping[str, int]) -> list[array[int]]:
    k = len(workers)
    dealt = [array("I") for _ in workers]
    # One int per worker with quota left: -remaining·k + index, so the smallest key is the worker with the
    # most left, then the one listed first; serving a worker adds k to its key.
    heap = [-quotas[worker] * k + index for index, worker in enumerate(workers) if quotas[worker] > 0]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    served = [0] * wpi
    rounds = range(wpi)
    for position in range(n_inputs):
        for slot in rounds:
            served[slot] = pop(heap)
        for key in served:
            dealt[key % k].append(position)
            if key + k < 0:
                push(heap, key + k)
    return dealt


def _deal_around(
    input_ids: Sequence[str], workers: Sequence[str], wpi: int, quotas: dict[str, int], held: Held
) -> list[array[int]]:
    left = quotas.copy()
    for holders in held.values():
        for worker in holders:
            if worker in left:
                left[worker] -= 1
    order = {worker: index for index, worker in enumerate(workers)}
    dealt = [array("I") for _ in workers]
    for position, input_id in enumerate(input_ids):
        holders = held.get(input_id, ())
        need = open_slots(wpi, holders)
        if need:
            free = (worker for worker in workers if worker not in holders)
            for worker in heapq.nsmallest(need, free, key=lambda w: (-left[w], order[w])):
                dealt[order[worker]].append(position)
                left[worker] -= 1
    return dealt


def assign_full(input_ids: Sequence[str], workers: Sequence[str], held: Held | None = None) -> dict[str, list[str]]:
    """FULL spelled out: every worker gets every input, in source order (a separate list per worker), except
    the inputs it already holds (`held`): each worker has each input at most once. A FULL task keeps this
    implied instead (`FullPlan`); this is its model."""
    if not held:
        return {worker: list(input_ids) for worker in workers}
    return {worker: [i for i in input_ids if worker not in held.get(i, ())] for worker in workers}


def _at_positions(source: KeySequence[str], positions: Iterable[int]) -> Iterator[tuple[int, str]]:
    """(position, id) for ascending `positions` of `source`, in one walk of it (a gap longer than a chunk
    is jumped, not walked)."""
    keys: Iterator[str] = iter(())
    at = -1  # the position `keys` gives next (-1: no walk started)
    for position in positions:
        gap = position - at
        if at < 0 or gap > CHUNK:
            keys, gap = source.keys_from(position), 0
        yield position, next(islice(keys, gap, None))
        at = position + 1


class _Plan(WorkSource):
    """What a PARTITIONED and a FULL plan share: the work dealt at creation that no worker was handed yet,
    per worker in source order past a cursor. The task's assignment records are made only when work is
    handed out, so a task over 100k inputs does not create 300k records up front.

    The source is a frozen `KeySequence` shared with the app (and every task dealt from it); positions are
    places in it. Per worker a cursor (the first position not looked at) and a count of what is left; the
    removed inputs are a `PMap` used as a set. `clone()` copies the cursors and counts (O(workers)) and the
    removed set (O(1)) and shares the rest, which never changes. Not thread-safe by itself: the store's
    lock guards it.

    A subclass says which inputs a worker was dealt: `_planned(worker, input_id, position)` (past the
    cursor, not removed) and `_ahead(worker)` (the (position, id) of its work past the cursor, in order).
    """

    __slots__ = ("_cursor", "_left", "_removed", "_source", "made_at")

    def __init__(self, source: KeySequence[str], left: Mapping[str, int], made_at: float) -> None:
        self.made_at = made_at
        self._source = source
        self._left = dict(left)  # per worker, in worker order: inputs not yet taken nor removed
        self._cursor = dict.fromkeys(self._left, 0)
        self._removed: PMap[str, None] = PMap()

    def workers(self) -> list[str]:
        """The workers the work was dealt to, in worker order."""
        return list(self._left)

    def left(self, worker: str) -> int:
        """How many inputs `worker` has not been handed yet."""
        return self._left.get(worker, 0)

    def has(self, worker: str, input_id: str) -> bool:
        """Whether `input_id` is planned for `worker` and not handed out yet."""
        position = self._position(input_id)
        return position is not None and worker in self._cursor and self._planned(worker, input_id, position)

    def workers_of(self, input_id: str) -> list[str]:
        """The workers `input_id` is planned for and not handed to yet, in worker order."""
        position = self._position(input_id)
        if position is None:
            return []
        return [worker for worker in self._cursor if self._planned(worker, input_id, position)]

    def inputs_of(self, worker: str) -> list[str]:
        """`worker`'s inputs not handed out yet, in source order."""
        return [input_id for _, input_id in self._ahead(worker)]

    def take(self, worker: str, limit: int) -> list[str]:
        """Hand `worker` its next (at most `limit`) inputs, in source order."""
        ahead = list(islice(self._ahead(worker), max(limit, 0)))
        return self._advance(worker, ahead[-1][0], [input_id for _, input_id in ahead]) if ahead else []

    def take_through(self, worker: str, input_id: str) -> list[str]:
        """Hand `worker` its inputs up to and including `input_id` (which must be planned for it)."""
        if not self.has(worker, input_id):
            raise KeyError(f"input {input_id!r} is not planned for worker {worker!r}")
        batch = []
        for position, planned in self._ahead(worker):
            batch.append(planned)
            if planned == input_id:
                return self._advance(worker, position, batch)
        raise AssertionError(f"input {input_id!r} is planned for worker {worker!r} but not ahead of its cursor")

    def take_all(self, worker: str) -> list[str]:
        """Hand `worker` all of its remaining inputs."""
        return self.take(worker, self.left(worker))

    def top_up(self, worker: str, limit: int, pending: int) -> list[str]:
        """A batch is topped up from the plan while the worker's pending assignments are fewer than `limit`."""
        return self.take(worker, limit - pending) if pending < limit else []

    def handed_at(self, now: float) -> float:
        return self.made_at

    def remove_input(self, input_id: str) -> None:
        """Never hand `input_id` out (an unknown, handed out or already removed id is a no-op)."""
        for worker in self.workers_of(input_id):
            self._left[worker] -= 1
        if input_id in self._source:
            self._removed[input_id] = None

    def clone(self) -> _Plan:
        """An independent copy (for store snapshots): O(workers); the source and the deal are shared."""
        copy = self._share()
        copy.made_at = self.made_at
        copy._source = self._source
        copy._cursor = self._cursor.copy()
        copy._left = self._left.copy()
        copy._removed = self._removed.copy()
        return copy

    def _share(self) -> _Plan:
        """A new plan of this kind holding this one's never-changed parts (the rest is set by `clone`)."""
        raise NotImplementedError

    def _planned(self, worker: str, input_id: str, position: int) -> bool:
        """Whether `worker` (one of the plan's) was dealt `input_id`, at `position`, past its cursor; the
        caller has checked that `input_id` is in the source and not removed."""
        raise NotImplementedError

    def _ahead(self, worker: str) -> Iterator[tuple[int, str]]:
        """(position, id) of `worker`'s inputs past its cursor that are not removed, in source order."""
        raise NotImplementedError

    def _position(self, input_id: str) -> int | None:
        """Where `input_id` is in the source (None: not there, or removed). O(CHUNK)."""
        if input_id in self._removed or input_id not in self._source:
            return None
        return self._source.index(input_id)

    def _advance(self, worker: str, last: int, batch: list[str]) -> list[str]:
        """`worker` was handed `batch` (not empty), the last of it at position `last`."""
        self._cursor[worker] = last + 1
        self._left[worker] -= len(batch)
        return batch


class PartitionPlan(_Plan):
    """PARTITIONED: the deal is explicit, per worker the source positions it was dealt (ascending, 4 bytes
    each); finding an input in a worker's work is a binary search on them. `bounded`: each input was dealt
    to workers_per_input workers (False: to any number, as a model of FULL in tests)."""

    __slots__ = ("_dealt", "bounded")

    def __init__(
        self,
        dealt: Mapping[str, array[int]],
        source: KeySequence[str],
        made_at: float,
        *,
        bounded: bool = True,
    ) -> None:
        """`dealt`: worker -> its positions in `source` (`deal_partitioned`), in worker order; `made_at`:
        when the work was dealt (the time its assignments carry when they are handed out)."""
        super().__init__(source, {worker: len(positions) for worker, positions in dealt.items()}, made_at)
        self._dealt = dict(dealt)
        self.bounded = bounded

    @classmethod
    def of(
        cls, dealt: Mapping[str, Iterable[str]], source: Iterable[str], made_at: float, *, bounded: bool = True
    ) -> PartitionPlan:
        """A plan of explicit input ids (each worker's in source order) over `source` (distinct ids)."""
        keys = key_sequence(source)
        where = {input_id: position for position, input_id in enumerate(keys)}
        positions = {worker: array("I", map(where.__getitem__, ids)) for worker, ids in dealt.items()}
        return cls(positions, keys, made_at, bounded=bounded)

    def _share(self) -> PartitionPlan:
        copy = PartitionPlan.__new__(PartitionPlan)
        copy._dealt = self._dealt
        copy.bounded = self.bounded
        return copy

    def _planned(self, worker: str, input_id: str, position: int) -> bool:
        positions = self._dealt[worker]
        index = bisect_left(positions, position)
        return index < len(positions) and positions[index] == position and position >= self._cursor[worker]

    def _ahead(self, worker: str) -> Iterator[tuple[int, str]]:
        positions = self._dealt.get(worker)
        if positions is None:
            return iter(())
        start = bisect_left(positions, self._cursor[worker])
        removed = self._removed
        ahead = map(positions.__getitem__, range(start, len(positions)))  # lazy: islice would walk to `start`
        dealt = _at_positions(self._source, ahead)
        return ((position, input_id) for position, input_id in dealt if input_id not in removed)


class FullPlan(_Plan):
    """FULL, implied: a worker's work is the source past its cursor, less the removed inputs and the inputs
    it held before an overwrite (`held`): no list per worker, whatever the source's size. Equal to a
    `PartitionPlan` of `assign_full` (the model its property tests compare it with)."""

    __slots__ = ("_held",)

    bounded = False

    def __init__(
        self, source: KeySequence[str], workers: Sequence[str], made_at: float, held: Held | None = None
    ) -> None:
        """`workers` in worker order; `held`: input -> the workers already holding work on it (they are not
        dealt it again)."""
        holding: dict[str, set[str]] = {worker: set() for worker in workers}
        for input_id, holders in (held or {}).items():
            if input_id in source:
                for worker in holders:
                    if worker in holding:
                        holding[worker].add(input_id)
        super().__init__(source, {worker: len(source) - len(ids) for worker, ids in holding.items()}, made_at)
        self._held = {worker: frozenset(ids) for worker, ids in holding.items() if ids}

    def _share(self) -> FullPlan:
        copy = FullPlan.__new__(FullPlan)
        copy._held = self._held
        return copy

    def _planned(self, worker: str, input_id: str, position: int) -> bool:
        return position >= self._cursor[worker] and input_id not in self._held.get(worker, ())

    def _ahead(self, worker: str) -> Iterator[tuple[int, str]]:
        cursor = self._cursor.get(worker)
        if cursor is None:
            return iter(())
        skipped = self._held.get(worker, frozenset())
        removed = self._removed
        ahead = enumerate(self._source.keys_from(cursor), cursor)
        return ((position, i) for position, i in ahead if i not in removed and i not in skipped)


class DynamicPool(WorkSource):
    """The DYNAMIC strategy's live pool: hands inputs out on demand, never to more than `wpi` workers.

    Inputs keep the order they were added in (the source order). An input is *open* while fewer than `wpi`
    workers have had it and it was not removed. `take(worker)` returns the next open inputs after that
    worker's cursor and moves the cursor past them. Everything a worker skipped before its cursor was
    closed when skipped and stays closed (counts only grow, removals are final), so no worker gets an input
    twice and a worker never needs to look behind its cursor.

    Finding the next open position is a union-find over positions: each closed position is merged with the
    position after it, and every set remembers its one open (or end) position. With union by rank and path
    halving a lookup costs O(log n) at worst and near O(1) amortized, so `take` is amortized O(limit),
    independent of how many inputs the pool holds or how many are closed.

    Not thread-safe by itself: the store's lock guards it. `clone()` is O(workers) (persistent arrays).
    """

    __slots__ = ("_count", "_cursor", "_had", "_ids", "_next_open", "_parent", "_position", "_rank", "_removed", "wpi")

    def __init__(self, wpi: int, input_ids: Iterable[str] = (), held: Held | None = None) -> None:
        """A pool handing each input to at most `wpi` workers (0 meaning 1), holding `input_ids` in order.
        `held`: work that exists already (kept by an overwrite): those workers count towards each input's
        `wpi` (`open_slots`) and never get that input again."""
        wpi = effective_wpi(wpi)
        if wpi < 1:
            raise ValueError(f"workers_per_input {wpi} must be at least 1")
        self.wpi = wpi
        # O(1) copies (persistent.py), so a snapshot, restore or first write does not copy the pool
        self._ids: PList[str] = PList()
        self._position: immutables.Map[str, int] = immutables.Map()
        self._count: PList[int] = PList()  # per position: how many workers have had it
        self._removed: immutables.Map[int, None] = immutables.Map()
        self._cursor: dict[str, int] = {}  # per worker: the first position it has not looked at
        # Union-find over positions 0..len(ids); the last one is the end sentinel, always open.
        self._parent: PList[int] = PList([0])
        self._rank: PList[int] = PList([0])
        self._next_open: PList[int] = PList([0])  # per root: the open position (or end) its set leads to
        self._had: dict[str, frozenset[int]] = {}  # per worker: positions it held before the pool was made
        self.add_inputs(input_ids)
        if held:
            self._hold(held)

    def _hold(self, held: Held) -> None:
        had: dict[str, set[int]] = {}
        for input_id, holders in held.items():
            position = self._position.get(input_id)
            if position is None or not holders:
                continue
            self._count[position] = len(holders)
            for worker in holders:
                had.setdefault(worker, set()).add(position)
            if not open_slots(self.wpi, holders):
                self._close(position)
        self._had = {worker: frozenset(positions) for worker, positions in had.items()}

    def __len__(self) -> int:
        """How many inputs the pool holds (removed ones included)."""
        return len(self._ids)

    def add_inputs(self, input_ids: Iterable[str]) -> None:
        """Append inputs in order; ids the pool already holds (even removed ones) are ignored."""
        # The end sentinel becomes the first new input's position; each new input's successor (the last: a new
        # end sentinel) starts as its own open set. In bulk: one HAMT mutation, whole-chunk extends.
        start = len(self._ids)
        position = self._position.mutate()
        new = []
        for input_id in input_ids:
            if input_id not in position:
                position[input_id] = start + len(new)
                new.append(input_id)
        self._position = position.finish()
        if new:
            following = range(start + 1, start + len(new) + 1)
            self._ids.extend(new)
            self._count.extend([0] * len(new))
            self._parent.extend(following)
            self._rank.extend([0] * len(new))
            self._next_open.extend(following)

    def remove_input(self, input_id: str) -> None:
        """Never hand `input_id` out again (an unknown or already removed id is a no-op)."""
        position = self._position.get(input_id)
        if position is None or position in self._removed:
            return
        self._removed = self._removed.set(position, None)
        if self._count[position] < self.wpi:
            self._close(position)

    def take(self, worker: str, limit: int = 10) -> list[str]:
        """Hand `worker` up to `limit` inputs, in source order, that it has not had and that fewer than `wpi`
        workers have had; record them as handed to `worker`. Empty when none is left. Amortized O(limit).
        """
        batch: list[str] = []
        ids, count, wpi = self._ids, self._count, self.wpi
        end = len(ids)
        position = self._cursor.get(worker, 0)
        had = self._had.get(worker, frozenset())
        while len(batch) < limit:
            position = self._next_open[self._find(position)]
            if position == end:
                break
            if position in had:
                position += 1
                continue
            batch.append(ids[position])
            count[position] += 1
            if count[position] >= wpi:
                self._close(position)
            position += 1
        self._cursor[worker] = position
        return batch

    follows_source = True

    def top_up(self, worker: str, limit: int, pending: int) -> list[str]:
        """New inputs from the pool only when the worker has no pending work left."""
        return [] if pending else self.take(worker, limit)

    def inputs_joined(self, input_ids: Sequence[str], store: Store, app: AppState, task: TaskState) -> None:
        self.add_inputs(input_ids)

    def expected_labelers(self, handed: int, input_id: str, workers: int) -> int:
        """The pool hands each input to `wpi` workers, or to all of them when there are fewer."""
        return max(handed, min(self.wpi, workers))

    def handed(self, input_id: str) -> int:
        """How many workers have had `input_id` (0 for an id the pool does not hold)."""
        position = self._position.get(input_id)
        return 0 if position is None else self._count[position]

    def clone(self) -> DynamicPool:
        """An independent copy in O(workers): the arrays are PLists, the maps immutable."""
        copy = DynamicPool.__new__(DynamicPool)
        copy.wpi = self.wpi
        copy._ids = self._ids.copy()
        copy._position = self._position  # immutable
        copy._count = self._count.copy()
        copy._removed = self._removed  # immutable
        copy._cursor = self._cursor.copy()
        copy._parent = self._parent.copy()
        copy._rank = self._rank.copy()
        copy._next_open = self._next_open.copy()
        copy._had = self._had  # never changed after __init__
        return copy

    def _find(self, position: int) -> int:
        parent = self._parent
        while parent[position] != position:
            parent[position] = parent[parent[position]]
            position = parent[position]
        return position

    def _close(self, position: int) -> None:
        """Merge the closed `position`'s set with the next position's; the merged set leads where the next did."""
        closed, following = self._find(position), self._find(position + 1)
        target = self._next_open[following]
        rank = self._rank
        if rank[closed] > rank[following]:
            closed, following = following, closed
        elif rank[closed] == rank[following]:
            rank[following] += 1
        self._parent[closed] = following
        self._next_open[following] = target
