"""All of the fake's state: one object, one lock, one namespace per (user_id, app_id).

Snapshots, restores and resets cost O(1) whatever the size of the state (issue 18): every container is a
`PMap` (fake_clarifai/persistent.py), whose `copy()` shares everything and copies a chunk only before its
first write. Rules every writer follows:
- Stored protobuf messages and records are never mutated in place. To change one, build a new one
  (`copy = type(m)(); copy.CopyFrom(m)`, or `dataclasses.replace`) and put it back in its map. (Records
  are frozen dataclasses, except `Assignment`: see there.)
- A stateful object inside a map (an `AppState` in `Store.apps`, a `TaskState` in `AppState.tasks`, a
  map inside a map) is changed only after `edit()` gave it to the writer: `Store.app()`, `AppState.task()`
  and `AppState.changing_tasks()` do, and the nested indexes here do; values that are immutable (tuples,
  frozensets, protos) are simply replaced.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby, islice
from operator import attrgetter

from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.domain import review
from fake_clarifai.domain.review_policy import PENDING, POLICIES, ReviewPolicy
from fake_clarifai.domain.work import NO_WORK, WorkSource
from fake_clarifai.errors import status_of
from fake_clarifai.ids import Clock, IdFactory, to_timestamp
from fake_clarifai.persistent import PMap

Predict = Callable[[resources_pb2.Input], Mapping[str, float]]
# Whether snapshots carry their plain data and `restore` checks it (the project's conftest.py turns it on for
# the whole suite; FAKE_CLARIFAI_CHECK_SNAPSHOTS=1 does for any process): O(size) per snapshot and restore.
CHECK_SNAPSHOTS = os.environ.get("FAKE_CLARIFAI_CHECK_SNAPSHOTS") == "1"


@dataclass(frozen=True, slots=True)
class Token:
    """A credential: a user's PAT (`app_id` None) or an app-specific API key bound to one app."""

    value: str
    user_id: str
    app_id: str | None = None


@dataclass(frozen=True, slots=True)
class FakeModel:
    """A seeded model: `predict(input) -> {concept_id: score}`, deterministic."""

    id: str
    version_id: str
    predict: Predict
    name: str = ""


@dataclass(frozen=True, slots=True)
class FakeWorkflow:
    """A seeded workflow: a named chain whose last node is a model of the same app."""

    id: str
    model_id: str
    version_id: str = ""


@dataclass(slots=True)
class Assignment:
    """One input handed to one worker of a task. `state` is a `TASK_ASSIGNMENT_*` status code.

    Never changed in place (change a copy: `dataclasses.replace`, then `TaskState.replace`), but not frozen:
    a frozen dataclass sets each field through `object.__setattr__`, which made creating 300k assignments
    (a 100k-input PARTITIONED task at wpi 3, when they were all made at creation) cost ~0.6 s instead of ~0.15 s.
    """

    id: str
    task_id: str
    input_id: str
    worker_id: str
    state: int
    created_at: float
    modified_at: float


_ID, _INPUT_ID, _WORKER_AND_STATE = attrgetter("id"), attrgetter("input_id"), attrgetter("worker_id", "state")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while making many objects that all stay (each collection would walk them
    again and free nothing: ~0.6 s for 300k assignments)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(slots=True)
class TaskState:
    """A task's definition plus its runtime: assignments and their indexes, and its `work` source
    (domain/work.py: the plan of a PARTITIONED or FULL task, whose dealt work is pending but has no
    assignment records until handed out; the pool of a DYNAMIC task; the model of an auto-annotation task).

    Its containers are PMaps, so `copy()` is O(1) plus the work source's `clone()`; the nested indexes
    (`assignment_ids_by_worker`, `assignment_ids_by_worker_state`) change only through `add`, `replace` and
    `remove`, which `edit()` the inner map first.
    """

    task: resources_pb2.Task
    worker_user_ids: frozenset[str] = frozenset()
    reviewer_user_ids: frozenset[str] = frozenset()
    assignments: PMap[str, Assignment] = field(default_factory=PMap)
    assignment_ids_by_worker: PMap[str, PMap[str, None]] = field(default_factory=PMap)  # ordered id sets
    assignment_ids_by_input: PMap[str, tuple[str, ...]] = field(default_factory=PMap)
    # (worker, state) -> ids of that worker's assignments in that state, in the order they entered it
    assignment_ids_by_worker_state: PMap[tuple[str, int], PMap[str, None]] = field(default_factory=PMap)
    review_batches: dict[str, tuple[str, ...]] = field(default_factory=dict)  # reviewer -> REVIEW_START batch
    consensus_labels: PMap[str, frozenset[str]] = field(default_factory=PMap)  # settled input -> agreed concepts
    # assignment -> reviewer -> its review (REVIEW_PENDING / _SUCCESS / _DISMISSED); inner dicts are replaced,
    # never changed in place
    reviews: PMap[str, dict[str, int]] = field(default_factory=PMap)
    review_turn: int = 0  # how many assignments evenly distributed review has handed to a reviewer
    # input -> how many workers hold it, where an overwrite that lowered workers_per_input kept more than that
    kept_beyond_wpi: dict[str, int] = field(default_factory=dict)
    # the async half of PutTaskAssignments not applied yet (README "async half"; applied right after each call
    # unless `FakeClarifai.hold_async()` holds it until `settle()`): assignment -> the status its labeler's task
    # annotations take, and the inputs whose CONSENSUS settlement waits; at most one entry per assignment / input
    held_annotation_status: PMap[str, int] = field(default_factory=PMap)
    unsettled_inputs: PMap[str, None] = field(default_factory=PMap)
    work: WorkSource = NO_WORK  # where the work not handed out yet comes from, by the task's strategy

    @property
    def review_policy(self) -> ReviewPolicy:
        """The policy of the task's review strategy (domain/review_policy.py)."""
        return POLICIES[self.task.review.strategy]

    @property
    def reviewers(self) -> list[str]:
        """The task's reviewers' user ids, in the order of `review.users`."""
        return list(dict.fromkeys(user.id for user in self.task.review.users))

    def open_reviews(self, assignment_id: str) -> None:
        """The assignment just became reviewable: its reviewers get pending reviews (review.open_reviews)."""
        policy = self.review_policy
        stacked = policy.stacked(self.task.review)
        opened = review.open_reviews(self.reviewers, stacked, self.review_turn)
        if opened:
            self.reviews[assignment_id] = opened
            self.review_turn += not stacked

    def close_reviews(self, assignment_id: str) -> None:
        """The assignment left the reviewable state: its reviews still pending are dismissed."""
        if assignment_id in self.reviews:
            self.reviews[assignment_id] = review.dismissed(self.reviews[assignment_id])

    def sync_reviews(self) -> None:
        """After the task's definition changed: records only of existing assignments; pending reviews only
        on assignments awaiting review, by current reviewers, as the (possibly new) mode wants."""
        reviewable = self.review_policy.reviewable if self.review_policy.needs_reviewers else None
        stacked = self.review_policy.stacked(self.task.review)
        reviewers = self.reviewers
        synced: PMap[str, dict[str, int]] = PMap()
        for assignment_id, assignment in self.assignments.items():
            records = self.reviews.get(assignment_id, {})
            if assignment.state == reviewable and reviewers:
                synced[assignment_id] = review.reviews_synced(records, reviewers, stacked, self.review_turn)
                self.review_turn += not stacked and all(records.get(r) != review.REVIEW_PENDING for r in reviewers)
            elif records:
                synced[assignment_id] = review.dismissed(records)
        self.reviews = synced

    def add(self, assignments: Iterable[Assignment]) -> None:
        """Index new assignments (callers make them with ids and times from the store).

        In a few passes that run in C (a worker's whole remaining plan can be handed out at once): per worker and
        state, a run of one worker's assignments in one state at a time; per input, all its new ids at once.
        """
        with _gc_paused():
            new = list(assignments)
            new_ids = list(map(_ID, new))
            self.assignments.update(zip(new_ids, new, strict=True))
            start = 0
            for (worker, state), run in groupby(map(_WORKER_AND_STATE, new)):
                run_ids = new_ids[start : start + len(list(run))]
                self.assignment_ids_by_worker.edit(worker, PMap).update(dict.fromkeys(run_ids))
                self.assignment_ids_by_worker_state.edit((worker, state), PMap).update(dict.fromkeys(run_ids))
                start += len(run_ids)
            of_input: defaultdict[str, list[str]] = defaultdict(list)
            deque(map(list.append, map(of_input.__getitem__, map(_INPUT_ID, new)), new_ids), maxlen=0)  # in C
            by_input = self.assignment_ids_by_input
            grown = {i: (*by_input[i], *ids) for i, ids in of_input.items() if i in by_input}
            by_input.update(zip(of_input, map(tuple, of_input.values()), strict=True))  # new ones: in order seen
            by_input.update(grown)

    def hand_out(
        self,
        worker_id: str,
        input_ids: Iterable[str],
        new_ids: Callable[[int], list[str]],
        now: float,
        kept: Mapping[str, Assignment] | None = None,
    ) -> list[Assignment]:
        """Make `worker_id`'s pending assignments on `input_ids`, just taken from the work source (ids from
        `new_ids`; the time the source gives for `now`: planned work carries the time it was dealt), in order,
        and index them; an input in `kept` keeps that existing assignment instead."""
        kept = kept or {}
        now = self.work.handed_at(now)
        input_ids = list(input_ids)
        fresh = iter(new_ids(sum(1 for i in input_ids if i not in kept)))
        task_id = self.task.id
        made = [kept.get(i) or Assignment(next(fresh), task_id, i, worker_id, PENDING, now, now) for i in input_ids]
        self.add(made)
        return made

    def next_batch(
        self, worker_id: str, limit: int, new_ids: Callable[[int], list[str]], now: float
    ) -> list[Assignment]:
        """`worker_id`'s next batch of at most `limit`: its pending assignments, topped up by the work source."""
        batch = [self.assignments[i] for i in self.ids_in_state(worker_id, PENDING, limit)]
        more = self.work.top_up(worker_id, limit, len(batch))
        return batch + self.hand_out(worker_id, more, new_ids, now) if more else batch

    def claim_planned(
        self, worker_id: str, input_id: str, new_ids: Callable[[int], list[str]], now: float
    ) -> Assignment | None:
        """Hand out `worker_id`'s planned work up to `input_id` (keeping the worker's queue in source order)
        and return its assignment on `input_id`; None when `input_id` is not planned for `worker_id`."""
        if not self.work.has(worker_id, input_id):
            return None
        return self.hand_out(worker_id, self.work.take_through(worker_id, input_id), new_ids, now)[-1]

    def pending_count(self, worker_id: str) -> int:
        """`worker_id`'s pending work: pending assignments plus planned inputs."""
        return len(self.assignment_ids_by_worker_state.get((worker_id, PENDING), ())) + self.work.left(worker_id)

    def planned_workers(self, input_id: str) -> list[str]:
        """The workers `input_id` is planned for but not handed to yet (their work on it is pending)."""
        return self.work.workers_of(input_id)

    def expected_labelers(self, input_id: str) -> int:
        """How many workers will label `input_id` in the end (handed out, planned, or still to come)."""
        handed = len(self.assignment_ids_by_input.get(input_id, ()))
        return self.work.expected_labelers(handed, input_id, len(self.worker_user_ids))

    def workers_on(self, input_id: str) -> list[str]:
        """The workers with work on `input_id` in any state, handed out (in the order handed) or planned."""
        return [a.worker_id for a in self.of_input(input_id)] + self.planned_workers(input_id)

    def inputs_of(self, worker_id: str) -> list[str]:
        """The inputs `worker_id` has work on in any state, handed out (in the order handed) or planned."""
        return [a.input_id for a in self.of_worker(worker_id)] + self.work.inputs_of(worker_id)

    def is_assigned(self, worker_id: str, input_id: str) -> bool:
        """Whether `worker_id` has work on `input_id` in any state, handed out or planned."""
        return any(a.worker_id == worker_id for a in self.of_input(input_id)) or self.work.has(worker_id, input_id)

    def holders(self) -> dict[str, frozenset[str]]:
        """Input -> the distinct workers with an assignment record on it (any state; planned work not included)."""
        assignments = self.assignments
        return {i: frozenset(assignments[a].worker_id for a in ids) for i, ids in self.assignment_ids_by_input.items()}

    def drop_input(self, input_id: str) -> None:
        """`input_id` left the task (deleted from the app, or out of its source): every trace of work on it
        goes, whatever its state: assignments, the work source (planned work, the DYNAMIC pool), review
        batches, consensus."""
        gone = self.assignment_ids_by_input.get(input_id, ())
        for assignment_id in gone:
            self.remove(assignment_id)
        if gone:
            self.review_batches = {r: tuple(i for i in ids if i not in gone) for r, ids in self.review_batches.items()}
        self.consensus_labels.pop(input_id, None)
        self.unsettled_inputs.pop(input_id, None)
        self.kept_beyond_wpi.pop(input_id, None)
        self.work.remove_input(input_id)

    def set_status(self, code: int, now: float, details: str = "") -> None:
        """Replace the stored task with a copy in status `code` (the stored proto is never changed in place)."""
        task = resources_pb2.Task()
        task.CopyFrom(self.task)
        task.status.CopyFrom(status_of(code, details))
        task.modified_at.CopyFrom(to_timestamp(now))
        self.task = task

    def replace(self, assignment: Assignment) -> None:
        """Store a changed copy of an existing assignment (same id, worker and input)."""
        old = self.assignments[assignment.id]
        self.assignments[assignment.id] = assignment
        if old.state != assignment.state:
            by_state = self.assignment_ids_by_worker_state
            del by_state.edit((old.worker_id, old.state))[old.id]
            by_state.edit((assignment.worker_id, assignment.state), PMap)[assignment.id] = None

    def remove(self, assignment_id: str) -> Assignment:
        self.reviews.pop(assignment_id, None)
        self.held_annotation_status.pop(assignment_id, None)
        assignment = self.assignments.pop(assignment_id)
        del self.assignment_ids_by_worker.edit(assignment.worker_id)[assignment_id]
        del self.assignment_ids_by_worker_state.edit((assignment.worker_id, assignment.state))[assignment_id]
        remaining = tuple(i for i in self.assignment_ids_by_input[assignment.input_id] if i != assignment_id)
        if remaining:
            self.assignment_ids_by_input[assignment.input_id] = remaining
        else:
            del self.assignment_ids_by_input[assignment.input_id]
        return assignment

    def of_worker(self, worker_id: str) -> list[Assignment]:
        return [self.assignments[i] for i in self.assignment_ids_by_worker.get(worker_id, ())]

    def of_input(self, input_id: str) -> list[Assignment]:
        return [self.assignments[i] for i in self.assignment_ids_by_input.get(input_id, ())]

    def ids_in_state(self, worker_id: str, state: int, limit: int | None = None) -> list[str]:
        """The first `limit` (default all) of `worker_id`'s assignments in `state`, in the order they entered it."""
        return list(islice(self.assignment_ids_by_worker_state.get((worker_id, state), ()), limit))

    def copy(self) -> TaskState:
        """An independent task state, in O(1) plus the work source's `clone()` (for `AppState.task`)."""
        return TaskState(
            task=self.task,
            worker_user_ids=self.worker_user_ids,
            reviewer_user_ids=self.reviewer_user_ids,
            assignments=self.assignments.copy(),
            assignment_ids_by_worker=self.assignment_ids_by_worker.copy(),
            assignment_ids_by_input=self.assignment_ids_by_input.copy(),
            assignment_ids_by_worker_state=self.assignment_ids_by_worker_state.copy(),
            review_batches=self.review_batches.copy(),
            consensus_labels=self.consensus_labels.copy(),
            reviews=self.reviews.copy(),
            review_turn=self.review_turn,
            kept_beyond_wpi=self.kept_beyond_wpi.copy(),
            held_annotation_status=self.held_annotation_status.copy(),
            unsettled_inputs=self.unsettled_inputs.copy(),
            work=self.work.clone(),
        )


@dataclass(slots=True)
class AppState:
    """One app's namespace. Dicts keep insertion order, which is creation order."""

    app: resources_pb2.App
    collaborators: PMap[str, resources_pb2.Collaborator] = field(default_factory=PMap)
    concepts: PMap[str, resources_pb2.Concept] = field(default_factory=PMap)
    inputs: PMap[str, resources_pb2.Input] = field(default_factory=PMap)
    datasets: PMap[str, resources_pb2.Dataset] = field(default_factory=PMap)
    dataset_members: PMap[str, PMap[str, resources_pb2.DatasetInput]] = field(default_factory=PMap)
    dataset_ids_by_input: PMap[str, tuple[str, ...]] = field(default_factory=PMap)
    annotations: PMap[str, resources_pb2.Annotation] = field(default_factory=PMap)
    annotation_ids_by_input: PMap[str, tuple[str, ...]] = field(default_factory=PMap)
    annotation_ids_by_task: PMap[str, PMap[str, None]] = field(default_factory=PMap)
    models: PMap[str, FakeModel] = field(default_factory=PMap)
    workflows: PMap[str, FakeWorkflow] = field(default_factory=PMap)
    tasks: PMap[str, TaskState] = field(default_factory=PMap)  # change one only through `task()`
    hosted_bytes: PMap[str, bytes] = field(default_factory=PMap)  # input id -> the bytes it was posted with
    inputs_add_jobs: PMap[str, resources_pb2.InputsAddJob] = field(default_factory=PMap)
    dataset_versions: PMap[str, PMap[str, resources_pb2.DatasetVersion]] = field(default_factory=PMap)
    searches: PMap[str, resources_pb2.Search] = field(default_factory=PMap)  # saved searches by id
    public: bool = False  # readable by every user (Clarifai's community apps such as clarifai/main)

    def is_member(self, user_id: str) -> bool:
        """The owner or a collaborator."""
        return user_id == self.app.user_id or user_id in self.collaborators

    # -- writes: every record goes in and out through these, which keep every index true ----------------
    def put_concept(self, concept: resources_pb2.Concept) -> None:
        """Store a new or changed concept."""
        self.concepts[concept.id] = concept

    def add_inputs(self, inputs: Iterable[resources_pb2.Input]) -> None:
        """Store new inputs (ids unused), in order. (Tasks hear of them through services/source_events.)"""
        self.inputs.update((item.id, item) for item in inputs)

    def replace_input(self, item: resources_pb2.Input) -> None:
        """Store a changed copy of an existing input."""
        self.inputs[item.id] = item

    def remove_input(self, input_id: str) -> None:
        """Delete an input that is in no dataset and has no annotation any more, with its hosted bytes."""
        del self.inputs[input_id]
        self.hosted_bytes.pop(input_id, None)

    def put_hosted_bytes(self, input_id: str, data: bytes) -> None:
        self.hosted_bytes[input_id] = data

    def put_add_job(self, job: resources_pb2.InputsAddJob) -> None:
        self.inputs_add_jobs[job.id] = job

    def add_dataset_version(self, dataset_id: str, version: resources_pb2.DatasetVersion) -> None:
        self.dataset_versions.edit(dataset_id)[version.id] = version

    def add_dataset(self, dataset: resources_pb2.Dataset) -> None:
        """Store a new, empty dataset."""
        self.datasets[dataset.id] = dataset
        self.dataset_members[dataset.id] = PMap()
        self.dataset_versions[dataset.id] = PMap()

    def replace_dataset(self, dataset: resources_pb2.Dataset) -> None:
        self.datasets[dataset.id] = dataset

    def remove_dataset(self, dataset_id: str) -> None:
        """Delete a dataset that has no members any more, with its versions."""
        del self.dataset_members[dataset_id], self.dataset_versions[dataset_id], self.datasets[dataset_id]

    def add_members(self, dataset_id: str, input_ids: Iterable[str], created_at: Timestamp) -> list[str]:
        """Make existing inputs members of an existing dataset; returns the ones that were not members yet,
        in order (ones already in it keep their place)."""
        members = self.dataset_members.edit(dataset_id)
        added = [input_id for input_id in dict.fromkeys(input_ids) if input_id not in members]
        by_input = self.dataset_ids_by_input
        for input_id in added:
            members[input_id] = resources_pb2.DatasetInput(input=self.inputs[input_id], created_at=created_at)
            by_input[input_id] = (*by_input.get(input_id, ()), dataset_id)
        return added

    def remove_members(self, dataset_id: str, input_ids: Iterable[str]) -> list[str]:
        """Take inputs out of a dataset; returns the ones that were members, in order."""
        members = self.dataset_members.edit(dataset_id)
        removed = [input_id for input_id in dict.fromkeys(input_ids) if members.pop(input_id, None) is not None]
        for input_id in removed:
            remaining = tuple(d for d in self.dataset_ids_by_input[input_id] if d != dataset_id)
            if remaining:
                self.dataset_ids_by_input[input_id] = remaining
            else:
                del self.dataset_ids_by_input[input_id]
        return removed

    def add_annotations(self, annotations: Iterable[resources_pb2.Annotation]) -> None:
        """Store new annotations (ids unused, inputs existing) and index them by input and task."""
        by_input, by_task = self.annotation_ids_by_input, self.annotation_ids_by_task
        for annotation in annotations:
            self.annotations[annotation.id] = annotation
            by_input[annotation.input_id] = (*by_input.get(annotation.input_id, ()), annotation.id)
            if annotation.task_id:
                by_task.edit(annotation.task_id, PMap)[annotation.id] = None

    def replace_annotation(self, annotation: resources_pb2.Annotation) -> None:
        """Store a changed copy of an existing annotation (same id, input and task: the indexes stay true)."""
        old = self.annotations[annotation.id]
        assert (old.input_id, old.task_id) == (annotation.input_id, annotation.task_id)
        self.annotations[annotation.id] = annotation

    def remove_annotations(self, annotation_ids: Iterable[str]) -> None:
        """Delete existing annotations and their index entries (each index rebuilt once per call)."""
        removed = [self.annotations.pop(i) for i in dict.fromkeys(annotation_ids)]
        gone = {a.id for a in removed}
        for input_id in {a.input_id for a in removed}:
            remaining = tuple(i for i in self.annotation_ids_by_input[input_id] if i not in gone)
            if remaining:
                self.annotation_ids_by_input[input_id] = remaining
            else:
                del self.annotation_ids_by_input[input_id]
        for annotation in removed:
            if annotation.task_id:
                of_task = self.annotation_ids_by_task.edit(annotation.task_id)
                del of_task[annotation.id]
                if not of_task:
                    del self.annotation_ids_by_task[annotation.task_id]

    def put_search(self, search: resources_pb2.Search) -> None:
        self.searches[search.id] = search

    def task(self, task_id: str) -> TaskState | None:
        """The task's state, this app's own to change (a snapshot's copy is never changed); None if unknown."""
        return self.tasks.edit(task_id) if task_id in self.tasks else None

    def changing(self, task_id: str) -> TaskState:
        """An existing task's state, this app's own to change."""
        return self.tasks.edit(task_id)

    def changing_tasks(self, which: Callable[[TaskState], bool] | None = None) -> list[TaskState]:
        """The tasks `which` selects (default all), each this app's own to change (for events that reach many)."""
        return [self.tasks.edit(i) for i, task in list(self.tasks.items()) if which is None or which(task)]

    def put_task(self, task: TaskState) -> None:
        """Store a new task, or a task's new state (an overwrite)."""
        self.tasks.adopt(task.task.id, task)

    def remove_task(self, task_id: str) -> None:
        """Delete a task; its annotations stay (they keep its id)."""
        del self.tasks[task_id]

    def put_model(self, model: FakeModel) -> None:
        self.models[model.id] = model

    def put_workflow(self, workflow: FakeWorkflow) -> None:
        self.workflows[workflow.id] = workflow

    @property
    def user_id(self) -> str:
        return self.app.user_id

    @property
    def app_id(self) -> str:
        return self.app.id

    def copy(self) -> AppState:
        """An independent app state in O(1): every map is shared until written (for `Store.app`)."""
        return AppState(
            app=self.app,
            collaborators=self.collaborators.copy(),
            concepts=self.concepts.copy(),
            inputs=self.inputs.copy(),
            datasets=self.datasets.copy(),
            dataset_members=self.dataset_members.copy(),
            dataset_ids_by_input=self.dataset_ids_by_input.copy(),
            annotations=self.annotations.copy(),
            annotation_ids_by_input=self.annotation_ids_by_input.copy(),
            annotation_ids_by_task=self.annotation_ids_by_task.copy(),
            models=self.models.copy(),
            workflows=self.workflows.copy(),
            tasks=self.tasks.copy(),
            hosted_bytes=self.hosted_bytes.copy(),
            inputs_add_jobs=self.inputs_add_jobs.copy(),
            dataset_versions=self.dataset_versions.copy(),
            searches=self.searches.copy(),
            public=self.public,
        )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An opaque, O(1) copy of the whole store, for `Store.restore` (its maps are never written)."""

    users: PMap[str, resources_pb2.User]
    tokens: PMap[str, Token]
    apps: PMap[tuple[str, str], AppState]
    app_keys_by_member: PMap[str, tuple[tuple[str, str], ...]]
    id_state: object
    # the snapshot as plain data under CHECK_SNAPSHOTS: `restore` checks that no write reached the snapshot's
    # shared objects (a write that skipped `edit()`)
    fingerprint: object = None

    def plain(self) -> object:
        from fake_clarifai.dump import plain  # the dump module imports this one

        return plain([self.users, self.tokens, self.apps, self.app_keys_by_member])


class Store:
    """The in-memory state. Hold `lock` for every read or write (the wire does, per call)."""

    def __init__(self, ids: IdFactory | None = None, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.ids = ids or IdFactory()
        self.clock = clock or Clock()
        self.users: PMap[str, resources_pb2.User] = PMap()
        self.tokens: PMap[str, Token] = PMap()
        self.apps: PMap[tuple[str, str], AppState] = PMap()  # change one only through `app()`
        # user -> keys of the apps they own or collaborate on, in the order they became a member
        self.app_keys_by_member: PMap[str, tuple[tuple[str, str], ...]] = PMap()
        # the base URL that serves inputs' hosted bytes (`FakeClarifai` starts its JSON/HTTP gateway for it)
        self.hosted_base: Callable[[], str] = lambda: "http://fake-clarifai.invalid"
        # whether PutTaskAssignments' async half waits for `FakeClarifai.settle()` (`hold_async()`)
        self.hold_async = False

    def app(self, user_id: str, app_id: str) -> AppState | None:
        """The app's state, the store's own to change (a snapshot's copy is never changed); None if unknown."""
        return self.apps.edited((user_id, app_id))

    def add_app(self, state: AppState) -> None:
        key = (state.user_id, state.app_id)
        self.apps.adopt(key, state)
        self._add_member(state.user_id, key)

    def remove_app(self, state: AppState) -> None:
        """The app with its contents, its members' entries for it and the API keys bound to it."""
        key = (state.user_id, state.app_id)
        del self.apps[key]
        for member in (state.user_id, *state.collaborators):
            self._remove_member(member, key)
        for value in [t.value for t in self.tokens.values() if (t.user_id, t.app_id) == key]:
            del self.tokens[value]

    def add_collaborator(self, state: AppState, collaborator: resources_pb2.Collaborator) -> None:
        state.collaborators[collaborator.user.id] = collaborator
        self._add_member(collaborator.user.id, (state.user_id, state.app_id))

    def remove_collaborator(self, state: AppState, user_id: str) -> None:
        del state.collaborators[user_id]
        self._remove_member(user_id, (state.user_id, state.app_id))

    def _remove_member(self, user_id: str, key: tuple[str, str]) -> None:
        remaining = tuple(k for k in self.app_keys_by_member[user_id] if k != key)
        if remaining:
            self.app_keys_by_member[user_id] = remaining
        else:
            del self.app_keys_by_member[user_id]

    def _add_member(self, user_id: str, key: tuple[str, str]) -> None:
        self.app_keys_by_member[user_id] = (*self.app_keys_by_member.get(user_id, ()), key)

    def snapshot(self) -> Snapshot:
        """The whole state, in O(1) whatever its size."""
        with self.lock:
            snapshot = Snapshot(
                users=self.users.copy(),
                tokens=self.tokens.copy(),
                apps=self.apps.copy(),
                app_keys_by_member=self.app_keys_by_member.copy(),
                id_state=self.ids.state(),
            )
            if CHECK_SNAPSHOTS:
                snapshot = dataclasses.replace(snapshot, fingerprint=snapshot.plain())
            return snapshot

    def restore(self, snapshot: Snapshot) -> None:
        """Back to `snapshot`, in O(1) whatever the size of either state; the snapshot can be restored again."""
        with self.lock:
            if snapshot.fingerprint is not None and snapshot.plain() != snapshot.fingerprint:
                raise AssertionError("a write reached a snapshot's state: a shared object changed without edit()")
            self.users = snapshot.users.copy()
            self.tokens = snapshot.tokens.copy()
            self.apps = snapshot.apps.copy()
            self.app_keys_by_member = snapshot.app_keys_by_member.copy()
            self.ids.set_state(snapshot.id_state)
