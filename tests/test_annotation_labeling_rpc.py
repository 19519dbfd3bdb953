"""Issue 15, items 8-12: what ListAnnotations lists, annotation statuses, posting for another user,
input-level annotations from PostInputs, and ListAnnotationWorkers / GetInputSamples / PatchAnnotationsStatus /
DeleteCollaborators, all through the plugin's channel (BEHAVIOUR.md §3.2, §3.6)."""

from __future__ import annotations

import pytest
from app_rpc import MAIN, OWNER, Code, assert_error, ok, unchanged
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_pb2
from lifecycle_client import TaskClient, human_task

from fake_clarifai import FakeClarifai

Annotation = resources_pb2.Annotation
LABELER = FakeClarifai.metadata("labeler-1-pat")
OUTSIDER = FakeClarifai.metadata("outsider-pat")


def tags(*concept_ids: str) -> resources_pb2.Data:
    return resources_pb2.Data(concepts=[resources_pb2.Concept(id=c, value=1.0) for c in concept_ids])


def post(stub, *annotations, metadata=OWNER):
    return stub.PostAnnotations(
        service_pb2.PostAnnotationsRequest(user_app_id=MAIN, annotations=annotations), metadata=metadata
    )


def listed(stub, metadata=OWNER, **params) -> list[str]:
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN, **params)
    return [a.id for a in ok(stub.ListAnnotations(request, metadata=metadata)).annotations]


def patch(stub, action, *annotations, metadata=OWNER):
    request = service_pb2.PatchAnnotationsRequest(user_app_id=MAIN, action=action, annotations=annotations)
    return stub.PatchAnnotations(request, metadata=metadata)


def patch_status(stub, metadata=OWNER, **fields):
    request = service_pb2.PatchAnnotationsStatusRequest(user_app_id=MAIN, **fields)
    return stub.PatchAnnotationsStatus(request, metadata=metadata)


def stored(fake: FakeClarifai, annotation_id: str) -> Annotation:
    return fake.store.app("owner", "main").annotations[annotation_id]


def model_annotation(annotation_id: str, input_id: str) -> Annotation:
    """As an auto-annotation task writes one (BEHAVIOUR.md §7): by a model, no user."""
    annotation = Annotation(id=annotation_id, input_id=input_id, data=tags("water"), input_level=True)
    annotation.worker.model.id = "m-1"
    annotation.worker.model.model_version.id = "mv-1"
    annotation.model_version_id = "mv-1"
    return annotation


@pytest.fixture
def app(clarifai_fake: FakeClarifai, clarifai_stub) -> None:
    """in-1..in-3; owner's u-1 and labeler-2's u-2 on in-1; a model's annotation m-1 on in-2."""
    for input_id in ("in-1", "in-2", "in-3"):
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    ok(post(clarifai_stub, Annotation(id="u-1", input_id="in-1", data=tags("water"))))
    ok(post(clarifai_stub, Annotation(id="u-2", input_id="in-1", data=tags("sky"), user_id="labeler-2")))
    with clarifai_fake.store.lock:
        clarifai_fake.store.app("owner", "main").add_annotations([model_annotation("m-1", "in-2")])


# -- item 8: ListAnnotations lists trusted (user-made) annotations unless asked for all -------------------


def test_a_default_list_leaves_out_model_annotations_and_list_all_brings_them(clarifai_stub, clarifai_fake, app):
    # proto: ListAnnotationsRequest.list_all_annotations; docs: Annotations list page (no model annotations)
    assert listed(clarifai_stub) == ["u-1", "u-2"]
    assert listed(clarifai_stub, list_all_annotations=True) == ["u-1", "u-2", "m-1"]
    assert listed(clarifai_stub, input_ids=["in-2"]) == []
    assert listed(clarifai_stub, input_ids=["in-2"], list_all_annotations=True) == ["m-1"]


def test_a_worker_filter_sets_list_all(clarifai_stub, app):
    # proto: ListAnnotationsRequest.user_ids / model_version_ids ("does also set list_all_annotations")
    assert listed(clarifai_stub, model_version_ids=["mv-1"]) == ["m-1"]
    assert listed(clarifai_stub, user_ids=["labeler-2"], model_version_ids=["mv-1"]) == ["u-2", "m-1"]


def test_user_annotations_are_stored_trusted_and_model_ones_are_not(clarifai_stub, clarifai_fake, app):
    # proto: Annotation.trusted; the fake sets it from who made the annotation [policy]
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN, list_all_annotations=True)
    answered = ok(clarifai_stub.ListAnnotations(request, metadata=OWNER)).annotations
    assert [(a.id, a.trusted) for a in answered] == [("u-1", True), ("u-2", True), ("m-1", False)]


# -- item 9: status changes by PatchAnnotations and PatchAnnotationsStatus ---------------------------------


def test_merge_with_a_status_changes_the_status_and_keeps_the_data(clarifai_stub, clarifai_fake, app):
    # docs: Annotations page ("update annotation status": PatchAnnotations merge with a new status)
    change = Annotation(id="u-1", input_id="in-1", status=status_pb2.Status(code=Code.ANNOTATION_PENDING))
    answered = ok(patch(clarifai_stub, "merge", change)).annotations[0]
    assert (answered.status.code, answered.status.description) == (Code.ANNOTATION_PENDING, "Annotation pending")
    assert [c.id for c in stored(clarifai_fake, "u-1").data.concepts] == ["water"]
    assert stored(clarifai_fake, "u-1").status.code == Code.ANNOTATION_PENDING


def test_a_patch_without_a_status_keeps_it(clarifai_stub, clarifai_fake, app):
    ok(patch(clarifai_stub, "overwrite", Annotation(id="u-1", input_id="in-1", data=tags("sky"))))
    assert stored(clarifai_fake, "u-1").status.code == Code.ANNOTATION_SUCCESS


@pytest.mark.parametrize("code", [Code.ANNOTATION_INVALID_ARGUMENT, Code.SUCCESS, Code.ANNOTATION_MODIFY_SUCCESS])
def test_a_status_that_is_not_an_annotation_state_is_refused(clarifai_stub, clarifai_fake, app, code):
    change = Annotation(id="u-1", input_id="in-1", status=status_pb2.Status(code=code))
    with unchanged(clarifai_fake):
        response = patch(clarifai_stub, "merge", change)
    name = Code.Name(code)  # (numbers outside the enum are refused by the request door, BEHAVIOUR.md §1)
    assert response.status.code == Code.ANNOTATION_INVALID_ARGUMENT
    assert response.status.details.startswith(f"annotations[0].status.code {name} is not an annotation status: use one")


def test_patch_annotations_status_puts_the_filtered_annotations_in_the_status(clarifai_stub, clarifai_fake, app):
    # proto: PatchAnnotationsStatusRequest (filters user_ids, task_id, status_codes; action overwrite)
    response = ok(
        patch_status(
            clarifai_stub, action="overwrite", status_code=Code.ANNOTATION_REVIEW_DENIED, user_ids=["labeler-2"]
        )
    )
    assert (list(response.user_ids), response.updated_count) == (["labeler-2"], 1)
    assert stored(clarifai_fake, "u-2").status.code == Code.ANNOTATION_REVIEW_DENIED
    assert stored(clarifai_fake, "u-1").status.code == Code.ANNOTATION_SUCCESS
    by_status = ok(
        patch_status(
            clarifai_stub,
            action="overwrite",
            status_code=Code.ANNOTATION_PENDING,
            status_codes=[Code.ANNOTATION_REVIEW_DENIED],
        )
    )
    assert (list(by_status.user_ids), by_status.updated_count) == (["labeler-2"], 1)
    again = ok(
        patch_status(clarifai_stub, action="overwrite", status_code=Code.ANNOTATION_PENDING, user_ids=["labeler-2"])
    )
    assert again.updated_count == 0  # already in it


@pytest.mark.parametrize(
    ("fields", "code", "details"),
    [
        ({"status_code": Code.ANNOTATION_PENDING}, Code.ANNOTATION_INVALID_ARGUMENT, "action '' is not supported"),
        (
            {"action": "merge", "status_code": Code.ANNOTATION_PENDING},
            Code.ANNOTATION_INVALID_ARGUMENT,
            "action 'merge'",
        ),
        ({"action": "overwrite"}, Code.ANNOTATION_INVALID_ARGUMENT, "status_code ZERO is not an annotation status"),
        (
            {"action": "overwrite", "status_code": Code.ANNOTATION_PENDING, "task_id": "nope"},
            Code.TASK_MISSING,
            "task_id: task 'nope' does not exist",
        ),
    ],
)
def test_patch_annotations_status_refusals_change_nothing(clarifai_stub, clarifai_fake, app, fields, code, details):
    with unchanged(clarifai_fake):
        response = patch_status(clarifai_stub, **fields)
    assert response.status.code == code
    assert response.status.details.startswith(details), response.status.details


@pytest.fixture
def submitted(clarifai_stub, clarifai_fake: FakeClarifai) -> tuple[str, str, str]:
    """A task where labeler-1 labeled in-1 and submitted it, and labeled in-2 without submitting; returns the
    task id and the two annotation ids (submitted, pending)."""
    for input_id in ("in-1", "in-2"):
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    tasks = TaskClient(clarifai_stub, clarifai_fake, MAIN)
    task_id = tasks.post_task(human_task(["labeler-1"], strategy="FULL"))
    first, second = tasks.start("labeler-1", task_id)
    done = ok(tasks.label("labeler-1", task_id, first.input.id, {"water": 1})).annotations[0].id
    pending = ok(tasks.label("labeler-1", task_id, second.input.id, {"water": 1})).annotations[0].id
    tasks.submit("labeler-1", task_id, [first.id])
    return task_id, done, pending


def test_a_labeler_edits_its_task_annotations_only_while_the_work_is_pending(clarifai_stub, clarifai_fake, submitted):
    # policy (BEHAVIOUR.md §6.3): PostAnnotations and PatchAnnotations follow one rule for a task's labeler
    task_id, done, pending = submitted
    ok(patch(clarifai_stub, "merge", Annotation(id=pending, data=tags("sky")), metadata=LABELER))
    done_input = stored(clarifai_fake, done).input_id
    assignment = next(a for a in clarifai_fake.store.app("owner", "main").tasks[task_id].of_input(done_input))
    conflict = (
        f"assignment '{assignment.id}' of input '{done_input}' is TASK_ASSIGNMENT_SUCCESS: annotate while it is "
        "TASK_ASSIGNMENT_PENDING"
    )
    with unchanged(clarifai_fake):
        edited = patch(clarifai_stub, "merge", Annotation(id=done, data=tags("sky")), metadata=LABELER)
        added = post(
            clarifai_stub, Annotation(input_id=done_input, task_id=task_id, data=tags("sky")), metadata=LABELER
        )
        by_status = patch_status(
            clarifai_stub, action="overwrite", status_code=Code.ANNOTATION_PENDING, task_id=task_id, metadata=LABELER
        )
    assert_error(edited, Code.TASK_CONFLICT, f"annotations[0]: {conflict}")
    assert_error(added, Code.TASK_CONFLICT, f"annotations[0]: {conflict}")
    assert_error(by_status, Code.TASK_CONFLICT, f"annotation '{done}': {conflict}")
    # the app owner curates: its edits of a labeler's submitted annotation are not a labeler's
    ok(patch(clarifai_stub, "merge", Annotation(id=done, data=tags("sky"))))


# -- item 10: PostAnnotations for another user ------------------------------------------------------------


def test_a_member_posts_an_annotation_for_another_member(clarifai_stub, clarifai_fake, app):
    # docs: Annotations page (posting with another user's user_id; empty means the poster)
    answered = ok(post(clarifai_stub, Annotation(input_id="in-3", user_id="reviewer"), metadata=LABELER)).annotations[0]
    assert (answered.user_id, answered.worker.user.id) == ("reviewer", "reviewer")
    mine = ok(post(clarifai_stub, Annotation(input_id="in-3"), metadata=LABELER)).annotations[0]
    assert (mine.user_id, mine.worker.user.id) == ("labeler-1", "labeler-1")
    by_worker = Annotation(input_id="in-3", worker=resources_pb2.Worker(user=resources_pb2.User(id="owner")))
    assert ok(post(clarifai_stub, by_worker, metadata=LABELER)).annotations[0].user_id == "owner"


@pytest.mark.parametrize(
    ("annotation", "code", "details"),
    [
        (
            Annotation(input_id="in-3", user_id="outsider"),
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[0].user_id 'outsider' is not the owner or a collaborator of app 'owner/main'",
        ),
        (
            Annotation(
                input_id="in-3", user_id="labeler-2", worker=resources_pb2.Worker(user=resources_pb2.User(id="owner"))
            ),
            Code.ANNOTATION_INVALID_ARGUMENT,
            "annotations[0].user_id 'labeler-2' and annotations[0].worker.user.id 'owner' name different users",
        ),
    ],
)
def test_naming_a_user_who_may_not_author_is_refused(clarifai_stub, clarifai_fake, app, annotation, code, details):
    with unchanged(clarifai_fake):
        response = post(clarifai_stub, annotation)
    assert_error(response, code, details)


def test_a_task_annotation_is_always_its_labelers_own(clarifai_stub, clarifai_fake, submitted):
    # policy: a labeler cannot credit its task work to someone else, nor can a task-only worker
    task_id, _, pending = submitted
    input_id = stored(clarifai_fake, pending).input_id
    details = "annotations[0].user_id 'labeler-2': a task annotation is by the labeler who posts it: leave it empty"
    with unchanged(clarifai_fake):
        response = post(
            clarifai_stub, Annotation(input_id=input_id, task_id=task_id, user_id="labeler-2"), metadata=LABELER
        )
    assert_error(response, Code.TASK_PERMISSION_DENIED, details)


def test_a_task_only_worker_may_not_credit_anyone_else(clarifai_stub, clarifai_fake):
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/in-1.jpg")
    tasks = TaskClient(clarifai_stub, clarifai_fake, MAIN)
    task_id = tasks.post_task(human_task(["outsider"], strategy="FULL"))
    tasks.start("outsider", task_id)
    with unchanged(clarifai_fake):
        response = post(clarifai_stub, Annotation(input_id="in-1", task_id=task_id, user_id="owner"), metadata=OUTSIDER)
    details = "annotations[0].user_id 'owner': a task annotation is by the labeler who posts it: leave it empty"
    assert_error(response, Code.TASK_PERMISSION_DENIED, details)


# -- item 11: PostInputs with concepts makes input-level annotations --------------------------------------


def test_inputs_posted_with_concepts_get_an_input_level_annotation_each(clarifai_stub, clarifai_fake):
    # docs: Annotations page (an input-level annotation per input, holding the data posted);
    # proto: Annotation.input_level
    inputs = [
        resources_pb2.Input(
            id="wet",
            data=resources_pb2.Data(
                image=resources_pb2.Image(url="https://x.test/w.jpg"), concepts=tags("water").concepts
            ),
        ),
        resources_pb2.Input(id="plain", data=resources_pb2.Data(image=resources_pb2.Image(url="https://x.test/p.jpg"))),
    ]
    ok(clarifai_stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=inputs), metadata=LABELER))
    request = service_pb2.ListAnnotationsRequest(user_app_id=MAIN)
    (made,) = ok(clarifai_stub.ListAnnotations(request, metadata=OWNER)).annotations
    assert (made.input_id, made.input_level, made.user_id, made.trusted) == ("wet", True, "labeler-1", True)
    assert [(c.id, c.value) for c in made.data.concepts] == [("water", 1.0)]
    assert made.status.code == Code.ANNOTATION_SUCCESS
    delete = service_pb2.DeleteInputsRequest(user_app_id=MAIN, ids=["wet"])
    ok(clarifai_stub.DeleteInputs(delete, metadata=OWNER))
    assert listed(clarifai_stub) == []


# -- item 12: ListAnnotationWorkers, GetInputSamples, DeleteCollaborators -----------------------------------


def test_annotation_workers_are_listed_once_each_in_the_order_of_their_first_annotation(
    clarifai_stub, clarifai_fake, app
):
    # proto: ListAnnotationWorkersRequest (trusted_only, additional_fields "names"); Worker.user (no names by default)
    with clarifai_fake.store.lock:
        clarifai_fake.store.users["labeler-2"] = resources_pb2.User(id="labeler-2", first_name="Ada", last_name="L")
    request = service_pb2.ListAnnotationWorkersRequest(user_app_id=MAIN)
    workers = ok(clarifai_stub.ListAnnotationWorkers(request, metadata=OWNER)).workers
    assert [w.user.id or w.model.model_version.id for w in workers] == ["owner", "labeler-2", "mv-1"]
    assert workers[1].user == resources_pb2.User(id="labeler-2")
    trusted = service_pb2.ListAnnotationWorkersRequest(user_app_id=MAIN, trusted_only=True, additional_fields=["names"])
    named = ok(clarifai_stub.ListAnnotationWorkers(trusted, metadata=OWNER)).workers
    assert [(w.user.id, w.user.first_name) for w in named] == [("owner", ""), ("labeler-2", "Ada")]
    paged = service_pb2.ListAnnotationWorkersRequest(user_app_id=MAIN, page=2, per_page=2)
    assert [w.model.id for w in ok(clarifai_stub.ListAnnotationWorkers(paged, metadata=OWNER)).workers] == ["m-1"]


def test_an_unknown_additional_field_is_refused(clarifai_stub, clarifai_fake, app):
    request = service_pb2.ListAnnotationWorkersRequest(user_app_id=MAIN, additional_fields=["names", "emails"])
    with unchanged(clarifai_fake):
        response = clarifai_stub.ListAnnotationWorkers(request, metadata=OWNER)
    assert_error(
        response, Code.ANNOTATION_INVALID_ARGUMENT, "additional_fields[1] 'emails' is not supported: use all, names"
    )


@pytest.fixture
def labeled(clarifai_stub, clarifai_fake: FakeClarifai) -> str:
    """A FULL task of labeler-1 and labeler-2 (reviewer: reviewer) on in-1, in-2; each labeled both; returns its id."""
    for input_id in ("in-1", "in-2"):
        clarifai_fake.add_input("owner", "main", input_id, url=f"https://example.com/{input_id}.jpg")
    tasks = TaskClient(clarifai_stub, clarifai_fake, MAIN)
    task = human_task(["labeler-1", "labeler-2"], strategy="FULL")
    task.review.users.add(id="reviewer")
    task_id = tasks.post_task(task)
    for labeler in ("labeler-2", "labeler-1"):
        for assignment in tasks.start(labeler, task_id):
            ok(tasks.label(labeler, task_id, assignment.input.id, {"water": 1}))
    return task_id


def samples(stub, task_id, user_ids=(), metadata=OWNER):
    request = service_pb2.GetInputSamplesRequest(user_app_id=MAIN, task_id=task_id, user_ids=user_ids)
    return stub.GetInputSamples(request, metadata=metadata)


def test_input_samples_are_the_labelers_task_annotations_with_their_inputs(clarifai_stub, labeled):
    # proto: GetInputSamplesRequest (user_ids; none: every labeler of the task); resources: Hit
    hits = ok(samples(clarifai_stub, labeled)).hits
    assert [(h.annotation.user_id, h.input.id) for h in hits] == [
        ("labeler-1", "in-1"), ("labeler-1", "in-2"), ("labeler-2", "in-1"), ("labeler-2", "in-2")
    ]  # fmt: skip
    assert {(h.user_id, h.app_id, h.score) for h in hits} == {("owner", "main", 1.0)}
    only = ok(samples(clarifai_stub, labeled, ["labeler-2"], metadata=FakeClarifai.metadata("reviewer-pat"))).hits
    assert [(h.annotation.user_id, h.input.id) for h in only] == [("labeler-2", "in-1"), ("labeler-2", "in-2")]


@pytest.mark.parametrize(
    ("task_id", "user_ids", "code", "details"),
    [
        ("", [], Code.CONN_INVALID_REQUEST, "task_id is empty: name a task of the app"),
        ("nope", [], Code.TASK_MISSING, "task_id: task 'nope' does not exist"),
        (
            None,
            ["labeler-1", "reviewer"],
            Code.CONN_INVALID_REQUEST,
            "user_ids[1] 'reviewer' is not a worker of task '<task>'",
        ),
    ],
)
def test_input_samples_refusals(clarifai_stub, clarifai_fake, labeled, task_id, user_ids, code, details):
    task_id = labeled if task_id is None else task_id
    with unchanged(clarifai_fake):
        response = samples(clarifai_stub, task_id, user_ids)
    assert_error(response, code, details.replace("<task>", labeled))


def test_delete_collaborators_by_user_id_collaborator_id_or_email(clarifai_stub, clarifai_fake):
    # policy (the proto names collaborator_ids and user_emails without saying which id)
    with clarifai_fake.store.lock:
        clarifai_fake.store.users["labeler-3"] = resources_pb2.User(id="labeler-3", primary_email="l3@example.com")
    app = clarifai_fake.store.app("owner", "main")
    request = service_pb2.DeleteCollaboratorsRequest(
        user_app_id=MAIN,
        collaborator_ids=["labeler-1", app.collaborators["labeler-2"].id],
        user_emails=["l3@example.com"],
    )
    ok(clarifai_stub.DeleteCollaborators(request, metadata=OWNER))
    left = ok(clarifai_stub.ListCollaborators(service_pb2.ListCollaboratorsRequest(user_app_id=MAIN), metadata=OWNER))
    assert [c.user.id for c in left.collaborators] == ["reviewer"]
    gone = clarifai_stub.ListAnnotations(service_pb2.ListAnnotationsRequest(user_app_id=MAIN), metadata=LABELER)
    assert_error(gone, Code.CONN_KEY_INVALID, "user 'labeler-1' has no access to app 'owner/main'")
    apps = ok(clarifai_stub.ListApps(service_pb2.ListAppsRequest(), metadata=LABELER))
    assert list(apps.apps) == []


@pytest.mark.parametrize(
    ("fields", "metadata", "code", "details"),
    [
        (
            {},
            OWNER,
            Code.CONN_INVALID_REQUEST,
            "collaborator_ids and user_emails are empty: name the collaborators to delete",
        ),
        ({"collaborator_ids": ["labeler-1", ""]}, OWNER, Code.CONN_INVALID_REQUEST, "collaborator_ids[1] is empty"),
        (
            {"collaborator_ids": ["labeler-1", "outsider"]},
            OWNER,
            Code.CONN_DOES_NOT_EXIST,
            "collaborator_ids[1] 'outsider' is not a collaborator of the app",
        ),
        (
            {"user_emails": ["who@example.com"]},
            OWNER,
            Code.CONN_DOES_NOT_EXIST,
            "user_emails[0] 'who@example.com' is not a collaborator of the app",
        ),
        (
            {"collaborator_ids": ["labeler-2"]},
            LABELER,
            Code.CONN_KEY_INVALID,
            "only the app owner 'owner' can delete collaborators",
        ),
    ],
)
def test_delete_collaborators_refusals_remove_nobody(clarifai_stub, clarifai_fake, fields, metadata, code, details):
    request = service_pb2.DeleteCollaboratorsRequest(user_app_id=MAIN, **fields)
    with unchanged(clarifai_fake):
        response = clarifai_stub.DeleteCollaborators(request, metadata=metadata)
    assert_error(response, code, details)


def test_input_samples_are_granted_to_the_tasks_reviewers_not_to_its_labelers(clarifai_stub, clarifai_fake):
    # policy (BEHAVIOUR.md §2.4): "outsider" is no app member; as a reviewer it may, as a labeler it may not
    clarifai_fake.add_input("owner", "main", "in-1", url="https://example.com/in-1.jpg")
    tasks = TaskClient(clarifai_stub, clarifai_fake, MAIN)
    reviewed = human_task(["labeler-1"], strategy="FULL")
    reviewed.review.users.add(id="outsider")
    reviewed_id = tasks.post_task(reviewed)
    labeled_id = tasks.post_task(human_task(["outsider"], strategy="FULL"))
    assert list(ok(samples(clarifai_stub, reviewed_id, metadata=OUTSIDER)).hits) == []
    with unchanged(clarifai_fake):
        refused = samples(clarifai_stub, labeled_id, metadata=OUTSIDER)
    assert_error(refused, Code.CONN_KEY_INVALID, "user 'outsider' has no access to app 'owner/main'")


def test_the_new_reads_answer_the_same_over_json(clarifai_stub, clarifai_json_stub, labeled):
    # descriptor: the google.api.http bindings of ListAnnotationWorkers and GetInputSamples (BEHAVIOUR.md §8.12)
    calls = {
        "ListAnnotationWorkers": service_pb2.ListAnnotationWorkersRequest(
            user_app_id=MAIN, additional_fields=["names"]
        ),
        "GetInputSamples": service_pb2.GetInputSamplesRequest(
            user_app_id=MAIN, task_id=labeled, user_ids=["labeler-2"]
        ),
    }
    for method, request in calls.items():
        answers = [ok(getattr(stub, method)(request, metadata=OWNER)) for stub in (clarifai_stub, clarifai_json_stub)]
        for answer in answers:
            answer.status.ClearField("req_id")
        assert answers[1] == answers[0], method
        assert len(answers[0].ListFields()) > 1, method  # something besides the status


def test_an_annotation_naming_only_the_deprecated_model_version_id_is_a_models(clarifai_stub, clarifai_fake, app):
    # proto: Annotation.model_version_id ("use worker.model.model_version.id")
    with clarifai_fake.store.lock:
        legacy = Annotation(id="legacy", input_id="in-3", model_version_id="old-v")
        clarifai_fake.store.app("owner", "main").add_annotations([legacy])
    assert "legacy" not in listed(clarifai_stub)
    request = service_pb2.ListAnnotationWorkersRequest(user_app_id=MAIN)
    workers = ok(clarifai_stub.ListAnnotationWorkers(request, metadata=OWNER)).workers
    assert workers[-1] == resources_pb2.Worker(
        model=resources_pb2.Model(model_version=resources_pb2.ModelVersion(id="old-v"))
    )
