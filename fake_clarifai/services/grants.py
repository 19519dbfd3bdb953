"""Grants: who may make an app's call without being a member of the app (docs/BEHAVIOUR.md §2).

A route's `grant(app, user_id, request)` is asked by `auth.enter` only for callers who are neither the
owner nor a collaborator. Services declare them here, so that auth imports the services and never the
other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fake_clarifai.services import Grant
from fake_clarifai.store import AppState


def task_participant(task_id_of: Callable[[Any], str]) -> Grant:
    """A grant for callers who are a worker or reviewer of the request's task."""

    def grant(app: AppState, user_id: str, request: Any) -> bool:
        task = app.tasks.get(task_id_of(request))
        return task is not None and (user_id in task.worker_user_ids or user_id in task.reviewer_user_ids)

    return grant
