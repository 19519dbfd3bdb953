"""Where a task's work comes from: one object per work strategy, behind one interface (docs/BEHAVIOUR.md §5).

A task holds one `WorkSource` in `TaskState.work`; the services ask it, and never test the strategy:
- `PartitionPlan` / `FullPlan` (domain/assignment.py): PARTITIONED and FULL, the work dealt at creation and
  not handed out yet, per worker in source order;
- `DynamicPool` (domain/assignment.py): DYNAMIC, a live pool handing inputs out on demand;
- `AutoAnnotationWork` (services/auto_annotation.py): a model annotates the inputs, no human work;
- `NoWork` (here): nothing planned and nothing to take (a task planted by a test, or a source left empty).

Every operation has a default here, the answer of a source with nothing planned: a new strategy overrides
only what it does differently. Work already handed out lives in the task's assignment records, not here.

A task's source inputs, as its plan keeps them, are a `KeySequence` (fake_clarifai/persistent.py): the ids
in source order, frozen when the task was dealt, shared by every task dealt from the same container
(`frozen_keys`), so a plan's memory does not grow with the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fake_clarifai.persistent import KeySequence, PMap

if TYPE_CHECKING:  # for the hints of `inputs_joined` only: the domain never imports the store at run time
    from fake_clarifai.store import AppState, Store, TaskState


class WorkSource:
    """The operations the services need from a task's source of work (defaults: nothing planned)."""

    __slots__ = ()

    follows_source = False  # whether inputs joining the task's source later are worked on (`inputs_joined`)
    bounded = True  # whether no input goes to more than workers_per_input workers (FULL: to every worker)

    def workers(self) -> list[str]:
        """The workers that have planned work (not handed out yet), in worker order."""
        return []

    def left(self, worker: str) -> int:
        """How many planned inputs `worker` has not been handed yet."""
        return 0

    def inputs_of(self, worker: str) -> list[str]:
        """`worker`'s planned inputs not handed out yet, in source order."""
        return []

    def workers_of(self, input_id: str) -> list[str]:
        """The workers `input_id` is planned for and not handed to yet, in worker order."""
        return []

    def has(self, worker: str, input_id: str) -> bool:
        """Whether `input_id` is planned for `worker` and not handed out yet."""
        return False

    def top_up(self, worker: str, limit: int, pending: int) -> list[str]:
        """The inputs to hand `worker` now, when its next batch of `limit` already holds `pending` handed-out
        pending assignments; the source records them as handed out."""
        return []

    def take_through(self, worker: str, input_id: str) -> list[str]:
        """Hand `worker` its planned inputs up to and including `input_id` (which `has` says is planned)."""
        raise KeyError(f"input {input_id!r} is not planned for worker {worker!r}")

    def take_all(self, worker: str) -> list[str]:
        """Hand `worker` all of its planned inputs."""
        return []

    def handed_at(self, now: float) -> float:
        """The time an assignment made now from this source carries (planned work: when it was dealt)."""
        return now

    def inputs_joined(self, input_ids: Sequence[str], store: Store, app: AppState, task: TaskState) -> None:
        """Inputs joined the task's source (only called when `follows_source`)."""

    def remove_input(self, input_id: str) -> None:
        """`input_id` left the task: never hand it out (an unknown or already removed id is a no-op)."""

    def expected_labelers(self, handed: int, input_id: str, workers: int) -> int:
        """How many workers will label `input_id` in the end, given that `handed` hold an assignment on it
        and the task has `workers` workers (CONSENSUS waits for that many)."""
        return handed + len(self.workers_of(input_id))

    def clone(self) -> WorkSource:
        """An independent copy, for store snapshots (a source without state returns itself)."""
        return self


@dataclass(frozen=True, slots=True)
class NoWork(WorkSource):
    """A source with nothing planned and nothing to take."""


NO_WORK = NoWork()


def key_sequence(input_ids: Iterable[str]) -> KeySequence[str]:
    """Distinct ids in order (a repeat keeps its first place) as a frozen sequence: O(n), a copy."""
    return PMap(dict.fromkeys(input_ids)).frozen_keys()


def frozen_keys(keys: Mapping[str, object]) -> KeySequence[str]:
    """The keys of `keys` in order, as they are now: O(1) for a `PMap` (later writes copy its chunks, not
    this), a copy (`key_sequence`) for any other mapping."""
    return keys.frozen_keys() if isinstance(keys, PMap) else key_sequence(keys)
