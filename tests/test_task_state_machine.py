"""A model-based test of task work: a hypothesis state machine drives the real channel with every RPC that
changes who holds which input (inputs, dataset members, datasets, PostTasks, PatchTasks overwrite and merge,
DeleteTasks, LABEL_START / ListNextTaskAssignments, PostAnnotations, LABEL_SUBMIT, REVIEW_START and the three
decisions), over PARTITIONED (EVENLY, WEIGHTED), FULL and DYNAMIC tasks with NONE, MANUAL and CONSENSUS review.

After every step it checks `check_invariants` and a small model of its own: the inputs each task may hold
(its source, computed from the inputs and datasets the machine made), who may hold pending work (the task's
workers), at most workers_per_input distinct workers per input (FULL: each worker once), every assignment the
machine saw keeps the state the machine's own calls gave it, and work on an input that left the task is gone.
Every bad request it makes answers its documented status and leaves `dump_state()` as it was.

The CI profile bounds it (`HYPOTHESIS_PROFILE=ci`); run it at length with `HYPOTHESIS_PROFILE=long` (README).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from lifecycle_client import Action, TaskClient, consensus_review, human_task, label_submit_config, manual_review

from fake_clarifai import FakeClarifai
from fake_clarifai.invariants import check_invariants

Code = status_code_pb2.StatusCode
PENDING = Code.TASK_ASSIGNMENT_PENDING
AWAITING_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_REVIEW
AWAITING_CONSENSUS = Code.TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW
SUCCESS, REJECTED = Code.TASK_ASSIGNMENT_SUCCESS, Code.TASK_ASSIGNMENT_REJECTED
LABELERS = ("labeler-1", "labeler-2", "labeler-3")
REVIEWER = "reviewer"
SECOND_REVIEWER = "outsider"  # not an app member: the task grants it (BEHAVIOUR.md §2.4)
DATASET = "lake"
SUBMITTED = {
    "NONE": {SUCCESS},
    "MANUAL": {AWAITING_REVIEW},
    "CONSENSUS": {AWAITING_CONSENSUS, AWAITING_REVIEW, SUCCESS},
}
DECIDED = {Action.REVIEW_APPROVE: SUCCESS, Action.REVIEW_REJECT: REJECTED, Action.REVIEW_REQUEST_CHANGES: PENDING}
DECISION_FIELDS = {
    Action.REVIEW_APPROVE: "review_approve_config",
    Action.REVIEW_REJECT: "review_reject_config",
    Action.REVIEW_REQUEST_CHANGES: "review_request_changes_config",
}


@dataclass
class ModelTask:
    """What the machine asked for, and what it knows of the task's assignments."""

    strategy: str
    wpi: int
    workers: tuple[str, ...]
    review: str
    on_dataset: bool
    known: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # id -> (worker, input, state)
    gone: dict[str, None] = field(default_factory=dict)  # ids of assignments on inputs that left the task
    bound: dict[str, int] = field(default_factory=dict)  # input -> workers an overwrite kept beyond wpi
    reviewers: tuple[str, ...] = (REVIEWER,)
    stacked: bool = False  # approval_threshold_reviewers -1: every reviewer must approve
    approved: dict[str, frozenset[str]] = field(default_factory=dict)  # stacked: awaiting id -> who approved

    def put(self, assignment_id: str, worker: str, input_id: str, state: int) -> None:
        """Record an assignment's state; work leaving AWAITING_REVIEW drops its approvals."""
        self.known[assignment_id] = (worker, input_id, state)
        if state != AWAITING_REVIEW:
            self.approved.pop(assignment_id, None)

    def outcome(self, assignment_id: str, reviewer: str, action: int) -> int:
        """The state `reviewer`'s decision gives the assignment (stacked approvals wait for every reviewer)."""
        if action == Action.REVIEW_APPROVE and self.stacked:
            approved = self.approved.get(assignment_id, frozenset()) | {reviewer}
            if not set(self.reviewers) <= approved:
                self.approved[assignment_id] = approved
                return AWAITING_REVIEW
        return DECIDED[action]

    def may_decide(self, assignment_id: str, reviewer: str) -> bool:
        return not (self.stacked and reviewer in self.approved.get(assignment_id, ()))


@st.composite
def definitions(draw: Any, dataset_exists: bool) -> tuple[resources_pb2.Task, ModelTask]:
    """A valid human task over the machine's users, and its model."""
    strategy = draw(st.sampled_from(["PARTITIONED", "FULL", "DYNAMIC"]))
    fewest = 1 if strategy == "PARTITIONED" else 0  # FULL and DYNAMIC may have no workers (BEHAVIOUR.md §5.8)
    workers = tuple(draw(st.lists(st.sampled_from(LABELERS), min_size=fewest, max_size=3, unique=True)))
    wpi = draw(st.integers(1, len(workers))) if strategy != "FULL" and workers else 1
    weights = None
    if strategy == "PARTITIONED" and draw(st.booleans()):
        weights = {w: float(draw(st.integers(1, 3))) if wpi == 1 else 1.0 for w in workers}
    review_name = draw(st.sampled_from(["NONE", "MANUAL", "CONSENSUS"]))
    reviewers = (REVIEWER, SECOND_REVIEWER) if draw(st.booleans()) else (REVIEWER,)
    on_all = draw(st.sampled_from([0, 1, -1]))  # approval_threshold_reviewers; -1: stacked review
    review = {
        "NONE": None,
        "MANUAL": manual_review(list(reviewers), reviewers_threshold=on_all),
        "CONSENSUS": consensus_review(list(reviewers), draw(st.integers(0, 2)), reviewers_threshold=on_all),
    }[review_name]
    on_dataset = dataset_exists and draw(st.booleans())
    source = resources_pb2.TaskInputSource(type="DATASET", id=DATASET) if on_dataset else None
    task = human_task(
        list(workers), strategy=strategy, review=review, workers_per_input=wpi, weights=weights, source=source
    )
    stacked = on_all == -1 and review_name != "NONE"
    model = ModelTask(strategy, wpi, workers, review_name, on_dataset, reviewers=reviewers, stacked=stacked)
    return task, model


class TaskMachine(RuleBasedStateMachine):
    def __init__(self, fake: FakeClarifai, stub: Any) -> None:
        super().__init__()
        fake.reset()
        self.fake = fake
        self.client = TaskClient(stub, fake, resources_pb2.UserAppIDSet(user_id="owner", app_id="main"))
        self.inputs: list[str] = []
        self.members: list[str] | None = None  # the dataset's members, None when it does not exist
        self.tasks: dict[str, ModelTask] = {}
        self.next_input = 0
        for _ in range(5):
            self._post_input()
        self._post_dataset()
        self._call("PostDatasetInputs", service_pb2.PostDatasetInputsRequest(
            dataset_id=DATASET, dataset_inputs=[resources_pb2.DatasetInput(input=resources_pb2.Input(id=i))
                                                for i in self.inputs[:3]]))  # fmt: skip
        self.members = self.inputs[:3]

    def teardown(self) -> None:
        self.fake.reset()

    # -- calls ------------------------------------------------------------------------------------
    def _call(self, method: str, request: Any, user: str = "owner", expect: int = Code.SUCCESS) -> Any:
        request.user_app_id.CopyFrom(self.client.app)
        response = getattr(self.client.stub, method)(request, metadata=self.client.metadata(user))
        assert response.status.code == expect, (method, response.status)
        return response

    def _refused(self, code: int, details: str, call: Any) -> None:
        """A bad request: its status and details, and nothing changed."""
        before = self.fake.dump_state()
        response = call()
        assert (Code.Name(response.status.code), response.status.details) == (Code.Name(code), details)
        assert self.fake.dump_state() == before

    def _post_input(self) -> None:
        input_id = f"in-{self.next_input}"
        self.next_input += 1
        item = resources_pb2.Input(id=input_id, data={"image": {"url": f"https://samples.example/{input_id}.jpg"}})
        self._call("PostInputs", service_pb2.PostInputsRequest(inputs=[item]))
        self.inputs.append(input_id)

    def _post_dataset(self) -> None:
        self._call("PostDatasets", service_pb2.PostDatasetsRequest(datasets=[resources_pb2.Dataset(id=DATASET)]))
        self.members = []

    def _source(self, task: ModelTask) -> set[str]:
        return set(self.members or ()) if task.on_dataset else set(self.inputs)

    def _left(self, input_ids: set[str], only_dataset: bool) -> None:
        """Inputs left the app (or only the dataset): the work on them leaves the tasks they were in."""
        for task in self.tasks.values():
            if task.on_dataset or not only_dataset:
                for assignment_id, (_, input_id, _) in list(task.known.items()):
                    if input_id in input_ids:
                        del task.known[assignment_id]
                        task.approved.pop(assignment_id, None)
                        task.gone[assignment_id] = None

    def _records(self, task_id: str) -> dict[str, Any]:
        with self.fake.store.lock:
            return dict(self.fake.store.app("owner", "main").tasks[task_id].assignments)

    def _pick_task(self, data: Any) -> tuple[str, ModelTask]:
        task_id = data.draw(st.sampled_from(list(self.tasks)))  # creation order: the ids are random
        return task_id, self.tasks[task_id]

    def _known_in(self, task: ModelTask, states: set[int], worker: str | None = None) -> list[str]:
        return [i for i, (w, _, s) in task.known.items() if s in states and worker in (None, w)]

    # -- inputs and datasets ----------------------------------------------------------------------
    @precondition(lambda self: len(self.inputs) < 9)
    @rule()
    def post_input(self) -> None:
        self._post_input()

    @precondition(lambda self: self.inputs)
    @rule(data=st.data())
    def delete_input(self, data: Any) -> None:
        input_id = data.draw(st.sampled_from(self.inputs))
        self._call("DeleteInputs", service_pb2.DeleteInputsRequest(ids=[input_id]))
        self.inputs.remove(input_id)
        if self.members is not None and input_id in self.members:
            self.members.remove(input_id)
        self._left({input_id}, only_dataset=False)

    @precondition(lambda self: self.members is not None and set(self.inputs) - set(self.members))
    @rule(data=st.data())
    def add_member(self, data: Any) -> None:
        assert self.members is not None
        input_id = data.draw(st.sampled_from([i for i in self.inputs if i not in self.members]))
        members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id=input_id))]
        self._call(
            "PostDatasetInputs", service_pb2.PostDatasetInputsRequest(dataset_id=DATASET, dataset_inputs=members)
        )
        self.members.append(input_id)

    @precondition(lambda self: self.members)
    @rule(data=st.data())
    def remove_member(self, data: Any) -> None:
        assert self.members is not None
        input_id = data.draw(st.sampled_from(self.members))
        self._call(
            "DeleteDatasetInputs", service_pb2.DeleteDatasetInputsRequest(dataset_id=DATASET, input_ids=[input_id])
        )
        self.members.remove(input_id)
        self._left({input_id}, only_dataset=True)

    @rule(again=st.booleans())
    def delete_dataset(self, again: bool) -> None:
        """DeleteDatasets, and (`again`) PostDatasets of an empty one with the same id."""
        if self.members is None:
            self._post_dataset()
            return
        self._call("DeleteDatasets", service_pb2.DeleteDatasetsRequest(dataset_ids=[DATASET]))
        self._left(set(self.members), only_dataset=True)
        self.members = None
        if again:
            self._post_dataset()

    # -- task definitions -------------------------------------------------------------------------
    @precondition(lambda self: len(self.tasks) < 3)
    @rule(data=st.data())
    def post_task(self, data: Any) -> None:
        task, model = data.draw(definitions(self.members is not None))
        self.tasks[self.client.post_task(task)] = model

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def overwrite_task(self, data: Any) -> None:
        task_id, old = self._pick_task(data)
        task, model = data.draw(definitions(self.members is not None))
        task.id = task_id
        self._call("PatchTasks", service_pb2.PatchTasksRequest(action="overwrite", tasks=[task]))
        source = self._source(model)
        for assignment_id, (worker, input_id, state) in old.known.items():
            if input_id not in source:
                model.gone[assignment_id] = None
            elif state != PENDING:  # submitted work is kept; pending work may be dealt again
                model.known[assignment_id] = (worker, input_id, state)
        model.gone.update(old.gone)
        with self.fake.store.lock:
            reviews = self.fake.store.app("owner", "main").tasks[task_id].reviews
            approved = {  # which reviewers' approvals survived the new reviewers (policy, BEHAVIOUR.md §6.10)
                i: frozenset(r for r, s in reviews.get(i, {}).items() if s == Code.TASK_ASSIGNMENT_REVIEW_SUCCESS)
                for i, (_, _, state) in model.known.items()
                if state == AWAITING_REVIEW
            }
            model.approved = {i: who for i, who in approved.items() if who}
        submitters = Counter(input_id for _, input_id, _ in model.known.values())
        model.bound = {i: n for i, n in submitters.items() if n > model.wpi}
        self.tasks[task_id] = model

    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), code=st.sampled_from(["TASK_DONE", "TASK_IN_PROGRESS", "TASK_WONT_DO"]))
    def merge_status(self, data: Any, code: str) -> None:
        task_id, _ = self._pick_task(data)
        change = resources_pb2.Task(id=task_id, status={"code": code})
        self._call("PatchTasks", service_pb2.PatchTasksRequest(action="merge", tasks=[change]))

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def delete_task(self, data: Any) -> None:
        task_id, _ = self._pick_task(data)
        self._call("DeleteTasks", service_pb2.DeleteTasksRequest(ids=[task_id]))
        del self.tasks[task_id]

    # -- labeling ---------------------------------------------------------------------------------
    @precondition(lambda self: self.tasks)
    @rule(data=st.data(), deprecated=st.booleans())
    def label_start(self, data: Any, deprecated: bool) -> None:
        task_id, task = self._pick_task(data)
        if not task.workers:  # nobody labels a task without workers: outsiders_are_refused checks it
            return
        worker = data.draw(st.sampled_from(task.workers))
        if deprecated:
            request = service_pb2.ListNextTaskAssignmentsRequest(task_id=task_id)
            inputs = [i.id for i in self._call("ListNextTaskAssignments", request, worker).inputs]
            batch = self.client.start(worker, task_id)
            assert [a.input.id for a in batch] == inputs  # the same batch until submitted
        else:
            batch = self.client.start(worker, task_id)
        source = self._source(task)
        for assignment in batch:
            assert assignment.status.code == PENDING and assignment.worker.user.id == worker
            assert assignment.input.id in source and assignment.input.HasField("data")
            known = task.known.get(assignment.id)
            assert known is None or known[2] == PENDING, f"{assignment.id} was {known} and is handed out again"
            task.put(assignment.id, worker, assignment.input.id, PENDING)

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def label_a_whole_batch(self, data: Any) -> None:
        """LABEL_START, an annotation on each input, LABEL_SUBMIT of the whole batch."""
        task_id, task = self._pick_task(data)
        if not task.workers:  # nobody labels a task without workers: outsiders_are_refused checks it
            return
        worker = data.draw(st.sampled_from(task.workers))
        batch = self.client.start(worker, task_id)
        for assignment in batch:
            task.put(assignment.id, worker, assignment.input.id, PENDING)
            concept = data.draw(st.sampled_from(["water", "sky"]))
            response = self.client.label(worker, task_id, assignment.input.id, {concept: 1.0})
            assert response.status.code == Code.SUCCESS, response.status
        if batch:
            self._submit(task_id, task, worker, [a.id for a in batch])

    @precondition(lambda self: any(t.known for t in self.tasks.values()))
    @rule(data=st.data(), concept=st.sampled_from(["water", "sky"]))
    def annotate(self, data: Any, concept: str) -> None:
        task_id, task = self._pick_task(data)
        pending = self._known_in(task, {PENDING})
        if pending:
            worker, input_id, _ = task.known[data.draw(st.sampled_from(pending))]
            response = self.client.label(worker, task_id, input_id, {concept: 1.0})
            assert response.status.code == Code.SUCCESS, response.status

    @precondition(lambda self: any(t.known for t in self.tasks.values()))
    @rule(data=st.data())
    def submit(self, data: Any) -> None:
        task_id, task = self._pick_task(data)
        if not task.workers:  # nobody labels a task without workers: outsiders_are_refused checks it
            return
        worker = data.draw(st.sampled_from(task.workers))
        mine = self._known_in(task, {PENDING}, worker)
        if not mine:
            return
        self._submit(
            task_id, task, worker, data.draw(st.lists(st.sampled_from(mine), min_size=1, max_size=4, unique=True))
        )

    def _submit(self, task_id: str, task: ModelTask, worker: str, chosen: list[str]) -> None:
        submitted = self.client.submit(worker, task_id, chosen)
        for assignment in submitted:
            assert assignment.status.code in SUBMITTED[task.review], assignment.status
            task.put(assignment.id, worker, assignment.input.id, assignment.status.code)
        if task.review == "CONSENSUS":  # a settlement moves the input's other submitted work too
            inputs = {a.input.id for a in submitted}
            records = self._records(task_id)
            for assignment_id, (w, input_id, state) in list(task.known.items()):
                if input_id in inputs and state in (AWAITING_CONSENSUS, AWAITING_REVIEW):
                    now = records[assignment_id].state
                    assert now in (state, AWAITING_REVIEW, SUCCESS), (assignment_id, state, now)
                    task.put(assignment_id, w, input_id, now)

    @precondition(lambda self: any(t.known for t in self.tasks.values()))
    @rule(data=st.data())
    def submit_someone_elses(self, data: Any) -> None:
        task_id, task = self._pick_task(data)
        if not task.known:
            return
        assignment_id = data.draw(st.sampled_from(list(task.known)))
        owner = task.known[assignment_id][0]
        others = [w for w in task.workers if w != owner]
        if not others:
            return
        caller = data.draw(st.sampled_from(others))
        config = label_submit_config([assignment_id])
        details = (
            f"label_submit_config.task_assignments[0].id '{assignment_id}' is assigned to user '{owner}', not to "
            f"'{caller}'"
        )
        self._refused(
            Code.TASK_PERMISSION_DENIED,
            details,
            lambda: self.client.put(caller, task_id, Action.LABEL_SUBMIT, label_submit_config=config),
        )

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def outsiders_are_refused(self, data: Any) -> None:
        task_id, task = self._pick_task(data)
        not_worker = next(u for u in (*LABELERS, REVIEWER) if u not in task.workers)
        self._refused(
            Code.TASK_PERMISSION_DENIED,
            f"user '{not_worker}' is not a worker of task '{task_id}'",
            lambda: self.client.put(not_worker, task_id, Action.LABEL_START),
        )
        if task.workers:
            self._refused(
                Code.TASK_PERMISSION_DENIED,
                f"user '{task.workers[0]}' is not a reviewer of task '{task_id}'",
                lambda: self.client.put(task.workers[0], task_id, Action.REVIEW_START),
            )

    # -- review -----------------------------------------------------------------------------------
    @precondition(lambda self: any(t.review != "NONE" for t in self.tasks.values()))
    @rule(data=st.data())
    def review_start(self, data: Any) -> None:
        task_id, task = self._pick_task(data)
        if task.review == "NONE":
            return
        reviewer = data.draw(st.sampled_from(task.reviewers))
        for assignment in self.client.review_start(reviewer, task_id):
            assert assignment.status.code == AWAITING_REVIEW, assignment.status
            assert assignment.input.id in self._source(task)
            assert task.known.get(assignment.id, (None, None, AWAITING_REVIEW))[2] == AWAITING_REVIEW
            assert task.may_decide(assignment.id, reviewer), f"{reviewer} already approved {assignment.id}"

    @precondition(lambda self: any(t.review != "NONE" for t in self.tasks.values()))
    @rule(data=st.data(), action=st.sampled_from(sorted(DECIDED)), in_bulk=st.booleans())
    def decide(self, data: Any, action: int, in_bulk: bool) -> None:
        task_id, task = self._pick_task(data)
        reviewer = data.draw(st.sampled_from(task.reviewers))
        awaiting = [a for a in self._known_in(task, {AWAITING_REVIEW}) if task.may_decide(a, reviewer)]
        if task.review == "NONE" or not (awaiting or in_bulk):
            return
        if in_bulk:
            if not task.workers:  # nobody labels a task without workers: outsiders_are_refused checks it
                return
            worker = data.draw(st.sampled_from(task.workers))
            response = self.client.decide(reviewer, task_id, action, workers=[worker])
        else:
            if action == Action.REVIEW_REQUEST_CHANGES:  # only a current worker can redo work
                awaiting = [a for a in awaiting if task.known[a][0] in task.workers]
                if not awaiting:
                    return
            chosen = data.draw(st.lists(st.sampled_from(awaiting), min_size=1, max_size=3, unique=True))
            response = self.client.decide(reviewer, task_id, action, chosen)
        assert response.status.code == Code.SUCCESS, response.status
        for assignment in response.task_assignments:
            assert task.may_decide(assignment.id, reviewer), f"{reviewer} decided {assignment.id} twice"
            expected = task.outcome(assignment.id, reviewer, action)
            assert assignment.status.code == expected, (assignment.id, reviewer, action, assignment.status)
            assert assignment.id not in task.gone
            task.put(assignment.id, assignment.worker.user.id, assignment.input.id, expected)

    @precondition(lambda self: any(t.stacked and t.approved for t in self.tasks.values()))
    @rule(data=st.data(), action=st.sampled_from(sorted(DECIDED)))
    def decide_twice_under_stacked_review(self, data: Any, action: int) -> None:
        task_id, task = self._pick_task(data)
        if not (task.stacked and task.approved):
            return
        assignment_id = data.draw(st.sampled_from(sorted(task.approved)))
        reviewer = data.draw(st.sampled_from(sorted(task.approved[assignment_id])))
        where = f"{DECISION_FIELDS[action]}.task_assignments[0].id '{assignment_id}'"
        with self.fake.store.lock:
            records = self.fake.store.app("owner", "main").tasks[task_id].reviews[assignment_id]
        states = ", ".join(f"{r}: {Code.Name(s)}" for r, s in records.items())
        self._refused(
            Code.TASK_CONFLICT,
            f"{where} is not awaiting a review by '{reviewer}': its reviews are {states}",
            lambda: self.client.decide(reviewer, task_id, action, [assignment_id]),
        )

    @precondition(lambda self: any(t.review != "NONE" and t.known for t in self.tasks.values()))
    @rule(data=st.data(), action=st.sampled_from(sorted(DECIDED)))
    def decide_what_is_not_awaiting_review(self, data: Any, action: int) -> None:
        task_id, task = self._pick_task(data)
        undecidable = self._known_in(task, {PENDING, AWAITING_CONSENSUS, SUCCESS, REJECTED})
        if task.review == "NONE" or not undecidable:
            return
        assignment_id = data.draw(st.sampled_from(undecidable))
        state = Code.Name(task.known[assignment_id][2])
        field_name = DECISION_FIELDS[action]
        details = (
            f"{field_name}.task_assignments[0].id '{assignment_id}' is not awaiting review: it is {state}, not "
            "TASK_ASSIGNMENT_AWAITING_REVIEW"
        )
        self._refused(
            Code.TASK_CONFLICT, details, lambda: self.client.decide(REVIEWER, task_id, action, [assignment_id])
        )

    @precondition(lambda self: any(t.review != "NONE" and t.known for t in self.tasks.values()))
    @rule(data=st.data())
    def request_changes_of_a_former_worker(self, data: Any) -> None:
        task_id, task = self._pick_task(data)
        orphaned = [
            a
            for a in self._known_in(task, {AWAITING_REVIEW})
            if task.known[a][0] not in task.workers and task.may_decide(a, REVIEWER)
        ]
        if task.review == "NONE" or not orphaned:
            return
        assignment_id = data.draw(st.sampled_from(orphaned))
        details = (
            f"review_request_changes_config.task_assignments[0].id '{assignment_id}' is the work of "
            f"'{task.known[assignment_id][0]}', who is no longer a worker of task '{task_id}': approve or reject it"
        )
        self._refused(
            Code.TASK_CONFLICT,
            details,
            lambda: self.client.decide(REVIEWER, task_id, Action.REVIEW_REQUEST_CHANGES, [assignment_id]),
        )

    @precondition(lambda self: any(t.gone for t in self.tasks.values()))
    @rule(data=st.data(), action=st.sampled_from(sorted(DECIDED)))
    def decide_work_that_left(self, data: Any, action: int) -> None:
        task_id, task = self._pick_task(data)
        if not task.gone or task.review == "NONE":
            return
        assignment_id = data.draw(st.sampled_from(list(task.gone)))
        where = f"{DECISION_FIELDS[action]}.task_assignments[0].id '{assignment_id}'"
        details = f"{where} is not an assignment of task '{task_id}'"
        self._refused(
            Code.CONN_DOES_NOT_EXIST, details, lambda: self.client.decide(REVIEWER, task_id, action, [assignment_id])
        )

    @precondition(lambda self: self.tasks)
    @rule(data=st.data())
    def counts_match_the_holdings(self, data: Any) -> None:
        task_id, _ = self._pick_task(data)
        held = self.fake.task_assignments("owner", "main", task_id)
        by_state = {w: Counter(state for _, state in items) for w, items in held.items()}
        for worker, shown in self.client.counts(task_id).items():
            mine = by_state.get(worker, Counter())
            assert shown["pending"] == mine["TASK_ASSIGNMENT_PENDING"]
            assert shown["awaiting_review"] == mine["TASK_ASSIGNMENT_AWAITING_REVIEW"]
            assert shown["awaiting_consensus_review"] == mine["TASK_ASSIGNMENT_AWAITING_CONSENSUS_REVIEW"]
            assert shown["success"] == mine["TASK_ASSIGNMENT_SUCCESS"]
            assert shown["review_denied"] == mine["TASK_ASSIGNMENT_REJECTED"]

    # -- after every step ---------------------------------------------------------------------------
    @invariant()
    def the_state_is_consistent(self) -> None:
        check_invariants(self.fake)

    @invariant()
    def every_worker_holds_only_what_the_model_allows(self) -> None:
        for task_id, task in self.tasks.items():
            source = self._source(task)
            holders: dict[str, set[str]] = {}
            for worker, items in self.fake.task_assignments("owner", "main", task_id).items():
                inputs = [i for i, _ in items]
                assert len(inputs) == len(set(inputs)), f"{worker} holds an input twice in {task_id}: {items}"
                assert set(inputs) <= source, f"{worker} holds {set(inputs) - source} outside the source"
                if any(state == "TASK_ASSIGNMENT_PENDING" for _, state in items):
                    assert worker in task.workers, f"{worker} has pending work but is not a worker of {task_id}"
                for input_id in inputs:
                    holders.setdefault(input_id, set()).add(worker)
            if task.strategy != "FULL":
                for input_id, workers in holders.items():
                    bound = max(task.wpi, task.bound.get(input_id, 0))
                    assert len(workers) <= bound, f"{input_id} of {task_id} has workers {sorted(workers)}"
            records = self._records(task_id)
            for assignment_id, (worker, input_id, state) in task.known.items():
                record = records.get(assignment_id)
                assert record is not None, f"{assignment_id} ({worker}, {input_id}) vanished from {task_id}"
                assert (record.worker_id, record.input_id, record.state) == (worker, input_id, state)
            left = task.gone.keys() & records.keys()
            assert not left, f"work on inputs that left {task_id}: {left}"


@pytest.mark.parametrize("channel", ["loopback", "in-process"])
def test_task_work_follows_the_model(
    clarifai_server: FakeClarifai,
    clarifai_session_stub: Any,
    clarifai_session_inprocess_stub: Any,
    channel: str,
) -> None:
    stub = clarifai_session_stub if channel == "loopback" else clarifai_session_inprocess_stub
    run_state_machine_as_test(
        lambda: TaskMachine(clarifai_server, stub),
        settings=settings(settings(), stateful_step_count=50),
    )
