"""Deterministic mode (BEHAVIOUR.md §1, §8): a seed fixes every generated id, a manual clock every timestamp.

`req_id`s come from a separate generator, so reads, failed calls and retries never shift resource ids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from lifecycle_client import TaskClient, human_task, manual_review

from fake_clarifai import DEFAULT_SEED, Clock, FakeClarifai
from fake_clarifai.ids import IdFactory
from fake_clarifai.server import _REQ_ID_STREAM

START = 1_700_000_000.0
MAIN = resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
HEX_ID = re.compile(r"[0-9a-f]{32}")


@contextmanager
def seeded_fake(seed: int | None = 42) -> Iterator[FakeClarifai]:
    with FakeClarifai(seed=seed, clock=Clock(start=START)) as fake:
        fake.load_seed(DEFAULT_SEED)
        yield fake


def labeling_session(fake: FakeClarifai, *, noise: bool = False) -> str:
    """Inputs with generated ids, a task, labeling and review, each step 5 s after the last, all through the
    channel. With `noise`, reads, refused calls and retried faults come in between. Returns the task id."""
    client = TaskClient(fake.stub(), fake, MAIN)
    owner = fake.metadata("owner-pat")
    images = [
        resources_pb2.Input(data=resources_pb2.Data(image=resources_pb2.Image(url=f"https://x/{n}"))) for n in range(4)
    ]
    response = client.stub.PostInputs(service_pb2.PostInputsRequest(user_app_id=MAIN, inputs=images), metadata=owner)
    assert response.status.code == status_code_pb2.SUCCESS, response.status
    if noise:
        client.stub.GetApp(service_pb2.GetAppRequest(user_app_id=MAIN), metadata=owner)
        client.stub.PostTasks(service_pb2.PostTasksRequest(user_app_id=MAIN), metadata=owner)  # refused: no tasks
        client.stub.ListInputs(service_pb2.ListInputsRequest(user_app_id=MAIN), metadata=fake.metadata("bad-key"))
        fake.faults.fail_next("PostTasks", grpc.StatusCode.UNAVAILABLE, times=2)  # the channel retries
    fake.clock.advance(5)
    task_id = client.post_task(human_task(["labeler-1", "labeler-2"], review=manual_review(["reviewer"], 1.0)))
    fake.clock.advance(5)
    started = client.start("labeler-1", task_id)
    if noise:
        client.stub.ListTasks(service_pb2.ListTasksRequest(user_app_id=MAIN), metadata=owner)
        client.counts(task_id)
    fake.clock.advance(5)
    assert (
        client.label("labeler-1", task_id, started[0].input.id, {"water": 1.0}).status.code == status_code_pb2.SUCCESS
    )
    client.submit("labeler-1", task_id, [a.id for a in started])
    fake.clock.advance(5)
    client.review_start("reviewer", task_id)
    return task_id


def test_two_runs_with_the_same_seed_make_the_same_ids_and_timestamps():
    with seeded_fake() as first, seeded_fake() as second:
        task_id = labeling_session(first)
        assert labeling_session(second) == task_id
        state = first.dump_state()
        assert second.dump_state() == state
    task = state["apps"]["owner/main"]["tasks"][task_id]
    assert HEX_ID.fullmatch(task_id)
    assert task["task"]["created_at"] == "2023-11-14T22:13:25Z"  # START + 5 s
    assignments = task["assignments"]
    # labeler-1's batch; labeler-2 never started, so its planned work has no assignment records (nor ids) yet
    assert len(assignments) == 2 and all(HEX_ID.fullmatch(i) for i in assignments)
    assert {a["created_at"] for a in assignments.values()} == {START + 5}
    annotation_ids = list(state["apps"]["owner/main"]["annotations"])
    assert len(annotation_ids) == 1 and HEX_ID.fullmatch(annotation_ids[0])


def test_reads_refusals_and_retries_do_not_shift_resource_ids():
    with seeded_fake() as quiet, seeded_fake() as noisy:
        assert labeling_session(noisy, noise=True) == labeling_session(quiet)
        assert noisy.dump_state() == quiet.dump_state()
        assert len(noisy.journal) > len(quiet.journal)


def test_req_ids_are_reproducible_under_a_seed():
    with seeded_fake() as first, seeded_fake() as second:
        labeling_session(first)
        labeling_session(second)
        req_ids = [c.response.status.req_id for c in first.journal]
        assert [c.response.status.req_id for c in second.journal] == req_ids
    assert all(HEX_ID.fullmatch(r) for r in req_ids) and len(set(req_ids)) == len(req_ids)


def test_req_ids_are_the_req_id_generators_ids_in_call_order():
    with seeded_fake() as fake:
        labeling_session(fake, noise=True)
        req_ids = [c.response.status.req_id for c in fake.journal if c.response is not None]
    assert req_ids == IdFactory(42 ^ _REQ_ID_STREAM).new_ids(len(req_ids))


def test_another_seed_makes_other_ids():
    with seeded_fake(42) as first, seeded_fake(43) as second:
        assert labeling_session(first) != labeling_session(second)


def test_without_a_seed_ids_are_random_uuid4_hex():
    generated = []
    for _ in range(2):
        with seeded_fake(None) as fake:
            task_id = labeling_session(fake)
            generated += [task_id, *fake.store.app("owner", "main").tasks[task_id].assignments]
    assert len(set(generated)) == len(generated) == 6  # per run: the task, labeler-1's 2 assignments
    for generated_id in generated:
        parsed = uuid.UUID(hex=generated_id)
        assert (parsed.hex, parsed.version, parsed.variant) == (generated_id, 4, uuid.RFC_4122)


def test_reset_rewinds_the_id_generator_and_a_manual_clock():
    with seeded_fake() as fake:
        fake.save_baseline()
        first = labeling_session(fake)
        first_state = fake.dump_state()
        fake.clock.advance(3600)
        fake.reset()
        assert fake.clock.now() == START
        assert labeling_session(fake) == first
        assert fake.dump_state() == first_state


def test_advancing_the_clock_moves_the_timestamps():
    with seeded_fake() as fake:
        owner = fake.metadata("owner-pat")
        stub = fake.stub()
        created = []
        for app_id in ("a", "b"):
            request = service_pb2.PostAppsRequest(apps=[resources_pb2.App(id=app_id)])
            created.append(stub.PostApps(request, metadata=owner).apps[0].created_at.ToSeconds())
            fake.clock.advance(5)
    assert created == [START, START + 5]
