"""A small client for the labeling and review tests: each step is one real RPC through the plugin's channel,
made as the named seeded user (PAT "<user>-pat")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2, service_pb2, service_pb2_grpc
from clarifai_grpc.grpc.api.status import status_code_pb2

from fake_clarifai import FakeClarifai

Action = service_pb2.PutTaskAssignmentsRequestAction
SUCCESS = status_code_pb2.SUCCESS
DECISION_CONFIGS: dict[int, tuple[str, type]] = {
    Action.REVIEW_APPROVE: ("review_approve_config", service_pb2.ReviewApproveConfig),
    Action.REVIEW_REQUEST_CHANGES: ("review_request_changes_config", service_pb2.ReviewRequestChangesConfig),
    Action.REVIEW_REJECT: ("review_reject_config", service_pb2.ReviewRejectConfig),
}
COUNT_FIELDS = ("pending", "awaiting_review", "success", "review_denied", "awaiting_consensus_review")


def human_task(
    workers: list[str],
    *,
    strategy: str = "PARTITIONED",
    review: resources_pb2.TaskReview | None = None,
    workers_per_input: int = 1,
    weights: dict[str, float] | None = None,
    source: resources_pb2.TaskInputSource | None = None,
) -> resources_pb2.Task:
    info = resources_pb2.TaskWorkerPartitionedStrategyInfo(
        type="WEIGHTED" if weights else "EVENLY", workers_per_input=workers_per_input
    )
    if weights:
        info.weights.update(weights)
    return resources_pb2.Task(
        type="CONCEPTS_CLASSIFICATION",
        name="label water",
        worker=resources_pb2.TaskWorker(
            strategy=strategy,
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in workers],
            partitioned_strategy_info=info,
        ),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        input_source=source or resources_pb2.TaskInputSource(type="ALL_INPUTS"),
        review=review or resources_pb2.TaskReview(strategy="NONE"),
    )


def manual_review(
    reviewers: list[str], sample_percentage: float = 0.0, reviewers_threshold: int = 0
) -> resources_pb2.TaskReview:
    return resources_pb2.TaskReview(
        strategy="MANUAL",
        manual_strategy_info=resources_pb2.TaskReviewManualStrategyInfo(sample_percentage=sample_percentage),
        consensus_strategy_info=resources_pb2.TaskReviewConsensusStrategyInfo(
            approval_threshold_reviewers=reviewers_threshold
        ),
        users=[resources_pb2.User(id=r) for r in reviewers],
    )


def consensus_review(reviewers: list[str], threshold: int, reviewers_threshold: int = 0) -> resources_pb2.TaskReview:
    """As the docs write it: the deprecated `approval_threshold` (and `approval_threshold_reviewers`)."""
    return resources_pb2.TaskReview(
        strategy="CONSENSUS",
        consensus_strategy_info=resources_pb2.TaskReviewConsensusStrategyInfo(
            approval_threshold=threshold, approval_threshold_reviewers=reviewers_threshold
        ),
        users=[resources_pb2.User(id=r) for r in reviewers],
    )


def add_inputs(fake: FakeClarifai, *input_ids: str) -> None:
    """Seed image inputs of the owner's app `main`."""
    for input_id in input_ids:
        fake.add_input("owner", "main", input_id, url=f"https://samples.example/{input_id}.jpg")


@dataclass
class TaskClient:
    stub: service_pb2_grpc.V2Stub
    fake: FakeClarifai
    app: resources_pb2.UserAppIDSet

    def metadata(self, user: str) -> tuple[tuple[str, str], ...]:
        return self.fake.metadata(f"{user}-pat")

    def post_task(self, task: resources_pb2.Task) -> str:
        response = self.stub.PostTasks(
            service_pb2.PostTasksRequest(user_app_id=self.app, tasks=[task]), metadata=self.metadata("owner")
        )
        assert response.status.code == SUCCESS, response.status
        return response.tasks[0].id

    def put(self, user: str, task_id: str, action: int = 0, **config: Any) -> service_pb2.MultiTaskAssignmentResponse:
        """PutTaskAssignments as `user`; `config` holds the request's other fields (e.g. label_submit_config)."""
        request = service_pb2.PutTaskAssignmentsRequest(user_app_id=self.app, task_id=task_id, action=action, **config)
        return self.stub.PutTaskAssignments(request, metadata=self.metadata(user))

    def ok(self, user: str, task_id: str, action: int = 0, **config: Any) -> list[resources_pb2.TaskAssignment]:
        response = self.put(user, task_id, action, **config)
        assert response.status.code == SUCCESS, response.status
        return list(response.task_assignments)

    def start(self, user: str, task_id: str) -> list[resources_pb2.TaskAssignment]:
        return self.ok(user, task_id, Action.LABEL_START)

    def submit(self, user: str, task_id: str, assignment_ids: list[str]) -> list[resources_pb2.TaskAssignment]:
        config = label_submit_config(assignment_ids)
        return self.ok(user, task_id, Action.LABEL_SUBMIT, label_submit_config=config)

    def review_start(self, user: str, task_id: str, workers: list[str] = ()) -> list[resources_pb2.TaskAssignment]:
        config = service_pb2.ReviewStartConfig(workers=[worker(w) for w in workers])
        return self.ok(user, task_id, Action.REVIEW_START, review_start_config=config)

    def decide(
        self, user: str, task_id: str, action: int, assignment_ids: list[str] = (), workers: list[str] = ()
    ) -> service_pb2.MultiTaskAssignmentResponse:
        field, config_class = DECISION_CONFIGS[action]
        config = config_class(
            task_assignments=[resources_pb2.TaskAssignment(id=i) for i in assignment_ids],
            workers=[worker(w) for w in workers],
        )
        return self.put(user, task_id, action, **{field: config})

    def label(
        self, user: str, task_id: str, input_id: str, concepts: dict[str, float]
    ) -> service_pb2.MultiAnnotationResponse:
        """Post one annotation with `task_id` on `input_id` carrying `concepts` (id -> value)."""
        annotation = resources_pb2.Annotation(
            input_id=input_id,
            task_id=task_id,
            data=resources_pb2.Data(concepts=[resources_pb2.Concept(id=c, value=v) for c, v in concepts.items()]),
        )
        return self.stub.PostAnnotations(
            service_pb2.PostAnnotationsRequest(user_app_id=self.app, annotations=[annotation]),
            metadata=self.metadata(user),
        )

    def annotation_states(self, task_id: str) -> dict[tuple[str, str], str]:
        """(user, input) -> the status name of the task annotation, as the owner lists them."""
        response = self.stub.ListAnnotations(
            service_pb2.ListAnnotationsRequest(user_app_id=self.app, task_id=task_id), metadata=self.metadata("owner")
        )
        assert response.status.code == SUCCESS, response.status
        return {(a.user_id, a.input_id): status_code_pb2.StatusCode.Name(a.status.code) for a in response.annotations}

    def get_task(self, task_id: str, fields: list[str]) -> resources_pb2.Task:
        """GetTask as the owner with `fields` as additional_fields."""
        request = service_pb2.GetTaskRequest(user_app_id=self.app, task_id=task_id, additional_fields=fields)
        response = self.stub.GetTask(request, metadata=self.metadata("owner"))
        assert response.status.code == SUCCESS, response.status
        return response.task

    def counts(self, task_id: str, method: str = "GetTaskInputCount", **filters: Any) -> dict[str, dict[str, int]]:
        """worker key (user id, or model version id) -> its five counts, in response order."""
        request = service_pb2.GetTaskCountRequest(user_app_id=self.app, task_id=task_id, **filters)
        response = getattr(self.stub, method)(request, metadata=self.metadata("owner"))
        assert response.status.code == SUCCESS, response.status
        assert (response.app_id, response.task_id) == (self.app.app_id, task_id)
        return {
            entry.worker.user.id or entry.worker.model.model_version.id: {f: getattr(entry, f) for f in COUNT_FIELDS}
            for entry in response.counts
        }


def worker(user_id: str) -> resources_pb2.Worker:
    return resources_pb2.Worker(user=resources_pb2.User(id=user_id))


def label_submit_config(assignment_ids: list[str]) -> service_pb2.LabelSubmitConfig:
    return service_pb2.LabelSubmitConfig(task_assignments=[resources_pb2.TaskAssignment(id=i) for i in assignment_ids])


def status_names(assignments: list[resources_pb2.TaskAssignment]) -> dict[str, str]:
    """input id -> the assignment's status name."""
    return {a.input.id: status_code_pb2.StatusCode.Name(a.status.code) for a in assignments}


def counts(**fields: int) -> dict[str, int]:
    """The five count fields, zero unless given."""
    return {f: fields.get(f, 0) for f in COUNT_FIELDS}
