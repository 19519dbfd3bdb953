"""The real clarifai Python SDK (`pip install 'fake-clarifai[sdk]'`) against the fake, asserting the state it leaves.

Which RPC and fields each SDK method sends is read from the SDK itself (clarifai 12.5.0, clarifai/client/*.py);
the comment on each test names the method and the RPCs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from clarifai_grpc.grpc.api.status import status_code_pb2
from test_cli import start as start_serve

pytest.importorskip("clarifai.client", reason="the clarifai SDK is not installed: pip install 'fake-clarifai[sdk]'")

from clarifai.client.app import App
from clarifai.client.search import Search
from clarifai.client.user import User

OWNER, PAT = "owner", "owner-pat"


@pytest.fixture
def base_url(clarifai_fake) -> str:
    """What CLARIFAI_API_BASE says for a plaintext fake: the scheme tells the SDK not to use TLS."""
    return f"http://{clarifai_fake.host}:{clarifai_fake.port}"


@pytest.fixture
def user(base_url) -> User:
    return User(user_id=OWNER, pat=PAT, base_url=base_url)


@pytest.fixture
def app(base_url) -> App:
    return App(user_id=OWNER, app_id="main", pat=PAT, base_url=base_url)


def main_state(fake):
    return fake.store.app(OWNER, "main")


def test_user_app_lifecycle_create_get_patch_list_delete(user, clarifai_fake):
    # User.create_app → PostApps; User.app → GetApp; patch_app → PatchApp; list_apps → ListApps;
    # delete_app → DeleteApp (SDK clarifai/client/user.py)
    user.create_app(app_id="sdk-app", base_workflow="Empty")
    assert user.app("sdk-app").id == "sdk-app"
    user.patch_app("sdk-app", action="overwrite", description="from the SDK")
    assert clarifai_fake.store.app(OWNER, "sdk-app").app.description == "from the SDK"
    assert "sdk-app" in [a.id for a in user.list_apps()]
    user.delete_app("sdk-app")
    assert clarifai_fake.store.app(OWNER, "sdk-app") is None


def test_user_info_is_the_callers_user(user):
    # User.get_user_info → GetUser (user.py)
    assert user.get_user_info().user.id == OWNER


def test_app_lists_concepts_models_workflows_datasets(app, clarifai_fake):
    # App.list_concepts/list_models/list_workflows/list_datasets → ListConcepts, ListModels, ListWorkflows,
    # ListDatasets (app.py)
    clarifai_fake.add_model(OWNER, "main", "m-1", version_id="v-1")
    clarifai_fake.add_workflow(OWNER, "main", "wf-1", model_id="m-1")
    app.create_dataset("ds-1")
    assert sorted(c.id for c in app.list_concepts()) == ["sky", "water"]
    assert [m.id for m in app.list_models(only_in_app=True)] == ["m-1"]
    assert [w.id for w in app.list_workflows(only_in_app=True)] == ["wf-1"]
    assert [d.id for d in app.list_datasets()] == ["ds-1"]


def test_inputs_upload_from_url_bytes_text_file_then_list_and_count(app, clarifai_fake, tmp_path):
    # Inputs.upload_from_url/_bytes/upload_text/upload_from_file → PostInputs; list_inputs → ListInputs;
    # App.get_input_count → GetInputCount (input.py, app.py)
    inputs = app.inputs()
    inputs.upload_from_url(input_id="url-1", image_url="https://samples.clarifai.com/metro-north.jpg")
    inputs.upload_from_bytes(input_id="bytes-1", image_bytes=b"\x89PNG not really")
    inputs.upload_text(input_id="text-1", raw_text="a text input")
    path = tmp_path / "note.txt"
    path.write_text("from a file")
    inputs.upload_from_file(input_id="file-1", text_file=str(path))
    listed = {i.id: i for i in inputs.list_inputs()}
    assert set(listed) == {"url-1", "bytes-1", "text-1", "file-1"}
    assert app.get_input_count() == 4
    # bytes are answered with a hosted URL the fake serves, never echoed back as base64 (the SDK's
    # list_inputs fails on a str base64 otherwise)
    hosted = listed["bytes-1"].data.image
    assert not hosted.base64
    with urllib.request.urlopen(hosted.url, timeout=5) as answer:
        assert answer.read() == b"\x89PNG not really"
    assert main_state(clarifai_fake).inputs["file-1"].data.text.raw == "from a file"


def test_inputs_patch_and_delete(app, clarifai_fake):
    # Inputs.patch_inputs → PatchInputs (action merge); delete_inputs → DeleteInputs (input.py)
    inputs = app.inputs()
    inputs.upload_from_url(input_id="url-1", image_url="https://samples.clarifai.com/metro-north.jpg")
    change = inputs.get_input_from_url("url-1", image_url="https://samples.clarifai.com/metro-north.jpg")
    change.data.ClearField("image")
    change.data.metadata.update({"split": "train"})
    inputs.patch_inputs([change], action="merge")
    assert dict(main_state(clarifai_fake).inputs["url-1"].data.metadata) == {"split": "train"}
    inputs.delete_inputs([change])
    assert "url-1" not in main_state(clarifai_fake).inputs


def test_annotations_upload_list_patch_delete(app, clarifai_fake):
    # Inputs.upload_annotations → PostAnnotations; list_annotations → ListAnnotations; patch_annotations →
    # PatchAnnotations; delete_annotations → DeleteAnnotations (input.py)
    inputs = app.inputs()
    inputs.upload_from_url(input_id="url-1", image_url="https://samples.clarifai.com/metro-north.jpg")
    label = inputs.get_bbox_proto("url-1", "water", [0.1, 0.1, 0.5, 0.5], label_id="water", annot_id="ann-1")
    inputs.upload_annotations([label], show_log=False)
    assert [a.id for a in inputs.list_annotations()] == ["ann-1"]
    moved = inputs.get_bbox_proto("url-1", "water", [0.2, 0.2, 0.6, 0.6], label_id="water", annot_id="ann-1")
    inputs.patch_annotations([moved], action="overwrite")
    box = main_state(clarifai_fake).annotations["ann-1"].data.regions[0].region_info.bounding_box
    assert (round(box.left_col, 3), round(box.top_row, 3)) == (0.2, 0.2)
    inputs.delete_annotations(input_ids=["url-1"], annotation_ids=["ann-1"])
    assert "ann-1" not in main_state(clarifai_fake).annotations


def test_dataset_upload_from_csv_waits_on_the_add_job_and_versions(app, clarifai_fake, tmp_path):
    # Dataset.upload_from_csv → PostInputs with inputs_add_job_id, then GetInputsAddJob polling and ListInputs
    # with status INPUT_DOWNLOAD_SUCCESS (input.py `_wait_for_inputs`, `_delete_failed_inputs`);
    # create_version → PostDatasetVersions; list_versions → ListDatasetVersions (dataset.py)
    dataset = app.create_dataset("ds-1")
    csv = Path(tmp_path, "data.csv")
    csv.write_text("inputid,input,concepts,metadata,geopoints\nc1,hello water,water,,\nc2,clear sky,sky,,\n")
    dataset.upload_from_csv(csv_path=str(csv), input_type="text", csv_type="raw", labels=True)
    state = main_state(clarifai_fake)
    assert list(state.dataset_members["ds-1"]) == ["c1", "c2"]
    assert [c.id for c in state.inputs["c1"].data.concepts] == ["water"]
    [job] = state.inputs_add_jobs.values()
    assert job.progress.success_count == 2 and job.status.code == status_code_pb2.JOB_COMPLETED
    assert sorted(i.id for i in dataset.list_inputs()) == ["c1", "c2"]
    version = dataset.create_version(description="first")
    assert [v.version.id for v in dataset.list_versions()] == [version.version.id]
    assert state.dataset_versions["ds-1"][version.version.id].metrics["/"].inputs_count.value == 2


def test_search_filters_by_concept_metadata_type_and_dataset(app, base_url):
    # Search.query → PostInputsSearches with Filter(annotation=..., input=...) (search.py `query`)
    inputs = app.inputs()
    inputs.upload_from_url(input_id="wet", image_url="https://x.test/wet.jpg", labels=["water"])
    inputs.upload_text(input_id="words", raw_text="no picture", labels=["sky"])
    app.create_dataset("ds-1")
    inputs.upload_text(input_id="member", raw_text="in the dataset", dataset_id="ds-1")
    search = Search(user_id=OWNER, app_id="main", pat=PAT, base_url=base_url, top_k=10)

    def ids(**criteria) -> list[str]:
        return [hit.input.id for page in search.query(filters=[criteria]) for hit in page.hits]

    assert ids(concepts=[{"id": "water", "value": 1}]) == ["wet"]
    assert ids(input_types=["text"]) == ["words", "member"]
    assert ids(input_dataset_ids=["ds-1"]) == ["member"]


def test_search_by_similarity_is_refused_clearly(app, base_url):
    # A rank (vector search) is not emulated: CONN_INVALID_REQUEST naming the rank, not a wrong answer
    search = Search(user_id=OWNER, app_id="main", pat=PAT, base_url=base_url, top_k=10)
    with pytest.raises(Exception, match=r"ranks\[0\]: ranking by similarity is not emulated"):
        list(search.query(ranks=[{"image_url": "https://samples.clarifai.com/dog.tiff"}]))


def test_the_sdk_over_tls_with_the_fakes_ca(clarifai_tls_fake):
    # The SDK's https:// base uses ClarifaiChannel.get_grpc_channel with root_certificates_path (auth/helper.py)
    user = User(
        user_id=OWNER,
        pat=PAT,
        base_url=f"https://localhost:{clarifai_tls_fake.port}",
        root_certificates_path=clarifai_tls_fake.ca_file,
    )
    assert [a.id for a in user.list_apps()] == ["main"]


def test_the_lines_serve_prints_are_what_the_sdk_needs(tmp_path):
    # `fake-clarifai serve --tls` prints CLARIFAI_API_BASE (https://) and CLARIFAI_ROOT_CERTIFICATES_PATH, the
    # variables the SDK reads (clarifai/client/auth/helper.py `from_env`); an SDK process given them reaches it
    serve = start_serve("--port", "0", "--tls")
    try:
        exports: dict[str, str] = {}
        while "CLARIFAI_APP_ID" not in exports:
            line = serve.stdout.readline()
            assert line, serve.stderr.read()
            if line.strip().startswith("export "):
                name, _, value = line.strip()[len("export ") :].partition("=")
                exports[name] = value
        assert exports["CLARIFAI_API_BASE"].startswith("https://localhost:")
        script = "from clarifai.client.user import User; print([a.id for a in User(user_id='owner').list_apps()])"
        env = {**os.environ, **exports}
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().splitlines()[-1] == "['main']"
    finally:
        serve.terminate()
        serve.wait(timeout=10)
