"""TaskState.add in bulk indexes exactly as adding the assignments one at a time would, in the same orders,
whatever is already stored and whether the containers are shared with a clone."""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.errors import Code
from fake_clarifai.store import AppState, Assignment, Store, TaskState

STATES = (Code.TASK_ASSIGNMENT_PENDING, Code.TASK_ASSIGNMENT_AWAITING_REVIEW)

# a batch: (worker, input, state) per new assignment; ids are numbered across batches
batches = st.lists(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 4), st.sampled_from(STATES)), max_size=12), max_size=5
)


def one_at_a_time(reference: dict[str, dict], assignment: Assignment) -> None:
    """Each index lists a key's ids in the order they were added (keys in the order first seen)."""
    reference["assignments"][assignment.id] = assignment
    reference["by_worker"].setdefault(assignment.worker_id, []).append(assignment.id)
    reference["by_input"].setdefault(assignment.input_id, []).append(assignment.id)
    reference["by_state"].setdefault((assignment.worker_id, assignment.state), []).append(assignment.id)


def ordered(state: TaskState) -> dict[str, list]:
    return {
        "assignments": list(state.assignments.items()),
        "by_worker": [(k, list(v)) for k, v in state.assignment_ids_by_worker.items()],
        "by_input": [(k, list(v)) for k, v in state.assignment_ids_by_input.items()],
        "by_state": [(k, list(v)) for k, v in state.assignment_ids_by_worker_state.items()],
    }


@given(batches, st.booleans())
def test_adding_a_batch_indexes_as_adding_one_at_a_time(steps: list[list[tuple[int, int, int]]], clone: bool) -> None:
    state = TaskState(task=resources_pb2.Task(id="t"))
    reference: dict[str, dict] = {"assignments": {}, "by_worker": {}, "by_input": {}, "by_state": {}}
    number = 0
    for batch in steps:
        before = ordered(state)
        shared = state.copy() if clone else None
        new = []
        for worker, input_n, code in batch:
            number += 1
            new.append(Assignment(f"a-{number}", "t", f"in-{input_n}", f"w-{worker}", code, 0.0, 0.0))
        state.add(iter(new))
        for assignment in new:
            one_at_a_time(reference, assignment)
        assert ordered(state) == {name: [(k, v) for k, v in index.items()] for name, index in reference.items()}
        assert all(isinstance(ids, tuple) for ids in state.assignment_ids_by_input.values())
        if shared is not None:
            assert ordered(shared) == before


def test_a_write_that_skips_the_barrier_is_caught_at_restore() -> None:
    """Under CHECK_SNAPSHOTS (on for this suite, conftest.py), restoring a snapshot whose shared state was
    changed in place fails loudly: the check the whole suite relies on to prove writes go through `edit()`."""
    store = Store()
    store.add_app(AppState(app=resources_pb2.App(id="main", user_id="owner")))
    app = store.app("owner", "main")
    assert app is not None
    app.put_concept(resources_pb2.Concept(id="c-1"))
    snapshot = store.snapshot()
    store.apps[("owner", "main")].concepts["c-2"] = resources_pb2.Concept(id="c-2")  # no edit(): shared
    with pytest.raises(AssertionError, match="a write reached a snapshot's state"):
        store.restore(snapshot)
    fresh = store.snapshot()
    store.app("owner", "main").put_concept(resources_pb2.Concept(id="c-3"))  # through the barrier
    store.restore(fresh)
    assert list(store.apps[("owner", "main")].concepts) == ["c-1", "c-2"]
