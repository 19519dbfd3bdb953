"""Hypothesis strategies for whole labeling scenarios: a world ready to post, and events during a task.

A `World` holds everything one example needs — inputs, datasets, the task (any strategy, any review) and
the team with its policies — as plain data, so a failing example prints readably and shrinks to few
inputs, a small team and the default answers::

    from fake_clarifai import scenarios
    from fake_clarifai.testing import play

    @given(scenarios.worlds(["labeler-1", "labeler-2"], ["reviewer"], ["water", "sky"]))
    def test_the_team_finishes(clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, world):
        with clarifai_server.isolated():
            task_id = scenarios.post_world(clarifai_session_inprocess_stub, clarifai_session_app, OWNER, world)
            report = play(clarifai_session_inprocess_stub, clarifai_session_app, task_id, world.team,
                          owner_metadata=OWNER)

`events(...)` draws what the owner does while the team works (`AddInput`, `DeleteInput`, `Overwrite`);
`apply_event` makes the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from hypothesis import strategies as st

from fake_clarifai import strategies
from fake_clarifai.testing import Decision, Labeler, Member, Reviewer, call_ok, text_input

__all__ = [
    "AddInput",
    "Answers",
    "DeleteInput",
    "Event",
    "Overwrite",
    "Verdicts",
    "World",
    "apply_event",
    "events",
    "post_world",
    "worlds",
]

Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Answers:
    """A labeler's policy as a table: the concepts given for an input, `default` for inputs not listed."""

    default: tuple[str, ...]
    by_input: Mapping[str, tuple[str, ...]]

    def __call__(self, input_id: str) -> dict[str, float]:
        return dict.fromkeys(self.by_input.get(input_id, self.default), 1.0)


@dataclass(frozen=True)
class Verdicts:
    """A reviewer's policy as a table keyed by input id (`default` for the rest)."""

    default: Decision
    by_input: Mapping[str, Decision]

    def __call__(self, assignment: resources_pb2.TaskAssignment) -> Decision:
        return self.by_input.get(assignment.input.id, self.default)


@dataclass(frozen=True)
class World:
    """Inputs (ids, in creation order), datasets (id -> member ids), the task to post, and the team."""

    input_ids: tuple[str, ...]
    datasets: Mapping[str, tuple[str, ...]]
    task: resources_pb2.Task
    team: tuple[Member, ...]

    def after(self, event: Event) -> World:
        """The world as the team sees it after `event`: an `Overwrite`'s workers are the labelers (those
        already in the team keep their policy, new ones take the defaults); other events change no member."""
        if not isinstance(event, Overwrite):
            return self
        task = resources_pb2.Task()
        task.CopyFrom(self.task)
        task.worker.CopyFrom(event.worker)
        kept = {m.user_id: m for m in self.team if isinstance(m, Labeler)}
        labelers = [kept.get(w.user.id, Labeler(w.user.id)) for w in event.worker.workers]
        return World(
            self.input_ids, self.datasets, task, (*labelers, *(m for m in self.team if isinstance(m, Reviewer)))
        )


@st.composite
def worlds(
    draw: st.DrawFn,
    labelers: Sequence[str],
    reviewers: Sequence[str],
    concepts: Sequence[str],
    *,
    max_inputs: int = 15,
    task_strategies: Sequence[int] = (strategies.DYNAMIC, strategies.PARTITIONED, strategies.FULL),
) -> World:
    """A world over existing users and concepts: up to `max_inputs` inputs, up to two datasets of them,
    a task from `strategies.human_tasks` (over the datasets too), every task worker as a `Labeler` with an
    `Answers` table and every task reviewer as a `Reviewer` with a `Verdicts` table (request_changes
    excluded, so a team always finishes). Shrinks towards one input, one worker, NONE review."""
    input_ids = draw(strategies.input_ids(min_size=1, max_size=max_inputs))
    dataset_ids = draw(st.lists(st.sampled_from(["ds-a", "ds-b"]), unique=True, max_size=2))
    datasets = {d: tuple(draw(st.lists(st.sampled_from(input_ids), unique=True))) for d in dataset_ids}
    task = draw(
        strategies.human_tasks(
            labelers, concepts, strategies=task_strategies, dataset_ids=dataset_ids, reviewer_user_ids=reviewers
        )
    )
    labels = st.lists(st.sampled_from(list(concepts)), min_size=1, max_size=len(concepts), unique=True).map(tuple)
    team: list[Member] = []
    for worker in task.worker.workers:
        answers = draw(st.dictionaries(st.sampled_from(input_ids), labels, max_size=len(input_ids)))
        team.append(Labeler(worker.user.id, answer=Answers(draw(labels), answers)))
    verdict = st.sampled_from(("approve", "reject"))
    for user in task.review.users:
        verdicts = draw(st.dictionaries(st.sampled_from(input_ids), verdict, max_size=len(input_ids)))
        team.append(Reviewer(user.id, decide=Verdicts(draw(verdict), verdicts)))
    return World(tuple(input_ids), datasets, task, tuple(team))


def post_world(stub: service_pb2_grpc.V2Stub, app: resources_pb2.UserAppIDSet, owner: Metadata, world: World) -> str:
    """Post the world's inputs, datasets and members, then its task, as the owner; returns the task id."""
    inputs = [text_input(i) for i in world.input_ids]
    call_ok(stub, "PostInputs", service_pb2.PostInputsRequest(user_app_id=app, inputs=inputs), owner)
    for dataset_id, members in world.datasets.items():
        dataset = resources_pb2.Dataset(id=dataset_id)
        call_ok(stub, "PostDatasets", service_pb2.PostDatasetsRequest(user_app_id=app, datasets=[dataset]), owner)
        if members:
            request = service_pb2.PostDatasetInputsRequest(
                user_app_id=app,
                dataset_id=dataset_id,
                dataset_inputs=[resources_pb2.DatasetInput(input=resources_pb2.Input(id=i)) for i in members],
            )
            call_ok(stub, "PostDatasetInputs", request, owner)
    posted = call_ok(stub, "PostTasks", service_pb2.PostTasksRequest(user_app_id=app, tasks=[world.task]), owner)
    return str(posted.tasks[0].id)


@dataclass(frozen=True)
class AddInput:
    input_id: str


@dataclass(frozen=True)
class DeleteInput:
    input_id: str


@dataclass(frozen=True)
class Overwrite:
    """PatchTasks overwrite with a new worker configuration (same concepts, source and review)."""

    worker: resources_pb2.TaskWorker


Event = AddInput | DeleteInput | Overwrite


def events(input_ids: Sequence[str], labelers: Sequence[str], *, max_size: int = 6) -> st.SearchStrategy[list[Event]]:
    """Owner events during a task: new inputs (ids not in `input_ids`), deletions of `input_ids`, and
    overwrites with a worker configuration over `labelers`. A deleted input is deleted once."""
    fresh = strategies.input_ids(min_size=1, max_size=1).filter(lambda ids: ids[0] not in input_ids)
    one = st.one_of(
        fresh.map(lambda ids: AddInput(ids[0])),
        st.sampled_from(list(input_ids)).map(DeleteInput) if input_ids else st.nothing(),
        strategies.task_workers(labelers).map(Overwrite),
    )
    return st.lists(one, max_size=max_size).map(_once)


def _once(drawn: list[Event]) -> list[Event]:
    seen: set[str] = set()
    kept: list[Event] = []
    for event in drawn:
        if isinstance(event, (AddInput, DeleteInput)):
            if event.input_id in seen:
                continue
            seen.add(event.input_id)
        kept.append(event)
    return kept


def apply_event(
    stub: service_pb2_grpc.V2Stub, app: resources_pb2.UserAppIDSet, owner: Metadata, task_id: str, event: Event
) -> None:
    """Make the owner's call for `event` on `task_id`; raises `testing.TeamError` unless it succeeds."""
    if isinstance(event, AddInput):
        call_ok(
            stub,
            "PostInputs",
            service_pb2.PostInputsRequest(user_app_id=app, inputs=[text_input(event.input_id)]),
            owner,
        )
    elif isinstance(event, DeleteInput):
        call_ok(stub, "DeleteInputs", service_pb2.DeleteInputsRequest(user_app_id=app, ids=[event.input_id]), owner)
    else:
        current = call_ok(stub, "GetTask", service_pb2.GetTaskRequest(user_app_id=app, task_id=task_id), owner).task
        task = resources_pb2.Task(
            id=task_id,
            type=current.type,
            name=current.name,
            concepts=current.concepts,
            input_source=current.input_source,
            review=current.review,
            worker=event.worker,
        )
        request = service_pb2.PatchTasksRequest(user_app_id=app, action="overwrite", tasks=[task])
        call_ok(stub, "PatchTasks", request, owner)
