"""Auto-annotation tasks through the wire (BEHAVIOUR.md §7): the docs' example, bounds, data-type masks, statuses,
failing models, inputs that join the source later, and workflow workers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2, status_pb2

from fake_clarifai.invariants import check_invariants

SUCCESS = status_code_pb2.SUCCESS
TASK_IDLE = status_code_pb2.TASK_IDLE
TASK_FAILED = status_code_pb2.TASK_FAILED
MODEL_ID = "general-tagger"
MODEL_VERSION_ID = "tagger-v1"
CONCEPT_ID = "water"
DATASET_ID = "lakes"

# The seeded model's scores. The docs' range is [0.7, 0.999]: in-2 and in-3 sit exactly on its bounds.
SCORES: dict[str, dict[str, float]] = {
    "in-1": {"water": 0.93, "sky": 0.85},
    "in-2": {"water": 0.7},
    "in-3": {"water": 0.999},
    "in-4": {"water": 0.69},
    "in-5": {"water": 0.9995, "sky": 0.75},
    "in-6": {"sky": 0.99},
    "in-7": {"water": 0.25},
    "in-8": {"water": 0.8},
}
IN_DATASET = [input_id for input_id in SCORES if input_id != "in-8"]


def docs_task(
    *,
    lower_inclusive: bool = True,
    upper_inclusive: bool = True,
    data_types: int = 1,
    worker: resources_pb2.Worker | None = None,
    source: str = "DATASET",
) -> resources_pb2.Task:
    """The docs' "Auto-Annotation Task" example with this file's constants (enums by name, as the docs write them)."""
    return resources_pb2.Task(
        type="TYPE_NOT_SET",
        name="Auto-Annotate " + CONCEPT_ID,
        worker=resources_pb2.TaskWorker(
            strategy="FULL",
            workers=[
                worker
                or resources_pb2.Worker(
                    model=resources_pb2.Model(
                        id=MODEL_ID, model_version=resources_pb2.ModelVersion(id=MODEL_VERSION_ID)
                    )
                )
            ],
        ),
        concepts=[
            resources_pb2.TaskConcept(
                concept=resources_pb2.Concept(id=CONCEPT_ID),
                auto_annotation_config=resources_pb2.TaskConceptAutoAnnotationConfig(
                    annotation_data_types=data_types,
                    threshold_range=resources_pb2.ThresholdRange(
                        is_lower_inclusive=lower_inclusive, is_upper_inclusive=upper_inclusive, lower=0.7, upper=0.999
                    ),
                    status_code=24150,
                ),
            )
        ],
        input_source=resources_pb2.TaskInputSource(type=source, id=DATASET_ID if source == "DATASET" else ""),
        sample_ms=1000,
        review=resources_pb2.TaskReview(strategy="NONE"),
    )


@dataclass
class Client:
    """The owner's calls on app main, each asserting SUCCESS."""

    stub: Any
    metadata: Any
    app: resources_pb2.UserAppIDSet

    def call(self, method: str, request: Any) -> Any:
        request.user_app_id.CopyFrom(self.app)
        response = getattr(self.stub, method)(request, metadata=self.metadata)
        assert response.status.code == SUCCESS, response.status
        return response

    def post_task(self, task: resources_pb2.Task) -> resources_pb2.Task:
        return self.call("PostTasks", service_pb2.PostTasksRequest(tasks=[task])).tasks[0]

    def get_task(self, task_id: str) -> resources_pb2.Task:
        return self.call("GetTask", service_pb2.GetTaskRequest(task_id=task_id)).task

    def annotations(self, **filters: Any) -> list[resources_pb2.Annotation]:
        """Model annotations are listed only with list_all_annotations [proto: ListAnnotationsRequest]."""
        request = service_pb2.ListAnnotationsRequest(per_page=1000, list_all_annotations=True, **filters)
        return list(self.call("ListAnnotations", request).annotations)

    def annotated_inputs(self, task_id: str) -> list[str]:
        return [annotation.input_id for annotation in self.annotations(task_id=task_id)]

    def post_inputs(self, input_ids: Iterable[str], dataset_ids: Iterable[str] = ()) -> None:
        image = resources_pb2.Data(image=resources_pb2.Image(url="https://example.com/photo.jpg"))
        inputs = [resources_pb2.Input(id=i, data=image, dataset_ids=list(dataset_ids)) for i in input_ids]
        self.call("PostInputs", service_pb2.PostInputsRequest(inputs=inputs))

    def add_to_dataset(self, input_ids: Iterable[str]) -> None:
        members = [resources_pb2.DatasetInput(input=resources_pb2.Input(id=i)) for i in input_ids]
        request = service_pb2.PostDatasetInputsRequest(dataset_id=DATASET_ID, dataset_inputs=members)
        self.call("PostDatasetInputs", request)


@pytest.fixture
def owner(clarifai_fake, clarifai_stub, clarifai_metadata, clarifai_app) -> Client:
    """App main with inputs in-1..in-8, dataset `lakes` of all but in-8, and the model scoring them per SCORES."""
    for input_id in SCORES:
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    clarifai_fake.add_dataset("owner", "main", DATASET_ID, IN_DATASET)
    seed_model(clarifai_fake, predictions=SCORES)
    return Client(clarifai_stub, clarifai_metadata, clarifai_app)


def seed_model(fake: Any, **behaviour: Any) -> None:
    """(Re)seed the task's model with a `predict` function or a `predictions` table."""
    fake.add_model("owner", "main", MODEL_ID, version_id=MODEL_VERSION_ID, **behaviour)


def labels(annotations: Iterable[resources_pb2.Annotation]) -> set[tuple[str, str, int]]:
    """(input id, concept id, status code) of each annotation, one concept each."""
    result = set()
    for annotation in annotations:
        (concept,) = annotation.data.concepts
        result.add((annotation.input_id, concept.id, annotation.status.code))
    return result


def water_in_range(input_id: str, lower_inclusive: bool = True, upper_inclusive: bool = True) -> bool:
    if "water" not in SCORES[input_id]:
        return False
    score = SCORES[input_id]["water"]
    above = score >= 0.7 if lower_inclusive else score > 0.7
    below = score <= 0.999 if upper_inclusive else score < 0.999
    return above and below


def test_the_docs_example_annotates_exactly_the_scores_in_range_with_the_configured_status(owner):
    task = owner.post_task(docs_task())

    annotations = owner.annotations(task_id=task.id)
    expected = {(i, "water", 24150) for i in IN_DATASET if water_in_range(i)}
    assert len(expected) == 3  # the constants exercise both bounds and the outside
    assert labels(annotations) == expected
    assert [a.input_id for a in annotations] == [i for i in IN_DATASET if water_in_range(i)]  # source order
    for annotation in annotations:
        assert annotation.data.concepts[0].value == pytest.approx(SCORES[annotation.input_id]["water"], abs=1e-6)
        assert (annotation.task_id, annotation.model_version_id, annotation.user_id) == (task.id, MODEL_VERSION_ID, "")
        assert (annotation.worker.model.id, annotation.worker.model.model_version.id) == (MODEL_ID, MODEL_VERSION_ID)
        assert annotation.input_level
        assert annotation.status.description == "Annotation success"
    assert task.status.code == TASK_IDLE
    assert owner.get_task(task.id).status.code == TASK_IDLE


@pytest.mark.parametrize("lower_inclusive", [True, False])
@pytest.mark.parametrize("upper_inclusive", [True, False])
def test_scores_exactly_on_a_bound_are_annotated_only_when_that_bound_is_inclusive(
    owner, lower_inclusive, upper_inclusive
):
    task = owner.post_task(docs_task(lower_inclusive=lower_inclusive, upper_inclusive=upper_inclusive))

    written = owner.annotated_inputs(task.id)
    assert written == [i for i in IN_DATASET if water_in_range(i, lower_inclusive, upper_inclusive)]
    assert ("in-2" in written, "in-3" in written) == (lower_inclusive, upper_inclusive)


@pytest.mark.parametrize(
    "data_types", [2, 4 | 8, 2 | 4 | 8 | 16 | 32], ids=["BOUNDING_BOX", "POLYGON|POINT", "everything but TAG"]
)
def test_a_data_type_mask_without_tag_writes_nothing(owner, data_types):
    task = owner.post_task(docs_task(data_types=data_types))

    assert owner.annotations(task_id=task.id) == []
    assert owner.get_task(task.id).status.code == TASK_IDLE


@pytest.mark.parametrize("data_types", [0, 1, 1 | 2 | 32], ids=["unset", "TAG", "TAG|BOUNDING_BOX|MASK"])
def test_a_data_type_mask_with_tag_or_unset_writes_the_tag_annotations(owner, data_types):
    task = owner.post_task(docs_task(data_types=data_types))

    assert owner.annotated_inputs(task.id) == [i for i in IN_DATASET if water_in_range(i)]


def split_range_task() -> resources_pb2.Task:
    """All inputs; `water` in [0.5, 0.9) is trusted, [0.9, 1.0] goes to review; `sky` (no config) is trusted."""
    task = docs_task(source="ALL_INPUTS")
    del task.concepts[:]
    for lower, upper, upper_inclusive, status in [
        (0.5, 0.9, False, status_code_pb2.ANNOTATION_SUCCESS),
        (0.9, 1.0, True, status_code_pb2.ANNOTATION_AWAITING_REVIEW),
    ]:
        bounds = resources_pb2.ThresholdRange(
            lower=lower, upper=upper, is_lower_inclusive=True, is_upper_inclusive=upper_inclusive
        )
        config = resources_pb2.TaskConceptAutoAnnotationConfig(
            annotation_data_types=1, threshold_range=bounds, status_code=status
        )
        task.concepts.add(concept=resources_pb2.Concept(id="water"), auto_annotation_config=config)
    task.concepts.add(concept=resources_pb2.Concept(id="sky"))
    return task


def test_two_task_concepts_split_the_range_into_success_and_awaiting_review(owner):
    task = owner.post_task(split_range_task())

    expected = set()
    for input_id, scores in SCORES.items():
        water = scores.get("water", 0.0)
        if 0.5 <= water < 0.9:
            expected.add((input_id, "water", status_code_pb2.ANNOTATION_SUCCESS))
        elif 0.9 <= water <= 1.0:
            expected.add((input_id, "water", status_code_pb2.ANNOTATION_AWAITING_REVIEW))
        if "sky" in scores:
            expected.add((input_id, "sky", status_code_pb2.ANNOTATION_SUCCESS))
    assert labels(owner.annotations(task_id=task.id)) == expected
    awaiting = [status_pb2.Status(code=status_code_pb2.ANNOTATION_AWAITING_REVIEW)]
    listed = owner.annotations(task_id=task.id, statuses=awaiting)
    assert {(a.input_id, a.data.concepts[0].id) for a in listed} == {
        (i, c) for i, c, status in expected if status == status_code_pb2.ANNOTATION_AWAITING_REVIEW
    }


def test_a_failing_model_fails_the_task_and_writes_no_annotation(owner, clarifai_fake):
    def predict(item: resources_pb2.Input) -> dict[str, float]:
        if item.id == "in-4":
            raise RuntimeError("GPU on fire")
        return SCORES[item.id]

    seed_model(clarifai_fake, predict=predict)
    before = dict(clarifai_fake.store.app("owner", "main").annotations)

    task = owner.post_task(docs_task())

    assert task.status.code == TASK_FAILED
    assert task.status.details == (
        f"model '{MODEL_ID}' version '{MODEL_VERSION_ID}' failed on input 'in-4': RuntimeError: GPU on fire"
    )
    stored = owner.get_task(task.id)
    assert (stored.status.code, stored.status.details) == (TASK_FAILED, task.status.details)
    assert owner.annotations(task_id=task.id) == []
    assert clarifai_fake.store.app("owner", "main").annotations == before


def test_a_model_returning_no_mapping_fails_the_task(owner, clarifai_fake):
    seed_model(clarifai_fake, predict=lambda item: [0.9])

    task = owner.post_task(docs_task())

    assert task.status.code == TASK_FAILED
    assert task.status.details == (
        f"model '{MODEL_ID}' version '{MODEL_VERSION_ID}' failed on input 'in-1': "
        "TypeError: predict returned list, not a {concept_id: score} mapping"
    )
    assert owner.annotations(task_id=task.id) == []


def test_a_score_beyond_the_float32_range_fails_the_task_and_writes_nothing(owner, clarifai_fake):
    seed_model(clarifai_fake, predict=lambda item: {"water": 10**400})

    task = owner.post_task(docs_task())

    assert task.status.code == TASK_FAILED
    assert task.status.details.startswith(f"model '{MODEL_ID}' version '{MODEL_VERSION_ID}' failed on input 'in-1': ")
    assert "OverflowError" in task.status.details
    assert owner.annotations(task_id=task.id) == []
    check_invariants(clarifai_fake)


def test_inputs_added_to_the_dataset_later_are_annotated_when_added(owner, clarifai_fake):
    later = {"late-1": {"water": 0.75}, "late-2": {"water": 0.2}, "late-3": {"water": 0.8}}
    seed_model(clarifai_fake, predictions={**SCORES, **later})
    task = owner.post_task(docs_task())

    owner.post_inputs(["late-1", "late-2"], dataset_ids=[DATASET_ID])
    owner.post_inputs(["late-3"])  # not in the dataset
    member = resources_pb2.DatasetInput(input=resources_pb2.Input(id="in-8"))
    owner.call(
        "PostDatasetInputs", service_pb2.PostDatasetInputsRequest(dataset_id=DATASET_ID, dataset_inputs=[member])
    )

    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3", "late-1", "in-8"]
    assert owner.get_task(task.id).status.code == TASK_IDLE


def test_inputs_added_to_the_app_later_join_an_all_inputs_task(owner, clarifai_fake):
    seed_model(clarifai_fake, predictions={**SCORES, "new": {"water": 0.9}})
    task = owner.post_task(docs_task(source="ALL_INPUTS"))

    owner.post_inputs(["new"])

    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3", "in-8", "new"]


def test_a_model_failing_on_a_later_input_fails_the_task_which_then_stops(owner, clarifai_fake):
    def predict(item: resources_pb2.Input) -> dict[str, float]:
        if item.id == "cursed":
            raise ValueError("cannot read cursed.jpg")
        return {"water": 0.8}

    seed_model(clarifai_fake, predict=predict)
    task = owner.post_task(docs_task())
    assert owner.annotated_inputs(task.id) == IN_DATASET

    owner.post_inputs(["fine", "cursed"], dataset_ids=[DATASET_ID])
    owner.post_inputs(["after"], dataset_ids=[DATASET_ID])

    stored = owner.get_task(task.id)
    assert stored.status.code == TASK_FAILED
    assert stored.status.details == (
        f"model '{MODEL_ID}' version '{MODEL_VERSION_ID}' failed on input 'cursed': ValueError: cannot read cursed.jpg"
    )
    assert owner.annotated_inputs(task.id) == IN_DATASET


def test_a_workflow_worker_annotates_with_its_final_model(owner, clarifai_fake):
    clarifai_fake.add_workflow("owner", "main", "lake-flow", MODEL_ID, version_id="flow-v2")
    worker = resources_pb2.Worker(workflow=resources_pb2.Workflow(id="lake-flow"))

    task = owner.post_task(docs_task(worker=worker))

    annotations = owner.annotations(task_id=task.id)
    assert [a.input_id for a in annotations] == [i for i in IN_DATASET if water_in_range(i)]
    for annotation in annotations:
        assert (annotation.worker.workflow.id, annotation.worker.workflow.version.id) == ("lake-flow", "flow-v2")
        assert (annotation.model_version_id, annotation.worker.model.id, annotation.user_id) == ("", "", "")
    assert owner.annotations(workflow_version_ids=["flow-v2"]) == annotations
    assert owner.annotations(model_version_ids=[MODEL_VERSION_ID]) == []


def test_a_task_restored_from_a_snapshot_annotates_new_inputs_once(owner, clarifai_fake):
    seed_model(clarifai_fake, predictions={**SCORES, "new": {"water": 0.9}})
    task = owner.post_task(docs_task())
    snapshot = clarifai_fake.snapshot()
    owner.post_inputs(["new"], dataset_ids=[DATASET_ID])

    clarifai_fake.restore(snapshot)
    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3"]
    owner.post_inputs(["new"], dataset_ids=[DATASET_ID])

    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3", "new"]


def test_an_auto_annotation_task_leaves_the_state_consistent_and_dumpable(owner, clarifai_fake):
    seed_model(clarifai_fake, predictions={**SCORES, "new": {"water": 0.9}})
    task = owner.post_task(docs_task())
    owner.post_inputs(["new"], dataset_ids=[DATASET_ID])

    check_invariants(clarifai_fake)
    work = clarifai_fake.dump_state()["apps"]["owner/main"]["tasks"][task.id]["work"]
    assert work == {}  # the work source holds no state (and no reference to the store)


@pytest.mark.parametrize("kind", ["model", "workflow"])
def test_the_task_annotation_count_tallies_the_worker_annotations_by_status(owner, clarifai_fake, kind):
    clarifai_fake.add_workflow("owner", "main", "lake-flow", MODEL_ID, version_id="flow-v2")
    task = split_range_task()
    if kind == "workflow":
        task.worker.workers[0].CopyFrom(resources_pb2.Worker(workflow=resources_pb2.Workflow(id="lake-flow")))
    task = owner.post_task(task)
    statuses = [status for _, _, status in labels(owner.annotations(task_id=task.id))]

    response = owner.call("GetTaskAnnotationCount", service_pb2.GetTaskCountRequest(task_id=task.id))

    (count,) = response.counts
    assert count.worker.WhichOneof("worker") == kind
    assert (count.success, count.awaiting_review, count.pending) == (
        statuses.count(status_code_pb2.ANNOTATION_SUCCESS),
        statuses.count(status_code_pb2.ANNOTATION_AWAITING_REVIEW),
        0,
    )
    assert count.success > 0 and count.awaiting_review > 0


def test_an_input_that_leaves_and_rejoins_the_dataset_keeps_its_one_annotation(owner):
    task = owner.post_task(docs_task())
    owner.call("DeleteDatasetInputs", service_pb2.DeleteDatasetInputsRequest(dataset_id=DATASET_ID, input_ids=["in-1"]))
    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3"]

    owner.add_to_dataset(["in-1"])

    assert owner.annotated_inputs(task.id) == ["in-1", "in-2", "in-3"]


def test_overwriting_a_failed_task_with_a_working_model_annotates_and_idles_it(owner, clarifai_fake):
    def broken(item: resources_pb2.Input) -> dict[str, float]:
        raise RuntimeError("weights missing")

    clarifai_fake.add_model("owner", "main", "broken-tagger", version_id="broken-v1", predict=broken)
    broken_worker = resources_pb2.Worker(
        model=resources_pb2.Model(id="broken-tagger", model_version=resources_pb2.ModelVersion(id="broken-v1"))
    )
    failed = owner.post_task(docs_task(worker=broken_worker))
    assert failed.status.code == TASK_FAILED

    fixed = docs_task()
    fixed.id = failed.id
    patched = owner.call("PatchTasks", service_pb2.PatchTasksRequest(action="overwrite", tasks=[fixed])).tasks[0]

    assert (patched.status.code, patched.status.details) == (TASK_IDLE, "")
    assert owner.annotated_inputs(failed.id) == [i for i in IN_DATASET if water_in_range(i)]
