"""The records as stored, made in one place: every path that creates an input, a concept or a dataset (the
RPCs, `FakeClarifai.add_*`, the seed) builds it with these functions, so a record looks the same whichever
way it came in. (Annotations are made by services/annotations.py `new_annotation`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clarifai_grpc.grpc.api import resources_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from fake_clarifai.errors import Code
from fake_clarifai.ids import to_timestamp
from fake_clarifai.store import AppState


def new_concept(app: AppState, requested: resources_pb2.Concept, created_at: Timestamp) -> resources_pb2.Concept:
    """A concept as stored: the caller's fields, named after its id when unnamed, owned by the app."""
    concept = resources_pb2.Concept()
    concept.CopyFrom(requested)
    concept.name = concept.name or concept.id
    concept.value = 1.0
    concept.app_id = app.app_id
    concept.user_id = app.user_id
    concept.created_at.CopyFrom(created_at)
    return concept


def new_dataset(app: AppState, requested: resources_pb2.Dataset, created_at: Timestamp) -> resources_pb2.Dataset:
    """A dataset as stored: the caller's fields, owned by the app, with no members yet."""
    dataset = resources_pb2.Dataset()
    dataset.CopyFrom(requested)
    dataset.app_id = app.app_id
    dataset.user_id = app.user_id
    dataset.created_at.CopyFrom(created_at)
    dataset.modified_at.CopyFrom(created_at)
    return dataset


def new_input(
    input_id: str,
    *,
    data: resources_pb2.Data | None = None,
    url: str = "",
    text: str = "",
    metadata: Mapping[str, Any] | None = None,
    created_at: float,
) -> resources_pb2.Input:
    """An input as stored: `data` (or url/text/metadata) by reference, nothing downloaded, INPUT_DOWNLOAD_SUCCESS."""
    message = resources_pb2.Input(id=input_id, data=data)
    if url:
        message.data.image.url = url
    if text:
        message.data.text.raw = text
    if metadata:
        message.data.metadata.update(dict(metadata))
    message.created_at.CopyFrom(to_timestamp(created_at))
    message.modified_at.CopyFrom(message.created_at)
    message.status.code = Code.INPUT_DOWNLOAD_SUCCESS
    message.status.description = "Download complete"
    return message
