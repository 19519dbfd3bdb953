"""A small populated app for the RPC-generic suites (fuzzing, the auth matrix), and one valid request per
emulated RPC.

`VALID_REQUESTS` lists only the RPCs whose valid request needs more than `user_app_id` (an id to look up,
something to create); every other RPC gets `request_class(method)(user_app_id=owner/main)`. The auth
matrix checks that the owner gets SUCCESS for each, so a newly emulated RPC whose empty request is not
valid shows up there as a failing "owner" case: add its builder here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from google.protobuf.message import Message

from fake_clarifai import FakeClarifai
from fake_clarifai.errors import Code
from fake_clarifai.store import Snapshot
from fake_clarifai.wire import request_class

MAIN = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
OWNER_PAT = "owner-pat"
ADD_JOB_ID = "job-1"
SAVED_SEARCH_ID = "search-1"
WORKERS = ("owner", "labeler-1")  # the owner labels too, so owner and collaborator get the same answers


@dataclass(frozen=True)
class World:
    """Ids of what `build_world` created in owner/main, on top of the default seed."""

    input_ids: tuple[str, ...]
    dataset_id: str
    annotation_id: str
    task_id: str
    model_id: str
    model_version_id: str
    workflow_id: str

    def ids(self) -> tuple[str, ...]:
        """Every id in the world, of every kind (for requests that use one kind's id as another's)."""
        return (*self.input_ids, self.dataset_id, self.annotation_id, self.task_id, self.model_id,
                self.model_version_id, self.workflow_id, "main", "elsewhere", "owner", "labeler-1", "outsider",
                "water", "sky")  # fmt: skip


@dataclass(frozen=True)
class Populated:
    """The world's ids and a snapshot to restore before each case."""

    world: World
    snapshot: Snapshot = field(repr=False)


def populate(fake: FakeClarifai) -> Populated:
    """Reset `fake` to its baseline, build the world in it and snapshot that."""
    fake.reset()
    world = build_world(fake)
    return Populated(world, fake.snapshot())


def build_world(fake: FakeClarifai) -> World:
    """Inputs, a dataset, an annotation, a DYNAMIC task, a model and a workflow in owner/main."""
    input_ids = ("in-1", "in-2", "in-3")
    for input_id in input_ids:
        fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    fake.add_dataset("owner", "main", "ds-1", ["in-1", "in-2"])
    model = fake.add_model("owner", "main", "m-1", version_id="mv-1", predictions={"in-1": {"water": 0.9}})
    fake.add_workflow("owner", "main", "wf-1", model_id="m-1")
    annotation = resources_pb2.Annotation(id="ann-1", input_id="in-1", data=tags("water"))
    posted = owner_call(fake, "PostAnnotations", service_pb2.PostAnnotationsRequest(annotations=[annotation]))
    task = owner_call(fake, "PostTasks", service_pb2.PostTasksRequest(tasks=[labeling_task()]))
    job_input = resources_pb2.Input(id="in-job", data=resources_pb2.Data(text=resources_pb2.Text(raw="job")))
    owner_call(fake, "PostInputs", service_pb2.PostInputsRequest(inputs=[job_input], inputs_add_job_id=ADD_JOB_ID))
    owner_call(fake, "PostSearches", service_pb2.PostSearchesRequest(searches=[water_search(SAVED_SEARCH_ID)]))
    return World(
        input_ids=input_ids,
        dataset_id="ds-1",
        annotation_id=posted.annotations[0].id,
        task_id=task.tasks[0].id,
        model_id=model.id,
        model_version_id=model.version_id,
        workflow_id="wf-1",
    )


def owner_call(fake: FakeClarifai, method: str, request: Message) -> Message:
    request.user_app_id.CopyFrom(MAIN)
    response = fake.servicer.call(method, request, fake.metadata(OWNER_PAT))
    assert response.status.code == Code.SUCCESS, f"{method}: {response.status}"
    return response


def water_search(search_id: str = "", save: bool = True) -> resources_pb2.Search:
    """A search for inputs labeled "water"; saved under `search_id` when `save`."""
    water = resources_pb2.Filter(annotation=resources_pb2.Annotation(data=tags("water")))
    return resources_pb2.Search(id=search_id, save=save, query=resources_pb2.Query(filters=[water]))


def tags(*concept_ids: str) -> resources_pb2.Data:
    return resources_pb2.Data(concepts=[resources_pb2.Concept(id=c, value=1.0) for c in concept_ids])


def labeling_task() -> resources_pb2.Task:
    task = resources_pb2.Task(
        type=resources_pb2.Task.CONCEPTS_CLASSIFICATION,
        input_source=resources_pb2.TaskInputSource(type=resources_pb2.TaskInputSource.ALL_INPUTS),
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id="water"))],
        review=resources_pb2.TaskReview(strategy=resources_pb2.TaskReview.NONE),
    )
    task.worker.strategy = resources_pb2.TaskWorker.DYNAMIC
    task.worker.workers.extend(resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in WORKERS)
    return task


Builder = Callable[[World], Message]

VALID_REQUESTS: dict[str, Builder] = {
    "PostApps": lambda w: service_pb2.PostAppsRequest(apps=[resources_pb2.App(id="new-app")]),
    "PostCollaborators": lambda w: service_pb2.PostCollaboratorsRequest(
        collaborators=[resources_pb2.Collaborator(user=resources_pb2.User(id="outsider"))]
    ),
    "GetConcept": lambda w: service_pb2.GetConceptRequest(concept_id="water"),
    "PostConcepts": lambda w: service_pb2.PostConceptsRequest(concepts=[resources_pb2.Concept(id="new-concept")]),
    "PatchConcepts": lambda w: service_pb2.PatchConceptsRequest(
        action="overwrite", concepts=[resources_pb2.Concept(id="water", name="Water")]
    ),
    "GetInput": lambda w: service_pb2.GetInputRequest(input_id=w.input_ids[0]),
    "PostInputs": lambda w: service_pb2.PostInputsRequest(
        inputs=[
            resources_pb2.Input(id="new-input", data=resources_pb2.Data(image=resources_pb2.Image(url="https://x/n")))
        ]
    ),
    "DeleteInput": lambda w: service_pb2.DeleteInputRequest(input_id=w.input_ids[-1]),
    "DeleteInputs": lambda w: service_pb2.DeleteInputsRequest(ids=[w.input_ids[-1]]),
    "GetDataset": lambda w: service_pb2.GetDatasetRequest(dataset_id=w.dataset_id),
    "PostInputsSearches": lambda w: service_pb2.PostInputsSearchesRequest(searches=[water_search(save=False)]),
    "PostAnnotationsSearches": lambda w: service_pb2.PostAnnotationsSearchesRequest(
        searches=[water_search(save=False)]
    ),
    "PostSearches": lambda w: service_pb2.PostSearchesRequest(searches=[water_search("new-search")]),
    "GetSearch": lambda w: service_pb2.GetSearchRequest(id=SAVED_SEARCH_ID),
    "DeleteSearch": lambda w: service_pb2.DeleteSearchRequest(id=SAVED_SEARCH_ID),
    "GetInputsAddJob": lambda w: service_pb2.GetInputsAddJobRequest(id=ADD_JOB_ID),
    "PatchInputs": lambda w: service_pb2.PatchInputsRequest(
        action="merge", inputs=[resources_pb2.Input(id=w.input_ids[0], data=tags("sky"))]
    ),
    "PatchApp": lambda w: service_pb2.PatchAppRequest(action="merge", app=resources_pb2.App(description="patched")),
    "PostDatasetVersions": lambda w: service_pb2.PostDatasetVersionsRequest(
        dataset_id=w.dataset_id, dataset_versions=[resources_pb2.DatasetVersion(description="v1")]
    ),
    "ListDatasetVersions": lambda w: service_pb2.ListDatasetVersionsRequest(dataset_id=w.dataset_id),
    "PostDatasets": lambda w: service_pb2.PostDatasetsRequest(datasets=[resources_pb2.Dataset(id="new-dataset")]),
    "PatchDatasets": lambda w: service_pb2.PatchDatasetsRequest(
        action="merge", datasets=[resources_pb2.Dataset(id=w.dataset_id, description="patched")]
    ),
    "DeleteDatasets": lambda w: service_pb2.DeleteDatasetsRequest(dataset_ids=[w.dataset_id]),
    "ListDatasetInputs": lambda w: service_pb2.ListDatasetInputsRequest(dataset_id=w.dataset_id),
    "PostDatasetInputs": lambda w: service_pb2.PostDatasetInputsRequest(
        dataset_id=w.dataset_id,
        dataset_inputs=[resources_pb2.DatasetInput(input=resources_pb2.Input(id=w.input_ids[-1]))],
    ),
    "DeleteDatasetInputs": lambda w: service_pb2.DeleteDatasetInputsRequest(
        dataset_id=w.dataset_id, input_ids=[w.input_ids[0]]
    ),
    "GetAnnotation": lambda w: service_pb2.GetAnnotationRequest(input_id=w.input_ids[0], annotation_id=w.annotation_id),
    "PostAnnotations": lambda w: service_pb2.PostAnnotationsRequest(
        annotations=[resources_pb2.Annotation(input_id=w.input_ids[1], data=tags("sky"))]
    ),
    "PatchAnnotations": lambda w: service_pb2.PatchAnnotationsRequest(
        action="overwrite",
        annotations=[resources_pb2.Annotation(id=w.annotation_id, input_id=w.input_ids[0], data=tags("sky"))],
    ),
    "PatchAnnotationsStatus": lambda w: service_pb2.PatchAnnotationsStatusRequest(
        action="overwrite", status_code=Code.ANNOTATION_PENDING, user_ids=["owner"]
    ),
    "GetInputSamples": lambda w: service_pb2.GetInputSamplesRequest(task_id=w.task_id),
    "DeleteCollaborators": lambda w: service_pb2.DeleteCollaboratorsRequest(collaborator_ids=["reviewer"]),
    "DeleteAnnotation": lambda w: service_pb2.DeleteAnnotationRequest(
        input_id=w.input_ids[0], annotation_id=w.annotation_id
    ),
    "DeleteAnnotations": lambda w: service_pb2.DeleteAnnotationsRequest(
        ids=[w.annotation_id], input_ids=[w.input_ids[0]]
    ),
    "GetModel": lambda w: service_pb2.GetModelRequest(model_id=w.model_id),
    "GetWorkflow": lambda w: service_pb2.GetWorkflowRequest(workflow_id=w.workflow_id),
    "PostTasks": lambda w: service_pb2.PostTasksRequest(tasks=[labeling_task()]),
    "GetTask": lambda w: service_pb2.GetTaskRequest(task_id=w.task_id),
    "PatchTasks": lambda w: service_pb2.PatchTasksRequest(
        action="merge", tasks=[resources_pb2.Task(id=w.task_id, status={"code": Code.TASK_DONE})]
    ),
    "DeleteTasks": lambda w: service_pb2.DeleteTasksRequest(ids=[w.task_id]),
    "PutTaskAssignments": lambda w: service_pb2.PutTaskAssignmentsRequest(
        task_id=w.task_id, action=service_pb2.LABEL_START
    ),
    "ListNextTaskAssignments": lambda w: service_pb2.ListNextTaskAssignmentsRequest(task_id=w.task_id),
    "GetTaskInputCount": lambda w: service_pb2.GetTaskCountRequest(task_id=w.task_id),
    "GetTaskAnnotationCount": lambda w: service_pb2.GetTaskCountRequest(task_id=w.task_id),
}


def valid_request(method: str, world: World) -> Message:
    """A request the owner of owner/main may make successfully, with `user_app_id` set."""
    builder = VALID_REQUESTS.get(method)
    request = builder(world) if builder is not None else request_class(method)()
    request.user_app_id.CopyFrom(MAIN)
    return request
