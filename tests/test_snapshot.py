"""snapshot()/restore() and dump_state() (BEHAVIOUR.md §8): restoring after heavy mutation gives back exactly the
snapshot — every app, input, dataset, annotation, task, assignment, index and the id generator's position."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from hypothesis import given
from hypothesis import strategies as st
from lifecycle_client import Action, TaskClient, human_task, label_submit_config, manual_review

from fake_clarifai import DEFAULT_SEED, Clock, FakeClarifai
from fake_clarifai.faults import Delay

MAIN = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
WORKERS = ("labeler-1", "labeler-2", "labeler-3")
STRATEGIES = ("PARTITIONED", "FULL", "DYNAMIC")
SUCCESS = status_code_pb2.SUCCESS


@dataclass
class Session:
    """The fake and a client on it; each operation below changes it through one RPC or one seeding call."""

    fake: FakeClarifai
    client: TaskClient

    @property
    def app(self):
        return self.fake.store.app("owner", "main")

    def pick(self, items, n: int):
        items = list(items)
        return items[n % len(items)] if items else None

    def owner(self, method: str, request):
        return getattr(self.client.stub, method)(request, metadata=self.fake.metadata("owner-pat")).status.code


Operation = Callable[[Session, int], int | None]


def post_inputs(s: Session, n: int) -> int:
    inputs = [
        resources_pb2.Input(data=resources_pb2.Data(image=resources_pb2.Image(url=f"https://x/{n}/{i}")))
        for i in range(1 + n % 4)
    ]
    return s.owner("PostInputs", service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=inputs))


def post_task(s: Session, n: int) -> int:
    workers = list(WORKERS[: 1 + n % 3])
    task = human_task(workers, strategy=STRATEGIES[n % 3], review=manual_review(["reviewer"], 1.0))
    return s.owner("PostTasks", service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=[task]))


def label_start(s: Session, n: int) -> int | None:
    task_id = s.pick(s.app.tasks, n)
    return task_id and s.client.put(WORKERS[n % 3], task_id, Action.LABEL_START).status.code


def label_and_submit(s: Session, n: int) -> int | None:
    task_id = s.pick(s.app.tasks, n)
    if task_id is None:
        return None
    worker = WORKERS[n % 3]
    mine = s.app.tasks[task_id].of_worker(worker)
    if not mine:
        return None
    s.client.label(worker, task_id, mine[0].input_id, {"water": 1.0})
    config = label_submit_config([a.id for a in mine])
    return s.client.put(worker, task_id, Action.LABEL_SUBMIT, label_submit_config=config).status.code


def review(s: Session, n: int) -> int | None:
    task_id = s.pick(s.app.tasks, n)
    if task_id is None:
        return None
    s.client.put("reviewer", task_id, Action.REVIEW_START)
    return s.client.decide("reviewer", task_id, Action.REVIEW_APPROVE, workers=[WORKERS[n % 3]]).status.code


def delete_task(s: Session, n: int) -> int | None:
    task_id = s.pick(s.app.tasks, n)
    return task_id and s.owner("DeleteTasks", service_pb2.DeleteTasksRequest(user_app_id=MAIN, ids=[task_id]))


def delete_input(s: Session, n: int) -> int | None:
    input_id = s.pick(s.app.inputs, n)
    return input_id and s.owner("DeleteInputs", service_pb2.DeleteInputsRequest(user_app_id=MAIN, ids=[input_id]))


def post_dataset(s: Session, n: int) -> int:
    dataset_id = f"ds-{n}-{len(s.app.datasets)}"
    request = service_pb2.PostDatasetsRequest(user_app_id=MAIN, datasets=[resources_pb2.Dataset(id=dataset_id)])
    s.owner("PostDatasets", request)
    members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id=i)) for i in list(s.app.inputs)[: n % 3]]
    request = service_pb2.PostDatasetInputsRequest(user_app_id=MAIN, dataset_id=dataset_id, dataset_inputs=members)
    return s.owner("PostDatasetInputs", request) if members else SUCCESS


def post_concept(s: Session, n: int) -> int:
    concept = resources_pb2.Concept(id=f"c-{n}-{len(s.app.concepts)}")
    return s.owner("PostConcepts", service_pb2.PostConceptsRequest(user_app_id=MAIN, concepts=[concept]))


def new_app_and_collaborator(s: Session, n: int) -> int:
    user_id = f"user-{n}-{len(s.fake.store.users)}"
    s.fake.add_user(user_id)
    s.fake.add_collaborator("owner", "main", user_id)
    request = service_pb2.PostAppsRequest(apps=[resources_pb2.App(id=f"app-{user_id}")])
    return s.owner("PostApps", request)


def tick(s: Session, n: int) -> None:
    s.fake.clock.advance(1 + n % 60)


OPERATIONS: tuple[Operation, ...] = (
    post_inputs,
    post_task,
    label_start,
    label_and_submit,
    review,
    delete_task,
    delete_input,
    post_dataset,
    post_concept,
    new_app_and_collaborator,
    tick,
)
SCRIPT: list[tuple[Operation, int]] = [
    (post_inputs, 3),
    (post_task, 0),  # PARTITIONED
    (post_task, 4),  # FULL
    (post_task, 2),  # DYNAMIC
    (label_start, 0),
    (label_start, 3),  # the DYNAMIC task, labeler-1
    (label_and_submit, 0),
    (review, 0),
    (tick, 5),
    (post_inputs, 1),
    (post_dataset, 2),
    (post_concept, 0),
    (new_app_and_collaborator, 0),
    (delete_input, 1),
    (delete_task, 1),
]


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    with FakeClarifai(seed=7, clock=Clock(start=1_700_000_000.0)) as fake:
        fake.load_seed(DEFAULT_SEED)
        fake.add_input("owner", "main", "in-seeded", url="https://x/seeded")
        fake.save_baseline()
        yield Session(fake, TaskClient(fake.stub(), fake, MAIN))


def next_id_after(fake: FakeClarifai, snapshot) -> str:
    """The id the generator draws next from `snapshot`'s position (peeked, then rewound)."""
    fake.restore(snapshot)
    drawn = fake.store.ids.new_id()
    fake.restore(snapshot)
    return drawn


def test_the_script_mutates_heavily_and_restore_gives_back_exactly_the_snapshot(session):
    fake = session.fake
    fake.reset()
    post_task(session, 1)
    label_start(session, 0)
    snapshot = fake.snapshot()
    before = fake.dump_state()
    next_id = next_id_after(fake, snapshot)
    answered = [(operation.__name__, operation(session, n)) for operation, n in SCRIPT]
    assert [(name, code) for name, code in answered if code != SUCCESS] == [("tick", None)]
    assert fake.dump_state() != before
    fake.restore(snapshot)
    assert fake.dump_state() == before
    assert fake.store.ids.new_id() == next_id


@given(
    first=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 999)), min_size=1, max_size=20),
    second=st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 999)), max_size=10),
)
def test_restore_after_any_mutations_gives_back_exactly_the_snapshot(session, first, second):
    fake = session.fake
    fake.reset()
    post_inputs(session, 2)
    post_task(session, 2)
    snapshot = fake.snapshot()
    before = fake.dump_state()
    next_id = next_id_after(fake, snapshot)
    for rounds in (first, second):  # the restored state is not shared with the snapshot: mutate it again
        for operation, n in rounds:
            operation(session, n)
        fake.restore(snapshot)
        assert fake.dump_state() == before
    assert fake.store.ids.new_id() == next_id


def test_dump_state_is_plain_data_of_the_whole_store(session):
    fake = session.fake
    fake.reset()
    post_task(session, 2)  # DYNAMIC: a task with a live pool
    state = fake.dump_state()
    assert json.loads(json.dumps(state)) == state
    assert list(state["users"]) == ["owner", "labeler-1", "labeler-2", "labeler-3", "reviewer", "outsider", "clarifai"]
    assert state["tokens"]["main-app-key"] == {"value": "main-app-key", "user_id": "owner", "app_id": "main"}
    main = state["apps"]["owner/main"]
    assert list(main["concepts"]) == ["water", "sky"]
    assert main["inputs"]["in-seeded"]["data"]["image"]["url"] == "https://x/seeded"
    (task,) = main["tasks"].values()
    assert task["task"]["worker"]["strategy"] == "DYNAMIC"
    assert task["worker_user_ids"] == ["labeler-1", "labeler-2", "labeler-3"]
    assert task["work"]["wpi"] == 1


def test_restore_leaves_the_clock_journal_and_faults_alone(session):
    fake = session.fake
    fake.reset()
    snapshot = fake.snapshot()
    fake.clock.advance(10)
    post_concept(session, 1)
    fake.faults.delay("GetApp", 0.0)
    fake.restore(snapshot)
    assert fake.clock.now() == 1_700_000_010.0
    assert [c.method for c in fake.journal] == ["PostConcepts"]
    assert fake.faults.pending("GetApp") == [Delay(0.0)]
