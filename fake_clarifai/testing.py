"""Drive a labeling team through a task, for property tests of assignment and review logic.

`play(stub, app, task_id, team)` plays `team` — `Labeler`s and `Reviewer`s, each with a policy — through
the public RPCs, round after round, until a round finds no work for anybody or `max_rounds` is reached:

- a labeler takes up to `batches_per_round` batches a round: `PutTaskAssignments` LABEL_START, then one
  `PostAnnotations` (with `task_id`) per assignment carrying `answer(input_id)`'s concepts, then
  LABEL_SUBMIT of the batch;
- a reviewer takes up to `batches_per_round` batches: REVIEW_START, then one REVIEW_APPROVE,
  REVIEW_REJECT or REVIEW_REQUEST_CHANGES call per decision `decide(assignment)` made;
- a member with `rounds` set stops after that many rounds (a labeler who stops early).

Who goes first in a round is `order`: `round_robin` (team order), `shuffled(seed)` (a `random.Random` of
that seed, or one you pass, e.g. hypothesis' `st.randoms()`), or `drawn(data)` (hypothesis' `st.data()`
draws each round's permutation, so the interleaving shrinks with the rest). The same seed gives the same
calls.

The `TeamReport` says what happened: per worker the inputs they labeled and each one's state as the
last response naming that assignment gave it, per input its labelers, reviewers and decisions, and the
counts `GetTaskInputCount` reports at the end. (A CONSENSUS task settles the assignments of the labelers
who agreed first without answering them again: their state in `labeled` can be an earlier one, the counts
are always the API's; `FakeClarifai.task_assignments` has every assignment's state.)

Example (the default seed's users, whose PATs are `<user>-pat`)::

    report = play(stub, app, task_id, [Labeler("labeler-1"), Labeler("labeler-2"), Reviewer("reviewer")],
                  owner_metadata=(("authorization", "Key owner-pat"),), order=shuffled(7))
    assert report.finished and all(outcome.labelers for outcome in report.inputs.values())
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from fake_clarifai import strategies
from fake_clarifai.invariants import check_invariants
from fake_clarifai.seed import DEFAULT_SEED
from fake_clarifai.server import FakeClarifai

__all__ = [
    "COUNT_FIELDS",
    "Decision",
    "InputOutcome",
    "Labeler",
    "LabelingMachine",
    "Order",
    "Reviewer",
    "TeamError",
    "TeamReport",
    "call_ok",
    "drawn",
    "play",
    "round_robin",
    "shuffled",
    "text_input",
]

Decision = Literal["approve", "reject", "request_changes"]
Metadata = tuple[tuple[str, str], ...]
Action = service_pb2.PutTaskAssignmentsRequestAction
COUNT_FIELDS = ("pending", "awaiting_review", "success", "review_denied", "awaiting_consensus_review")
_DECISIONS: dict[str, tuple[int, str, Any]] = {
    "approve": (Action.REVIEW_APPROVE, "review_approve_config", service_pb2.ReviewApproveConfig),
    "reject": (Action.REVIEW_REJECT, "review_reject_config", service_pb2.ReviewRejectConfig),
    "request_changes": (
        Action.REVIEW_REQUEST_CHANGES,
        "review_request_changes_config",
        service_pb2.ReviewRequestChangesConfig,
    ),
}


class TeamError(AssertionError):
    """A call of the team did not succeed: names the member, the call and the status."""


def call_ok(stub: service_pb2_grpc.V2Stub, method: str, request: Any, metadata: Metadata, who: str = "owner") -> Any:
    """`stub.<method>(request)` with `metadata`; its response, or `TeamError` naming `who` unless SUCCESS."""
    response = getattr(stub, method)(request, metadata=metadata)
    if response.status.code != status_code_pb2.SUCCESS:
        raise TeamError(f"{method} by {who} answered {response.status.code} {response.status.details!r}")
    return response


def text_input(input_id: str) -> resources_pb2.Input:
    """An input with text data (its id), for PostInputs."""
    return resources_pb2.Input(id=input_id, data=resources_pb2.Data(text=resources_pb2.Text(raw=input_id)))


def _water(input_id: str) -> Mapping[str, float]:
    return {"water": 1.0}


def _approve(assignment: resources_pb2.TaskAssignment) -> Decision:
    return "approve"


@dataclass(frozen=True)
class Labeler:
    """A worker: `answer(input_id) -> {concept_id: value}` (default: water, 1.0), `batches_per_round`
    LABEL_STARTs a round, stopping after `rounds` rounds (None: never). `pat` defaults to `<user_id>-pat`."""

    user_id: str
    answer: Callable[[str], Mapping[str, float]] = _water
    batches_per_round: int = 1
    rounds: int | None = None
    pat: str = ""


@dataclass(frozen=True)
class Reviewer:
    """A reviewer: `decide(assignment) -> "approve" | "reject" | "request_changes"` (default approve)."""

    user_id: str
    decide: Callable[[resources_pb2.TaskAssignment], Decision] = _approve
    batches_per_round: int = 1
    rounds: int | None = None
    pat: str = ""


Member = Labeler | Reviewer


class Order(Protocol):
    """Who acts in which order this round: gets the active members' user ids in team order."""

    def __call__(self, user_ids: list[str]) -> list[str]: ...


def round_robin(user_ids: list[str]) -> list[str]:
    """Team order, every round."""
    return user_ids


def shuffled(seed: int | random.Random) -> Order:
    """A new random order each round, from `random.Random(seed)` (or the given Random)."""
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)

    def order(user_ids: list[str]) -> list[str]:
        return rng.sample(user_ids, len(user_ids))

    return order


def drawn(data: Any) -> Order:
    """Each round's order drawn from hypothesis' `st.data()` object, so it shrinks with the example."""

    def order(user_ids: list[str]) -> list[str]:
        return list(data.draw(st.permutations(user_ids), label="order"))

    return order


@dataclass
class InputOutcome:
    """One input: who labeled it (in submission order), who decided on it and what."""

    labelers: list[str] = field(default_factory=list)
    decisions: list[tuple[str, str, Decision]] = field(default_factory=list)  # (reviewer, labeler, decision)

    @property
    def reviewers(self) -> list[str]:
        return list(dict.fromkeys(reviewer for reviewer, _, _ in self.decisions))


@dataclass
class TeamReport:
    """What the team did. `labeled[worker][input_id]`: the assignment's state name as last answered;
    `inputs[input_id]`: an `InputOutcome`; `counts[worker]`: GetTaskInputCount's five counts; `rounds`
    played; `finished`: the last round found no work for the members still playing (False: `max_rounds`
    was reached, or every member had stopped); `calls` made."""

    labeled: dict[str, dict[str, str]] = field(default_factory=dict)
    inputs: dict[str, InputOutcome] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rounds: int = 0
    finished: bool = False
    calls: int = 0

    def total(self, state: str) -> int:
        """The sum of one count field (e.g. "success") over the workers."""
        return sum(counts[state] for counts in self.counts.values())


@dataclass
class _Table:
    """The calls, all as the given members, on one task."""

    stub: service_pb2_grpc.V2Stub
    app: resources_pb2.UserAppIDSet
    task_id: str
    report: TeamReport

    def put(self, member: Member, action: int, **config: Any) -> list[resources_pb2.TaskAssignment]:
        request = service_pb2.PutTaskAssignmentsRequest(
            user_app_id=self.app, task_id=self.task_id, action=action, **config
        )
        response = self._ok(member, "PutTaskAssignments", request)
        for assignment in response.task_assignments:
            self._seen(assignment)
        return list(response.task_assignments)

    def annotate(self, labeler: Labeler, input_id: str) -> None:
        concepts = [resources_pb2.Concept(id=c, value=v) for c, v in labeler.answer(input_id).items()]
        annotation = resources_pb2.Annotation(
            input_id=input_id, task_id=self.task_id, data=resources_pb2.Data(concepts=concepts)
        )
        request = service_pb2.PostAnnotationsRequest(user_app_id=self.app, annotations=[annotation])
        self._ok(labeler, "PostAnnotations", request)

    def count(self, metadata: Metadata) -> dict[str, dict[str, int]]:
        request = service_pb2.GetTaskCountRequest(user_app_id=self.app, task_id=self.task_id)
        response = self._check("owner", "GetTaskInputCount", request, metadata)
        return {entry.worker.user.id: {f: getattr(entry, f) for f in COUNT_FIELDS} for entry in response.counts}

    def _ok(self, member: Member, method: str, request: Any) -> Any:
        metadata = (("authorization", f"Key {member.pat or member.user_id + '-pat'}"),)
        return self._check(member.user_id, method, request, metadata)

    def _check(self, who: str, method: str, request: Any, metadata: Metadata) -> Any:
        self.report.calls += 1
        return call_ok(self.stub, method, request, metadata, who)

    def _seen(self, assignment: resources_pb2.TaskAssignment) -> None:
        state = status_code_pb2.StatusCode.Name(assignment.status.code)
        self.report.labeled.setdefault(assignment.worker.user.id, {})[assignment.input.id] = state


def _label(table: _Table, labeler: Labeler) -> bool:
    """One batch: LABEL_START, annotate each, LABEL_SUBMIT. False when there was no work."""
    batch = table.put(labeler, Action.LABEL_START)
    if not batch:
        return False
    for assignment in batch:
        table.annotate(labeler, assignment.input.id)
    config = service_pb2.LabelSubmitConfig(task_assignments=[resources_pb2.TaskAssignment(id=a.id) for a in batch])
    table.put(labeler, Action.LABEL_SUBMIT, label_submit_config=config)
    for assignment in batch:
        table.report.inputs.setdefault(assignment.input.id, InputOutcome()).labelers.append(labeler.user_id)
    return True


def _review(table: _Table, reviewer: Reviewer) -> bool:
    """One batch: REVIEW_START, then one call per decision made. False when there was nothing to review."""
    batch = table.put(reviewer, Action.REVIEW_START)
    if not batch:
        return False
    chosen: dict[Decision, list[resources_pb2.TaskAssignment]] = {}
    for assignment in batch:
        decision = reviewer.decide(assignment)
        chosen.setdefault(decision, []).append(assignment)
        outcome = table.report.inputs.setdefault(assignment.input.id, InputOutcome())
        outcome.decisions.append((reviewer.user_id, assignment.worker.user.id, decision))
    for decision, assignments in chosen.items():
        action, config_field, config_class = _DECISIONS[decision]
        config = config_class(task_assignments=[resources_pb2.TaskAssignment(id=a.id) for a in assignments])
        table.put(reviewer, action, **{config_field: config})
    return True


def play(
    stub: service_pb2_grpc.V2Stub,
    app: resources_pb2.UserAppIDSet,
    task_id: str,
    team: Sequence[Member],
    *,
    owner_metadata: Metadata,
    order: Order = round_robin,
    max_rounds: int = 100,
) -> TeamReport:
    """Play `team` on `task_id` (see the module docstring) and report; `owner_metadata` reads the counts.
    Raises `TeamError` when a call the team makes does not succeed."""
    members = {member.user_id: member for member in team}
    if len(members) != len(team):
        raise ValueError("a user may be in the team once")
    table = _Table(stub, app, task_id, TeamReport())
    for round_number in range(1, max_rounds + 1):
        active = [m.user_id for m in team if m.rounds is None or m.rounds >= round_number]
        if not active:
            break
        worked = False
        for user_id in order(active):
            worked |= _turn(table, members[user_id])
        table.report.rounds = round_number
        if not worked:
            table.report.finished = True
            break
    table.report.counts = table.count(owner_metadata)
    return table.report


def _turn(table: _Table, member: Member) -> bool:
    """The member's batches this round; False when their first found no work."""
    for taken in range(member.batches_per_round):
        found = _label(table, member) if isinstance(member, Labeler) else _review(table, member)
        if not found:
            return taken > 0
    return member.batches_per_round > 0


class LabelingMachine(RuleBasedStateMachine):
    """A `RuleBasedStateMachine` over one labeling task on the default seed's app: subclass it, add your
    `@rule`s and `@invariant`s, and run it as `TestMine = Mine.TestCase`, or in a test with a fixture's
    fake: `run_state_machine_as_test(lambda: Mine(clarifai_server))`.

    Each run is one `fake.isolated()` block (entered in `initialize`, left in `teardown`), so it starts
    from the baseline and leaves nothing behind. Calls go through `self.stub`, an in-process stub (no
    socket; the same wire). `initialize` posts `inputs` and a task drawn by
    `strategies.human_tasks(LABELERS, CONCEPTS, reviewer_user_ids=REVIEWERS)`; the rules are the team's
    (a labeler's batch, a reviewer's decisions) and the owner's (add an input; delete one unless
    `OWNER_DELETES_INPUTS` is False); after every
    step `check_invariants(self.fake)` runs and each worker's counts must add up to the work they hold.
    `self.report` is the `TeamReport` the team's calls fill in.
    """

    OWNER, APP = "owner", resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
    LABELERS: Sequence[str] = ("labeler-1", "labeler-2", "labeler-3")
    REVIEWERS: Sequence[str] = ("reviewer",)
    CONCEPTS: Sequence[str] = ("water", "sky")
    # Set False in a subclass to keep every input for the whole run.
    OWNER_DELETES_INPUTS = True
    _own_fake: FakeClarifai | None = None

    def __init__(self, fake: FakeClarifai | None = None) -> None:
        super().__init__()
        self.fake = fake if fake is not None else self._default_fake()
        self.stub = self.fake.inprocess_stub()
        self.owner = (("authorization", f"Key {self.OWNER}-pat"),)
        self.report = TeamReport()
        self.table: _Table | None = None
        self.input_ids: list[str] = []
        self.deleted: set[str] = set()
        self._isolation: Any = None

    @classmethod
    def _default_fake(cls) -> FakeClarifai:
        """One fake for the machine classes that are given none, seeded with DEFAULT_SEED (never started:
        the in-process channel needs no server)."""
        if LabelingMachine._own_fake is None:
            fake = FakeClarifai()
            fake.load_seed(DEFAULT_SEED)
            fake.save_baseline()
            LabelingMachine._own_fake = fake
        return LabelingMachine._own_fake

    @initialize(
        inputs=strategies.input_ids(min_size=1, max_size=12),
        task=st.deferred(
            lambda: strategies.human_tasks(
                LabelingMachine.LABELERS, LabelingMachine.CONCEPTS, reviewer_user_ids=LabelingMachine.REVIEWERS
            )
        ),
    )
    def post_inputs_and_task(self, inputs: list[str], task: resources_pb2.Task) -> None:
        self._isolation = self.fake.isolated()
        self._isolation.__enter__()
        self.input_ids = list(inputs)
        self._owner_call(
            "PostInputs", service_pb2.PostInputsRequest(user_app_id=self.APP, inputs=[text_input(i) for i in inputs])
        )
        response = self._owner_call("PostTasks", service_pb2.PostTasksRequest(user_app_id=self.APP, tasks=[task]))
        self.task = response.tasks[0]
        self.table = _Table(self.stub, self.APP, self.task.id, self.report)

    @rule(data=st.data())
    def a_labeler_takes_a_batch(self, data: Any) -> None:
        worker = data.draw(st.sampled_from([w.user.id for w in self.task.worker.workers]), label="labeler")
        concepts = data.draw(st.lists(st.sampled_from(list(self.CONCEPTS)), min_size=1, unique=True), label="labels")
        _label(self._table(), Labeler(worker, answer=lambda _: dict.fromkeys(concepts, 1.0)))

    @rule(data=st.data())
    def a_reviewer_decides_a_batch(self, data: Any) -> None:
        reviewers = [user.id for user in self.task.review.users]
        if not reviewers:
            return
        reviewer = data.draw(st.sampled_from(reviewers), label="reviewer")
        decision: Decision = data.draw(st.sampled_from(list(_DECISIONS)), label="decision")
        _review(self._table(), Reviewer(reviewer, decide=lambda _: decision))

    @rule(input_id=strategies.input_ids(min_size=1, max_size=1))
    def the_owner_adds_an_input(self, input_id: list[str]) -> None:
        if input_id[0] in self.input_ids:
            return
        self._owner_call(
            "PostInputs", service_pb2.PostInputsRequest(user_app_id=self.APP, inputs=[text_input(input_id[0])])
        )
        self.input_ids.append(input_id[0])

    @precondition(lambda self: self.OWNER_DELETES_INPUTS and self.input_ids)
    @rule(data=st.data())
    def the_owner_deletes_an_input(self, data: Any) -> None:
        input_id = data.draw(st.sampled_from(self.input_ids), label="deleted")
        self._owner_call("DeleteInputs", service_pb2.DeleteInputsRequest(user_app_id=self.APP, ids=[input_id]))
        self.input_ids.remove(input_id)
        self.deleted.add(input_id)

    @invariant()
    def the_fake_is_consistent(self) -> None:
        check_invariants(self.fake)

    @invariant()
    def the_counts_add_up(self) -> None:
        held = self.fake.task_assignments(self.OWNER, self.APP.app_id, self.task.id)
        counted = {worker: sum(counts.values()) for worker, counts in self._table().count(self.owner).items()}
        expected = {w.user.id: len(held.get(w.user.id, [])) for w in self.task.worker.workers}
        assert counted == expected, f"GetTaskInputCount totals {counted} != assignments held {expected}"

    def teardown(self) -> None:
        if self._isolation is not None:
            self._isolation.__exit__(None, None, None)

    def _table(self) -> _Table:
        assert self.table is not None, "initialize posts the task first"
        return self.table

    def _owner_call(self, method: str, request: Any) -> Any:
        return call_ok(self.stub, method, request, self.owner, self.OWNER)
