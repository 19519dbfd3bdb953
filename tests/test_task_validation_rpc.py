"""PostTasks validation (BEHAVIOUR.md §4): one test per rule — status code, details, and nothing stored.

Also the normalization of deprecated aliases (BEHAVIOUR.md §1), as a property of the pure validator.
"""

from __future__ import annotations

from typing import Any

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2 as r
from clarifai_grpc.grpc.api import service_pb2
from google.protobuf.struct_pb2 import Struct
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.domain.task_validation import AppFacts, validate_task
from fake_clarifai.store import FakeModel, FakeWorkflow

INVALID = Code.CONN_INVALID_REQUEST
MISSING = Code.CONN_DOES_NOT_EXIST


@pytest.fixture(autouse=True)
def seeded(clarifai_fake: Any) -> None:
    for n in (1, 2, 3):
        clarifai_fake.add_input("owner", "main", f"in-{n}", url=f"https://example.com/{n}.jpg")
    clarifai_fake.add_dataset("owner", "main", "ds-1", ["in-2", "in-1"])
    clarifai_fake.add_model("owner", "main", "m-1", version_id="v-1", predictions={})
    clarifai_fake.add_workflow("owner", "main", "wf-1", "m-1", version_id="wv-1")


def user(user_id: str) -> r.Worker:
    return r.Worker(user=r.User(id=user_id))


def model(model_id: str, version_id: str = "") -> r.Worker:
    return r.Worker(model=r.Model(id=model_id, model_version=r.ModelVersion(id=version_id)))


def weights(**by_worker: Any) -> Struct:
    struct = Struct()
    struct.update(by_worker)
    return struct


def partitioned(*worker_ids: str, wpi: int = 1, **by_worker: Any) -> r.TaskWorker:
    info = r.TaskWorkerPartitionedStrategyInfo(type="EVENLY", workers_per_input=wpi)
    if by_worker:
        info = r.TaskWorkerPartitionedStrategyInfo(type="WEIGHTED", workers_per_input=wpi, weights=weights(**by_worker))
    return r.TaskWorker(strategy="PARTITIONED", workers=[user(w) for w in worker_ids], partitioned_strategy_info=info)


def task(**fields: Any) -> r.Task:
    """A valid labeling task, with `fields` replaced."""
    definition: dict[str, Any] = {
        "type": "CONCEPTS_CLASSIFICATION",
        "worker": r.TaskWorker(strategy="FULL", workers=[user("labeler-1"), user("labeler-2")]),
        "concepts": [r.TaskConcept(concept=r.Concept(id="water"))],
        "input_source": r.TaskInputSource(type="ALL_INPUTS"),
        "review": r.TaskReview(strategy="NONE"),
    }
    definition.update(fields)
    return r.Task(**definition)


def auto_task(*workers: r.Worker, **fields: Any) -> r.Task:
    return task(type="TYPE_NOT_SET", worker=r.TaskWorker(strategy="FULL", workers=list(workers)), **fields)


def post(stub: Any, *tasks: r.Task) -> Any:
    return stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN, tasks=tasks), metadata=OWNER)


def assert_refused(fake: Any, stub: Any, tasks: list[r.Task], code: int, details: str) -> None:
    with unchanged(fake):
        response = post(stub, *tasks)
    assert_error(response, code, details)
    listed = ok(stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=MAIN), metadata=OWNER))
    assert list(listed.tasks) == []


REVIEWED_BY_NOBODY = r.TaskReview(strategy="MANUAL", manual_strategy_info=r.TaskReviewManualStrategyInfo())

RULES = [
    pytest.param(
        [task(type=7)],
        INVALID,
        "tasks[0].type 7 is not a value of clarifai.api.Task.TaskType: use "
        "TYPE_NOT_SET, CONCEPTS_CLASSIFICATION, BOUNDING_BOX_DETECTION, POLYGON_DETECTION",
        id="unknown task type",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(workers=[user("labeler-1")]))],
        INVALID,
        "tasks[0].worker.strategy is not set: a CONCEPTS_CLASSIFICATION task needs PARTITIONED, FULL or DYNAMIC",
        id="human task without a worker strategy",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy=9, workers=[user("labeler-1")]))],
        INVALID,
        "tasks[0].worker.strategy 9 is not a value of clarifai.api.TaskWorker.TaskWorkerStrategy: "
        "use WORKER_STRATEGY_NOT_SET, PARTITIONED, FULL, DYNAMIC",
        id="unknown worker strategy",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="PARTITIONED"))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.workers_per_input 0 exceeds the number of workers (0): "
        "each input goes to that many distinct workers",
        id="PARTITIONED task without workers (a FULL or DYNAMIC one is accepted: BEHAVIOUR.md §4.2)",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", workers=[user("labeler-1"), user("ghost")]))],
        INVALID,
        "tasks[0].worker.workers[1].user.id 'ghost' is not a user",
        id="worker is not a user",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", users=[r.User(id="ghost")]))],
        INVALID,
        "tasks[0].worker.users[0].id 'ghost' is not a user",
        id="worker is not a user (deprecated users)",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", user_ids=["labeler-1", "ghost"]))],
        INVALID,
        "tasks[0].worker.user_ids[1] 'ghost' is not a user",
        id="worker is not a user (deprecated user_ids)",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", workers=[user("")]))],
        INVALID,
        "tasks[0].worker.workers[0].user.id is empty: name an existing user",
        id="worker without a user id",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", workers=[user("labeler-1"), user("labeler-1")]))],
        INVALID,
        "tasks[0].worker.workers[1].user.id 'labeler-1' is listed twice",
        id="worker listed twice",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", workers=[user("labeler-1"), model("m-1", "v-1")]))],
        INVALID,
        "tasks[0].worker.workers[1] is a model worker: a CONCEPTS_CLASSIFICATION task takes only user workers "
        "(model and workflow workers are for auto-annotation tasks, type TYPE_NOT_SET)",
        id="model worker on a human task",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", workers=[r.Worker(workflow=r.Workflow(id="wf-1"))]))],
        INVALID,
        "tasks[0].worker.workers[0] is a workflow worker: a CONCEPTS_CLASSIFICATION task takes only user workers "
        "(model and workflow workers are for auto-annotation tasks, type TYPE_NOT_SET)",
        id="workflow worker on a human task",
    ),
    pytest.param(
        [task(worker=r.TaskWorker(strategy="FULL", type="WORKER_AUTO", workers=[user("labeler-1")]))],
        INVALID,
        "tasks[0].worker.type WORKER_AUTO needs task type TYPE_NOT_SET, not CONCEPTS_CLASSIFICATION",
        id="worker type AUTO on a human task",
    ),
    pytest.param(
        [auto_task(model("m-1", "v-1"), r.Worker(workflow=r.Workflow(id="wf-1")))],
        INVALID,
        "tasks[0].worker.workers has 2 workers: an auto-annotation task (type TYPE_NOT_SET) "
        "takes exactly one model or workflow worker",
        id="more than one worker on an auto-annotation task",
    ),
    pytest.param(
        [auto_task()],
        INVALID,
        "tasks[0].worker.workers has 0 workers: an auto-annotation task (type TYPE_NOT_SET) "
        "takes exactly one model or workflow worker",
        id="no worker on an auto-annotation task",
    ),
    pytest.param(
        [auto_task(user("labeler-1"))],
        INVALID,
        "tasks[0].worker.workers[0] is a user worker: an auto-annotation task (type TYPE_NOT_SET) takes a model "
        "or workflow worker; give a human task a labeling type such as CONCEPTS_CLASSIFICATION",
        id="user worker on an auto-annotation task",
    ),
    pytest.param(
        [task(type="TYPE_NOT_SET", worker=r.TaskWorker(type="WORKER_HUMAN", workers=[model("m-1", "v-1")]))],
        INVALID,
        "tasks[0].worker.type WORKER_HUMAN needs a labeling task type, not TYPE_NOT_SET",
        id="worker type HUMAN on an auto-annotation task",
    ),
    pytest.param(
        [auto_task(model("m-404", "v-1"))],
        MISSING,
        "tasks[0].worker.workers[0].model.id: model 'm-404' does not exist",
        id="unknown model",
    ),
    pytest.param(
        [auto_task(model("m-1", "v-404"))],
        MISSING,
        "tasks[0].worker.workers[0].model.model_version.id: model 'm-1' has no version 'v-404'",
        id="unknown model version",
    ),
    pytest.param(
        [auto_task(model("m-1"))],
        INVALID,
        "tasks[0].worker.workers[0].model.model_version.id is empty: name the version that annotates",
        id="model worker without a version",
    ),
    pytest.param(
        [auto_task(r.Worker(workflow=r.Workflow(id="wf-404")))],
        MISSING,
        "tasks[0].worker.workers[0].workflow.id: workflow 'wf-404' does not exist",
        id="unknown workflow",
    ),
    pytest.param(
        [auto_task(r.Worker(workflow=r.Workflow(id="wf-1", version=r.WorkflowVersion(id="wv-404"))))],
        MISSING,
        "tasks[0].worker.workers[0].workflow.version.id: workflow 'wf-1' has no version 'wv-404'",
        id="unknown workflow version",
    ),
    pytest.param(
        [task(concepts=[r.TaskConcept(concept=r.Concept(id="water")), r.TaskConcept(concept=r.Concept(id="lava"))])],
        INVALID,
        "tasks[0].concepts[1].concept.id 'lava' is not a concept of the app",
        id="concept not in the app",
    ),
    pytest.param(
        [task(concepts=[], concept_ids=["lava"])],
        INVALID,
        "tasks[0].concept_ids[0] 'lava' is not a concept of the app",
        id="concept not in the app (deprecated concept_ids)",
    ),
    pytest.param(
        [task(input_source=r.TaskInputSource(type="DATASET", id="ds-404"))],
        INVALID,
        "tasks[0].input_source.id 'ds-404' is not a dataset of the app",
        id="dataset source that does not exist",
    ),
    pytest.param(
        [task(input_source=r.TaskInputSource(type="DATASET"))],
        INVALID,
        "tasks[0].input_source.id is empty: a DATASET source names a dataset of the app",
        id="dataset source without an id",
    ),
    pytest.param(
        [task(input_source=r.TaskInputSource(type="INPUT", id="in-404"))],
        INVALID,
        "tasks[0].input_source.id 'in-404' is not an input of the app",
        id="input source that does not exist",
    ),
    pytest.param(
        [task(input_source=r.TaskInputSource(type="SAVED_SEARCH", id="search-1"))],
        Code.CONN_INVALID_REQUEST,
        "tasks[0].input_source.id 'search-1' is not a saved search of the app",
        id="unknown saved search source",
    ),
    pytest.param(
        [task(input_source=r.TaskInputSource())],
        INVALID,
        "tasks[0].input_source.type is not set: use ALL_INPUTS, DATASET or INPUT",
        id="no input source",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", "labeler-2", wpi=-1))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.workers_per_input -1 is negative: "
        "it must be from 0 to the number of workers",
        id="workers_per_input below 0",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", "labeler-2", wpi=3))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.workers_per_input 3 exceeds the number of workers (2): "
        "each input goes to that many distinct workers",
        id="workers_per_input above the number of workers",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", "labeler-2", **{"labeler-1": 1, "labeler-2": 0}))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.weights.labeler-2 0.0 is not positive: "
        "weights must be greater than 0",
        id="weight not positive",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", "labeler-2", **{"labeler-1": 1, "labeler-2": "heavy"}))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.weights.labeler-2 \"heavy\" is not a number",
        id="weight not a number",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", "labeler-2", **{"labeler-1": 1}))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.weights.labeler-2 is missing: every listed worker needs a weight",
        id="weight missing for a listed worker",
    ),
    pytest.param(
        [task(worker=partitioned("labeler-1", **{"labeler-1": 1, "labeler-3": 1}))],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.weights.labeler-3 1.0 is given for 'labeler-3', "
        "who is not a worker of the task",
        id="weight for an unlisted worker",
    ),
    pytest.param(
        [
            task(
                worker=partitioned(
                    "labeler-1", "labeler-2", "labeler-3", wpi=2, **{"labeler-1": 51, "labeler-2": 25, "labeler-3": 24}
                )
            )
        ],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.weights.labeler-1 51.0 gives 'labeler-1' a share of 0.51 of the "
        "work, more than 1/workers_per_input = 1/2: no partition can give each input 2 distinct workers",
        id="weight share above 1/workers_per_input",
    ),
    pytest.param(
        [
            task(
                worker=r.TaskWorker(
                    strategy="PARTITIONED",
                    workers=[user("labeler-1")],
                    partitioned_strategy_info=r.TaskWorkerPartitionedStrategyInfo(type=5),
                )
            )
        ],
        INVALID,
        "tasks[0].worker.partitioned_strategy_info.type 5 is not a value of "
        "clarifai.api.TaskWorkerPartitionedStrategyInfo.TaskWorkerPartitionedStrategy: "
        "use PARTITIONED_WORKER_STRATEGY_NOT_SET, EVENLY, WEIGHTED",
        id="unknown partition type",
    ),
    pytest.param(  # proto: manual approval_threshold is deprecated for approval_threshold_reviewers (0, 1, -1)
        [
            task(
                review=r.TaskReview(
                    strategy="MANUAL",
                    users=[r.User(id="reviewer")],
                    manual_strategy_info=r.TaskReviewManualStrategyInfo(approval_threshold=2),
                )
            )
        ],
        INVALID,
        "tasks[0].review.manual_strategy_info.approval_threshold 2 is not allowed: use 0, 1 or -1",
        id="manual deprecated approval_threshold not 0, 1 or -1",
    ),
    pytest.param(
        [
            task(
                review=r.TaskReview(
                    strategy="CONSENSUS",
                    users=[r.User(id="reviewer")],
                    consensus_strategy_info=r.TaskReviewConsensusStrategyInfo(
                        approval_threshold_labelers=1, approval_threshold_reviewers=2
                    ),
                )
            )
        ],
        INVALID,
        "tasks[0].review.consensus_strategy_info.approval_threshold_reviewers 2 is not allowed: use 0, 1 or -1",
        id="consensus reviewers threshold not 0, 1 or -1",
    ),
    pytest.param(
        [
            task(
                review=r.TaskReview(
                    strategy="CONSENSUS",
                    users=[r.User(id="reviewer")],
                    consensus_strategy_info=r.TaskReviewConsensusStrategyInfo(approval_threshold_labelers=2**32 - 1),
                )
            )
        ],
        INVALID,
        "tasks[0].review.consensus_strategy_info.approval_threshold_labelers 4294967295 is out of range: "
        "a number of labelers is at most 2147483647",
        id="consensus threshold out of range",
    ),
    pytest.param(
        [task(review=REVIEWED_BY_NOBODY)],
        INVALID,
        "tasks[0].review.users is empty: review strategy MANUAL needs at least one reviewer",
        id="manual review without reviewers",
    ),
    pytest.param(
        [
            task(
                review=r.TaskReview(
                    strategy="CONSENSUS",
                    consensus_strategy_info=r.TaskReviewConsensusStrategyInfo(approval_threshold_labelers=2),
                )
            )
        ],
        INVALID,
        "tasks[0].review.users is empty: review strategy CONSENSUS needs at least one reviewer",
        id="consensus review without reviewers",
    ),
    pytest.param(
        [task(review=r.TaskReview(strategy="MANUAL", user_ids=["reviewer", "ghost"]))],
        INVALID,
        "tasks[0].review.user_ids[1] 'ghost' is not a user",
        id="reviewer is not a user (deprecated user_ids)",
    ),
    pytest.param(
        [task(review=r.TaskReview(strategy="MANUAL", users=[r.User(id="ghost")]))],
        INVALID,
        "tasks[0].review.users[0].id 'ghost' is not a user",
        id="reviewer is not a user",
    ),
    pytest.param(
        [
            task(
                review=r.TaskReview(
                    strategy="MANUAL",
                    users=[r.User(id="reviewer")],
                    consensus_strategy_info=r.TaskReviewConsensusStrategyInfo(approval_threshold_reviewers=-2),
                )
            )
        ],
        INVALID,
        "tasks[0].review.consensus_strategy_info.approval_threshold_reviewers -2 is not allowed: use 0, 1 or -1",
        id="manual reviewers threshold not 0, 1 or -1",
    ),
    pytest.param(
        [task(review=r.TaskReview(strategy=8))],
        INVALID,
        "tasks[0].review.strategy 8 is not a value of clarifai.api.TaskReview.TaskReviewStrategy: "
        "use TASK_REVIEW_STRATEGY_NOT_SET, NONE, MANUAL, CONSENSUS",
        id="unknown review strategy",
    ),
    pytest.param(
        [task(id="has space")],
        INVALID,
        "tasks[0].id 'has space' is not a valid task id: use 1 to 48 letters, digits, '-' or '_'",
        id="malformed caller id",
    ),
    pytest.param(
        [task(id="same"), task(id="same")],
        Code.TASK_CONFLICT,
        "tasks[1].id 'same' appears twice in the request",
        id="the same caller id twice",
    ),
    pytest.param(
        [task(), task(worker=r.TaskWorker(strategy="FULL", workers=[user("ghost")]))],
        INVALID,
        "tasks[1].worker.workers[0].user.id 'ghost' is not a user",
        id="one invalid task stops the valid one before it",
    ),
    pytest.param([], INVALID, "tasks is empty: send at least one task", id="no tasks"),
]


@pytest.mark.parametrize(("tasks", "code", "details"), RULES)
def test_invalid_task_is_refused_naming_field_and_value_and_nothing_is_stored(
    clarifai_fake, clarifai_stub, tasks, code, details
):
    assert_refused(clarifai_fake, clarifai_stub, tasks, code, details)


def test_an_id_already_used_is_a_task_conflict_and_nothing_is_stored(clarifai_fake, clarifai_stub):
    ok(post(clarifai_stub, task(id="first")))
    with unchanged(clarifai_fake):
        response = post(clarifai_stub, task(name="fresh"), task(id="first"))
    assert_error(response, Code.TASK_CONFLICT, "tasks[1].id 'first' already exists in the app")
    listed = ok(clarifai_stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=MAIN), metadata=OWNER))
    assert [t.id for t in listed.tasks] == ["first"]


@pytest.mark.parametrize(
    "valid",
    [
        pytest.param(
            task(
                worker=partitioned(
                    "labeler-1",
                    "labeler-2",
                    "labeler-3",
                    wpi=3,
                    **dict.fromkeys(["labeler-1", "labeler-2", "labeler-3"], 1),
                )
            ),
            id="equal weights exactly at the 1/workers_per_input bound",
        ),
        pytest.param(
            task(
                review=r.TaskReview(
                    strategy="CONSENSUS",
                    users=[r.User(id="reviewer")],
                    consensus_strategy_info=r.TaskReviewConsensusStrategyInfo(approval_threshold=2),
                )
            ),
            id="consensus with the deprecated approval_threshold",
        ),
        pytest.param(
            task(concepts=[r.TaskConcept(concept=r.Concept(id="sky"))], concept_ids=["lava"]),
            id="concept_ids ignored when concepts are set",
        ),
        pytest.param(  # proto: sample_percentage "Deprecated: Not used", so any value is accepted (was refused)
            task(
                review=r.TaskReview(
                    strategy="MANUAL",
                    users=[r.User(id="reviewer")],
                    manual_strategy_info=r.TaskReviewManualStrategyInfo(sample_percentage=1.5),
                )
            ),
            id="sample_percentage outside [0, 1] is not used",
        ),
        pytest.param(  # proto TaskReviewConsensusStrategyInfo: 0 labelers = consensus disabled (was refused)
            task(review=r.TaskReview(strategy="CONSENSUS", users=[r.User(id="reviewer")])),
            id="consensus with approval_threshold_labelers 0",
        ),
        pytest.param(task(input_source=r.TaskInputSource(type="INPUT", id="in-3")), id="input source"),
        pytest.param(auto_task(r.Worker(workflow=r.Workflow(id="wf-1"))), id="workflow worker without a version"),
    ],
)
def test_boundary_cases_are_accepted(clarifai_stub, valid):
    created = ok(post(clarifai_stub, valid)).tasks
    assert len(created) == 1


# -- normalization (pure) ------------------------------------------------------------------------------
FACTS = AppFacts(
    users={"a", "b", "c", "d"},
    concepts={"water", "sky"},
    datasets={"ds"},
    inputs={"in"},
    models={"m": FakeModel("m", "v", predict=lambda item: {})},
    workflows={"wf": FakeWorkflow("wf", "m", "wv")},
)


@given(
    worker_ids=st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True),
    reviewer_ids=st.lists(st.sampled_from("abcd"), max_size=4, unique=True),
    concept_ids=st.lists(st.sampled_from(["water", "sky"]), max_size=2, unique=True),
)
def test_deprecated_aliases_normalize_to_the_same_task(worker_ids, reviewer_ids, concept_ids):
    def built(worker: r.TaskWorker, review: r.TaskReview, concepts: dict[str, Any]) -> r.Task:
        return validate_task(
            r.Task(
                type="BOUNDING_BOX_DETECTION",
                worker=worker,
                review=review,
                input_source=r.TaskInputSource(type="ALL_INPUTS"),
                **concepts,
            ),
            FACTS,
            "tasks[0]",
        ).task

    by_workers = built(
        r.TaskWorker(strategy="DYNAMIC", workers=[user(w) for w in worker_ids]),
        r.TaskReview(users=[r.User(id=u) for u in reviewer_ids]),
        {"concepts": [r.TaskConcept(concept=r.Concept(id=c)) for c in concept_ids]},
    )
    by_users = built(
        r.TaskWorker(strategy="DYNAMIC", users=[r.User(id=w, first_name="x") for w in worker_ids]),
        r.TaskReview(user_ids=reviewer_ids),
        {"concept_ids": concept_ids},
    )
    by_user_ids = built(
        r.TaskWorker(strategy="DYNAMIC", user_ids=worker_ids),
        r.TaskReview(user_ids=reviewer_ids),
        {"concept_ids": concept_ids},
    )
    assert by_workers == by_users == by_user_ids
    assert [w.user.id for w in by_workers.worker.workers] == worker_ids
    assert list(by_workers.worker.user_ids) == [u.id for u in by_workers.worker.users] == worker_ids
    assert list(by_workers.review.user_ids) == [u.id for u in by_workers.review.users] == reviewer_ids
    assert list(by_workers.concept_ids) == [c.concept.id for c in by_workers.concepts] == concept_ids
    assert by_workers.review.strategy == r.TaskReview.NONE


@given(listed=st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True))
def test_workers_wins_over_the_deprecated_worker_lists(listed):
    worker = r.TaskWorker(
        strategy="FULL", workers=[user(w) for w in listed], user_ids=["zzz"], users=[r.User(id="yyy")]
    )
    valid = validate_task(
        r.Task(type="CONCEPTS_CLASSIFICATION", worker=worker, input_source=r.TaskInputSource(type="ALL_INPUTS")),
        FACTS,
        "tasks[0]",
    )
    assert valid.worker_user_ids == tuple(listed)
    assert list(valid.task.worker.user_ids) == listed
