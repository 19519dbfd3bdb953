"""Properties of the pure annotation rules (`fake_clarifai.domain.annotation_rules`)."""

from __future__ import annotations

import pytest
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.domain.annotation_rules import (
    SETTABLE_STATUSES,
    annotation_workers,
    is_trusted,
    lists_all,
    settable_status,
    worker_key,
)
from fake_clarifai.errors import ApiError, Code


@st.composite
def annotations(draw: st.DrawFn) -> resources_pb2.Annotation:
    annotation = resources_pb2.Annotation(id=draw(st.uuids()).hex)
    kind, name = draw(st.sampled_from(["user", "model", "workflow", "legacy model"])), draw(st.sampled_from("abc"))
    if kind == "user":
        annotation.worker.user.id = name
    elif kind == "legacy model":
        annotation.model_version_id = f"{name}-v"
    elif kind == "model":
        annotation.worker.model.id = name
        annotation.worker.model.model_version.id = f"{name}-v"
    else:
        annotation.worker.workflow.id = name
    return annotation


@given(st.lists(annotations(), max_size=12), st.booleans())
def test_each_worker_is_listed_once_by_its_first_annotation(made, trusted_only):
    workers = annotation_workers(made, trusted_only)
    keys = [worker_key(a) for a in workers]
    assert len(keys) == len(set(keys))
    kept = [a for a in made if is_trusted(a) or not trusted_only]
    expected_firsts = [a.id for i, a in enumerate(kept) if worker_key(a) not in {worker_key(b) for b in kept[:i]}]
    assert [a.id for a in workers] == expected_firsts
    by_machine = [a.worker.HasField("model") or a.worker.HasField("workflow") or bool(a.model_version_id) for a in made]
    assert [is_trusted(a) for a in made] == [not machine for machine in by_machine]


@given(st.sampled_from(list(Code.values())))
def test_only_annotation_states_are_settable(code):
    if code in SETTABLE_STATUSES:
        assert settable_status(code, "status.code") == code
    else:
        with pytest.raises(ApiError) as refused:
            settable_status(code, "status.code")
        assert refused.value.code == Code.ANNOTATION_INVALID_ARGUMENT
        assert str(refused.value.details).startswith(f"status.code {Code.Name(code)} is not an annotation status")


@given(st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_any_worker_filter_lists_all(flag, users, models, workflows):
    request = service_pb2.ListAnnotationsRequest(
        list_all_annotations=flag,
        user_ids=["u"] if users else [],
        model_version_ids=["m"] if models else [],
        workflow_version_ids=["w"] if workflows else [],
    )
    assert lists_all(request) == (flag or users or models or workflows)
