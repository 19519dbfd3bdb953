"""The state-invariant checker finds each kind of breakage, and TaskState's copy-on-write clones stay
independent of each other whatever is written to which."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from clarifai_grpc.grpc.api import resources_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai import DEFAULT_SEED, FakeClarifai
from fake_clarifai.domain.assignment import PartitionPlan
from fake_clarifai.dump import plain
from fake_clarifai.errors import Code
from fake_clarifai.invariants import InvariantViolation, check_invariants, violations
from fake_clarifai.store import Assignment, TaskState

PENDING, SUCCESS = Code.TASK_ASSIGNMENT_PENDING, Code.TASK_ASSIGNMENT_SUCCESS


@pytest.fixture
def fake() -> FakeClarifai:
    fake = FakeClarifai()
    fake.load_seed(DEFAULT_SEED)
    for input_id in ("in-1", "in-2"):
        fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    fake.add_dataset("owner", "main", "ds-1", ["in-1"])
    app = fake.store.app("owner", "main")
    task = TaskState(
        task=resources_pb2.Task(id="t-1", app_id="main", user_id="owner"), worker_user_ids=frozenset({"labeler-1"})
    )
    task.add([Assignment("a-1", "t-1", "in-1", "labeler-1", PENDING, 0.0, 0.0)])
    app.put_task(task)
    return fake


def test_a_consistent_state_has_no_violations(fake: FakeClarifai) -> None:
    assert violations(fake.store) == []
    check_invariants(fake)


def test_a_misfiled_record_is_named(fake: FakeClarifai) -> None:
    app = fake.store.app("owner", "main")
    app.inputs["in-3"] = app.inputs["in-2"]
    assert violations(fake.store) == ["app owner/main: input 'in-3': stored with id 'in-2'"]


def test_a_dangling_dataset_member_and_its_stale_index_are_named(fake: FakeClarifai) -> None:
    app = fake.store.app("owner", "main")
    del app.inputs["in-1"]
    problems = violations(fake.store)
    assert "app owner/main: dataset 'ds-1' member 'in-1': no such input, or stored as another" in problems
    assert "app owner/main: task 't-1': assignment 'a-1': pending on input 'in-1', which does not exist" in problems


def test_an_index_that_disagrees_with_the_assignments_is_named(fake: FakeClarifai) -> None:
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.assignments["a-1"] = dataclasses.replace(task.assignments["a-1"], state=SUCCESS)  # bypasses replace()
    problems = violations(fake.store)
    assert problems == [
        "app owner/main: task 't-1': assignment_ids_by_worker_state[('labeler-1', "
        f"{PENDING})] lists 'a-1', which belongs under ('labeler-1', {SUCCESS})",
        f"app owner/main: task 't-1': GetTaskInputCount tallies [(('labeler-1', {PENDING}), 1)] != records "
        f"[(('labeler-1', {SUCCESS}), 1)]",
    ]
    with pytest.raises(InvariantViolation) as raised:
        check_invariants(fake.store)
    assert raised.value.problems == problems


def test_a_worker_holding_an_input_twice_is_named(fake: FakeClarifai) -> None:
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.add([Assignment("a-2", "t-1", "in-1", "labeler-1", SUCCESS, 0.0, 0.0)])
    assert violations(fake.store) == ["app owner/main: task 't-1': worker 'labeler-1' holds input 'in-1' 2 times"]


def test_planned_work_on_a_missing_input_or_also_handed_out_is_named(fake: FakeClarifai) -> None:
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.work = PartitionPlan.of({"labeler-1": ["in-1", "in-2", "in-9"]}, ["in-1", "in-2", "in-9"], made_at=0.0)
    assert violations(fake.store) == [
        "app owner/main: task 't-1': plan of 'labeler-1': input 'in-9' does not exist",
        "app owner/main: task 't-1': plan of 'labeler-1': input 'in-1' is planned and handed out too",
        "app owner/main: task 't-1': input 'in-9' is not in the task's source, but the task still has work on it",
    ]
    task.work.take("labeler-1", 1)
    task.work.remove_input("in-9")
    assert violations(fake.store) == []


def test_an_input_dealt_again_after_its_worker_submitted_it_is_named(fake: FakeClarifai) -> None:
    """Issue 13's first bug: an overwrite planned a submitted input for a second worker at wpi 1."""
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.replace(dataclasses.replace(task.assignments["a-1"], state=SUCCESS))
    task.work = PartitionPlan.of({"labeler-2": ["in-1", "in-2"]}, ["in-1", "in-2"], made_at=0.0)
    task.worker_user_ids = frozenset({"labeler-1", "labeler-2"})
    assert violations(fake.store) == [
        "app owner/main: task 't-1': input 'in-1' has 2 workers (labeler-1, labeler-2), more than workers_per_input 1"
    ]
    task.kept_beyond_wpi = {"in-1": 2}  # what an overwrite that lowered workers_per_input records
    assert violations(fake.store) == []


def test_a_plan_dealing_every_input_to_every_worker_is_not_held_to_workers_per_input(fake: FakeClarifai) -> None:
    """FULL: the plan says it is not bounded, and the check asks it (not the task's strategy)."""
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.replace(dataclasses.replace(task.assignments["a-1"], state=SUCCESS))
    task.worker_user_ids = frozenset({"labeler-1", "labeler-2"})
    task.work = PartitionPlan.of({"labeler-2": ["in-1", "in-2"]}, ["in-1", "in-2"], made_at=0.0, bounded=False)
    assert violations(fake.store) == []
    task.work = task.work.clone()
    assert violations(fake.store) == [] and not task.work.bounded


def test_work_left_on_a_deleted_input_is_named(fake: FakeClarifai) -> None:
    """Issue 13's second bug: submitted work stayed on an input that was deleted."""
    app = fake.store.app("owner", "main")
    task = app.tasks["t-1"]
    task.replace(dataclasses.replace(task.assignments["a-1"], state=Code.TASK_ASSIGNMENT_AWAITING_REVIEW))
    task.review_batches["reviewer"] = ("a-1",)
    del app.inputs["in-1"], app.dataset_members["ds-1"]["in-1"], app.dataset_ids_by_input["in-1"]
    assert violations(fake.store) == [
        "app owner/main: task 't-1': input 'in-1' is not in the task's source, but the task still has work on it",
        "app owner/main: task 't-1': review batch of 'reviewer' holds 'a-1', on an input not in the source",
    ]


def test_counts_that_disagree_with_the_records_are_named(fake: FakeClarifai) -> None:
    task = fake.store.app("owner", "main").tasks["t-1"]
    task.work = PartitionPlan.of({"labeler-1": ["in-2"]}, ["in-2"], made_at=0.0)
    task.work._left["labeler-1"] = 3  # a broken count
    problems = violations(fake.store)
    assert "app owner/main: task 't-1': plan of 'labeler-1': counts 3 inputs left but lists 1" in problems
    assert (
        f"app owner/main: task 't-1': GetTaskInputCount tallies [(('labeler-1', {PENDING}), 4)] != records "
        f"[(('labeler-1', {PENDING}), 2)]" in problems
    )


# -- copy-on-write clones ---------------------------------------------------------------------------------

operations = st.lists(
    st.tuples(st.sampled_from(["add", "replace", "remove", "clone"]), st.integers(0, 7), st.integers(0, 30)),
    max_size=40,
)


@given(operations)
def test_clones_never_see_each_others_writes(steps: list[tuple[str, int, int]]) -> None:
    """Each clone is checked against a reference made with deepcopy (nothing shared), after every step."""
    states = [TaskState(task=resources_pb2.Task(id="t"))]
    references = [TaskState(task=resources_pb2.Task(id="t"))]
    for number, (operation, which, n) in enumerate(steps):
        index = which % len(states)
        for subject in (states[index], references[index]):
            ids = list(subject.assignments)
            if operation == "add":
                worker, input_id = f"w-{n % 3}", f"in-{number}"
                subject.add([Assignment(f"a-{number}", "t", input_id, worker, PENDING, 0.0, 0.0)])
            elif operation == "replace" and ids:
                old = subject.assignments[ids[n % len(ids)]]
                subject.replace(dataclasses.replace(old, state=SUCCESS if old.state == PENDING else PENDING))
            elif operation == "remove" and ids:
                subject.remove(ids[n % len(ids)])
        if operation == "clone":
            states.append(states[index].copy())
            references.append(copy.deepcopy(references[index]))
        for state, reference in zip(states, references, strict=True):
            assert plain(state) == plain(reference)


def test_reviews_that_break_the_review_mode_are_named(fake: FakeClarifai) -> None:
    """Per-reviewer reviews (BEHAVIOUR.md §6.7): pending only by current reviewers, on work awaiting review,
    and work awaiting review awaits someone (every reviewer under stacked review)."""
    task = fake.store.app("owner", "main").tasks["t-1"]
    review = resources_pb2.TaskReview(strategy="MANUAL", users=[resources_pb2.User(id="reviewer")])
    task.task = resources_pb2.Task(id="t-1", app_id="main", user_id="owner", review=review)
    task.reviews["a-1"] = {"ghost": Code.TASK_ASSIGNMENT_REVIEW_PENDING}
    task.reviews["a-9"] = {"reviewer": Code.TASK_ASSIGNMENT_REVIEW_SUCCESS}
    assert violations(fake.store) == [
        "app owner/main: task 't-1': review of 'a-1' pending for 'ghost', not a reviewer",
        "app owner/main: task 't-1': review of 'a-1' pending while it is TASK_ASSIGNMENT_PENDING",
        "app owner/main: task 't-1': reviews of 'a-9', which is not an assignment of the task",
    ]
    task.reviews = {}
    task.replace(dataclasses.replace(task.assignments["a-1"], state=Code.TASK_ASSIGNMENT_AWAITING_REVIEW))
    assert violations(fake.store) == [
        "app owner/main: task 't-1': 'a-1' awaits review but no reviewer's review is pending"
    ]
    task.open_reviews("a-1")
    assert violations(fake.store) == []
    task.task.review.consensus_strategy_info.approval_threshold_reviewers = -1  # now stacked, with two reviewers
    task.task.review.users.add(id="labeler-2")
    assert violations(fake.store) == ["app owner/main: task 't-1': 'a-1': stacked review, but ['labeler-2'] have none"]
    task.sync_reviews()
    assert violations(fake.store) == []
