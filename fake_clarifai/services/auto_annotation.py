"""Auto-annotation tasks at work (BEHAVIOUR.md §7): the worker model predicts, the task's rules pick the annotations.

`start_auto_annotation` runs when a task of type TYPE_NOT_SET is created: it annotates the source's inputs
and leaves the task TASK_IDLE, or TASK_FAILED (with nothing written) when the model's predict raises. The
`AutoAnnotationWork` it puts in `TaskState.work` (the task's work source, domain/work.py) annotates inputs
that join the source later (services/source_events.py hands them over) while the task is idle. An input the
model flags for review (an annotation written `ANNOTATION_AWAITING_REVIEW`) gets one assignment of the model
worker, `TASK_ASSIGNMENT_AWAITING_REVIEW`, which the task's reviewers take and decide (BEHAVIOUR.md §7.1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.domain.auto_annotation import PlannedAnnotation, annotations_for, rules_for_task
from fake_clarifai.domain.work import WorkSource
from fake_clarifai.errors import Code, status_of
from fake_clarifai.ids import to_timestamp
from fake_clarifai.store import AppState, Assignment, FakeModel, Store, TaskState

AWAITING_REVIEW = Code.TASK_ASSIGNMENT_AWAITING_REVIEW


@dataclass(frozen=True, slots=True)
class Annotator:
    """The model that does a task's work, and the worker its annotations are attributed to."""

    model: FakeModel
    worker: resources_pb2.Worker
    name: str

    @property
    def key(self) -> str:
        """How the task's records know this worker (as counts do): the model's or the workflow's version id."""
        return self.worker.model.model_version.id or self.worker.workflow.version.id

    @classmethod
    def of(cls, app: AppState, task: resources_pb2.Task) -> Annotator:
        """A validated auto-annotation task's one worker; a workflow works through its final model."""
        worker = task.worker.workers[0]
        owner = {"user_id": app.user_id, "app_id": app.app_id}
        if worker.HasField("workflow"):
            workflow = app.workflows[worker.workflow.id]
            model = app.models[workflow.model_id]
            version = resources_pb2.WorkflowVersion(id=workflow.version_id, workflow_id=workflow.id)
            attributed = resources_pb2.Worker(workflow=resources_pb2.Workflow(id=workflow.id, version=version, **owner))
            return cls(model, attributed, f"workflow '{workflow.id}' (model '{model.id}')")
        model = app.models[worker.model.id]
        version = resources_pb2.ModelVersion(id=model.version_id)
        attributed = resources_pb2.Worker(model=resources_pb2.Model(id=model.id, model_version=version, **owner))
        return cls(model, attributed, f"model '{model.id}' version '{model.version_id}'")


def start_auto_annotation(store: Store, app: AppState, task: TaskState, input_ids: Sequence[str]) -> None:
    """A new auto-annotation task: annotate `input_ids` (the source, in order), then TASK_IDLE or TASK_FAILED."""
    task.work = AUTO_ANNOTATION
    if task.task.delete_previous_annotations:
        delete_previous_annotations(app, task.task)
    failure = annotate(store, app, task, input_ids)
    task.set_status(Code.TASK_FAILED if failure else Code.TASK_IDLE, store.clock.now(), failure or "")


@dataclass(frozen=True, slots=True)
class AutoAnnotationWork(WorkSource):
    """The work source of an auto-annotation task: no human work (nothing planned, nothing to take); inputs
    that join the source are annotated by the task's model. It holds no state: each call is given the app
    and task it works on. An input that leaves the source keeps what the task wrote for it."""

    follows_source = True

    def inputs_joined(self, input_ids: Sequence[str], store: Store, app: AppState, task: TaskState) -> None:
        """Annotate the new inputs if the task is idle; a failing predict fails the task."""
        if task.task.status.code != Code.TASK_IDLE:
            return
        failure = annotate(store, app, task, input_ids)
        if failure:
            task.set_status(Code.TASK_FAILED, store.clock.now(), failure)


AUTO_ANNOTATION = AutoAnnotationWork()


def annotate(store: Store, app: AppState, task: TaskState, input_ids: Sequence[str]) -> str | None:
    """Predict over the inputs the task has not annotated yet and store what the rules accept.

    Returns the failure details when a predict raises or returns something that is not a score mapping;
    then nothing from this run is stored.
    """
    annotator = Annotator.of(app, task.task)
    rules = rules_for_task(task.task)
    planned: list[tuple[str, PlannedAnnotation]] = []
    for input_id in input_ids:
        if annotated_by(app, task.task.id, input_id):
            continue
        try:
            predictions = checked_scores(annotator.model.predict(app.inputs[input_id]))
            chosen = list(annotations_for(predictions, rules))
        except Exception as error:
            return f"{annotator.name} failed on input '{input_id}': {type(error).__name__}: {error}"
        planned.extend((input_id, annotation) for annotation in chosen)
    now = store.clock.now()
    stamp = to_timestamp(now)
    app.add_annotations(
        [
            auto_annotation(store.ids.new_id(), app, task.task.id, annotator, input_id, chosen, stamp)
            for input_id, chosen in planned
        ],
    )
    flagged = dict.fromkeys(i for i, chosen in planned if chosen.status_code == Code.ANNOTATION_AWAITING_REVIEW)
    items = [
        Assignment(store.ids.new_id(), task.task.id, input_id, annotator.key, AWAITING_REVIEW, now, now)
        for input_id in flagged
    ]
    task.add(items)
    for item in items:  # its reviewers get their pending reviews, as for a labeler's submission
        task.open_reviews(item.id)
    return None


def delete_previous_annotations(app: AppState, task: resources_pb2.Task) -> None:
    """Delete `previous_annotations`; an earlier task's review item on an input left without its model's
    annotations leaves that task (there is nothing left to review) [policy]."""
    gone = [app.annotations[i] for i in previous_annotations(app, task)]
    app.remove_annotations(a.id for a in gone)
    for annotation in gone:
        earlier = app.task(annotation.task_id)
        key = annotation.worker.model.model_version.id or annotation.worker.workflow.version.id
        if earlier is None or any(
            a.task_id == earlier.task.id and a.worker == annotation.worker
            for a in (app.annotations[i] for i in app.annotation_ids_by_input.get(annotation.input_id, ()))
        ):
            continue
        for assignment in earlier.of_input(annotation.input_id):
            if assignment.worker_id == key:
                earlier.remove(assignment.id)


def previous_annotations(app: AppState, task: resources_pb2.Task) -> list[str]:
    """`delete_previous_annotations`: the annotations other auto-annotation tasks' runs of the same model (or
    workflow) wrote with one of this task's concepts [proto: `Task.delete_previous_annotations`]. An annotation
    of several concepts goes when one of them is the task's [policy; the fake's model annotations hold one]."""
    worker = task.worker.workers[0]
    concept_ids = {c.concept.id for c in task.concepts} | set(task.concept_ids)

    def same_worker(annotation: resources_pb2.Annotation) -> bool:
        made_by = annotation.worker
        if worker.HasField("workflow"):
            return made_by.HasField("workflow") and made_by.workflow.id == worker.workflow.id
        return made_by.HasField("model") and made_by.model.id == worker.model.id

    return [
        a.id
        for a in app.annotations.values()
        if a.task_id and a.task_id != task.id and same_worker(a) and any(c.id in concept_ids for c in a.data.concepts)
    ]


def checked_scores(predictions: object) -> Mapping[str, float]:
    """`predictions` if it is a `{concept_id: score}` mapping of real numbers, else TypeError."""
    if not isinstance(predictions, Mapping):
        raise TypeError(f"predict returned {type(predictions).__name__}, not a {{concept_id: score}} mapping")
    for concept_id, score in predictions.items():
        if not isinstance(concept_id, str) or not isinstance(score, Real) or isinstance(score, bool):
            raise TypeError(f"predict returned {concept_id!r}: {score!r}, not a concept id with a numeric score")
    return predictions


def annotated_by(app: AppState, task_id: str, input_id: str) -> bool:
    return any(app.annotations[i].task_id == task_id for i in app.annotation_ids_by_input.get(input_id, ()))


def auto_annotation(
    annotation_id: str,
    app: AppState,
    task_id: str,
    annotator: Annotator,
    input_id: str,
    planned: PlannedAnnotation,
    stamp: Timestamp,
) -> resources_pb2.Annotation:
    """An image-level annotation of one concept, made by the task's worker. The deprecated `user_id` and
    `model_version_id` mirror `worker.user.id` and `worker.model.model_version.id`, as the proto says:
    no user, and the model version only for a model worker."""
    concept = app.concepts[planned.concept_id]
    return resources_pb2.Annotation(
        id=annotation_id,
        input_id=input_id,
        data=resources_pb2.Data(
            concepts=[resources_pb2.Concept(id=concept.id, name=concept.name, value=planned.score, app_id=app.app_id)]
        ),
        model_version_id=annotator.worker.model.model_version.id,
        status=status_of(planned.status_code),
        created_at=stamp,
        modified_at=stamp,
        task_id=task_id,
        worker=annotator.worker,
        input_level=True,
    )
