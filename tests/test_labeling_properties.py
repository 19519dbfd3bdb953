"""Properties of the fake's labeling and review, written with the kit (`fake_clarifai.testing`,
`fake_clarifai.scenarios`): session-scoped fixtures, one `isolated()` block per example, the in-process
channel, the team driver and the state-machine base."""

from __future__ import annotations

from collections import Counter

from clarifai_grpc.grpc.api import resources_pb2, service_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

from fake_clarifai import scenarios
from fake_clarifai import strategies as cs
from fake_clarifai.domain.assignment import effective_wpi, partition_quotas
from fake_clarifai.invariants import check_invariants
from fake_clarifai.testing import Labeler, LabelingMachine, Reviewer, call_ok, drawn, play, shuffled, text_input

LABELERS = ["labeler-1", "labeler-2", "labeler-3"]
OWNER = (("authorization", "Key owner-pat"),)
SUCCESS, AWAITING = "TASK_ASSIGNMENT_SUCCESS", "TASK_ASSIGNMENT_AWAITING_REVIEW"


def post(stub, app, input_ids, task: resources_pb2.Task) -> str:
    call_ok(
        stub,
        "PostInputs",
        service_pb2.PostInputsRequest(user_app_id=app, inputs=[text_input(i) for i in input_ids]),
        OWNER,
    )
    return call_ok(stub, "PostTasks", service_pb2.PostTasksRequest(user_app_id=app, tasks=[task]), OWNER).tasks[0].id


def labeling_task(
    worker: resources_pb2.TaskWorker,
    review: resources_pb2.TaskReview | None = None,
    concepts: tuple[str, ...] = ("water",),
) -> resources_pb2.Task:
    """A CONCEPTS_CLASSIFICATION task over ALL_INPUTS (review NONE unless given)."""
    return resources_pb2.Task(
        type="CONCEPTS_CLASSIFICATION",
        worker=worker,
        concepts=[resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=c)) for c in concepts],
        input_source=resources_pb2.TaskInputSource(type="ALL_INPUTS"),
        review=review or resources_pb2.TaskReview(strategy="NONE"),
    )


def workers_of(task: resources_pb2.Task) -> list[str]:
    return [w.user.id for w in task.worker.workers]


@given(cs.input_ids(min_size=1, max_size=25), cs.task_workers(LABELERS, strategies=[cs.DYNAMIC]), st.data())
def test_dynamic_gives_every_input_min_wpi_workers_labelers_whatever_the_interleaving(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, input_ids, worker, data
):
    stub, app = clarifai_session_inprocess_stub, clarifai_session_app
    with clarifai_server.isolated():
        task = labeling_task(worker)
        task_id = post(stub, app, input_ids, task)
        team = [Labeler(w, batches_per_round=data.draw(st.integers(1, 2))) for w in workers_of(task)]
        report = play(stub, app, task_id, team, owner_metadata=OWNER, order=drawn(data))
        expected = min(effective_wpi(worker.partitioned_strategy_info.workers_per_input), len(team))
        assert report.finished
        assert {i: len(set(report.inputs[i].labelers)) for i in input_ids} == dict.fromkeys(input_ids, expected)
        assert report.total("success") == expected * len(input_ids)


@given(cs.input_ids(min_size=1, max_size=30), cs.task_workers(LABELERS, strategies=[cs.PARTITIONED]), st.data())
def test_partitioned_counts_equal_the_quotas(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, input_ids, worker, data
):
    stub, app = clarifai_session_inprocess_stub, clarifai_session_app
    info = worker.partitioned_strategy_info
    task = labeling_task(worker)
    weights = dict(info.weights) if info.type == info.WEIGHTED else None
    quotas = partition_quotas(len(input_ids), workers_of(task), info.workers_per_input, weights)
    with clarifai_server.isolated():
        task_id = post(stub, app, input_ids, task)
        before = play(stub, app, task_id, [], owner_metadata=OWNER)
        assert {w: c["pending"] for w, c in before.counts.items()} == quotas
        report = play(
            stub, app, task_id, [Labeler(w) for w in workers_of(task)], owner_metadata=OWNER, order=drawn(data)
        )
        assert {w: c["success"] for w, c in report.counts.items()} == quotas
        assert {w: len(inputs) for w, inputs in report.labeled.items()} == {w: q for w, q in quotas.items() if q}


@given(
    cs.input_ids(min_size=1, max_size=10),
    st.integers(1, 3),
    st.lists(
        st.lists(st.sampled_from(["water", "sky"]), min_size=1, unique=True).map(frozenset), min_size=3, max_size=3
    ),
    st.data(),
)
def test_consensus_approves_exactly_the_inputs_where_n_labelers_agree(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, input_ids, threshold, palette, data
):
    stub, app = clarifai_session_inprocess_stub, clarifai_session_app
    answers = {(w, i): data.draw(st.sampled_from(palette), label=f"{w} on {i}") for w in LABELERS for i in input_ids}
    task = labeling_task(
        resources_pb2.TaskWorker(
            strategy="PARTITIONED",
            workers=[resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in LABELERS],
            partitioned_strategy_info=resources_pb2.TaskWorkerPartitionedStrategyInfo(workers_per_input=3),
        ),
        resources_pb2.TaskReview(
            strategy="CONSENSUS",
            consensus_strategy_info=resources_pb2.TaskReviewConsensusStrategyInfo(
                approval_threshold_labelers=threshold
            ),
            users=[resources_pb2.User(id="reviewer")],
        ),
        concepts=("water", "sky"),
    )
    team = [Labeler(w, answer=lambda i, w=w: dict.fromkeys(answers[(w, i)], 1.0)) for w in LABELERS]
    with clarifai_server.isolated():
        task_id = post(stub, app, input_ids, task)
        play(stub, app, task_id, team, owner_metadata=OWNER, order=drawn(data))
        held = clarifai_server.task_assignments("owner", "main", task_id)
        approved = {i for i in input_ids if all(dict(held[w])[i] == SUCCESS for w in LABELERS)}
        agreed = {i for i in input_ids if max(Counter(answers[(w, i)] for w in LABELERS).values()) >= threshold}
        assert approved == agreed
        awaiting = {i for i in input_ids if all(dict(held[w])[i] == AWAITING for w in LABELERS)}
        assert awaiting == set(input_ids) - agreed


@given(cs.input_ids(min_size=1, max_size=15), st.data())
def test_manual_decisions_leave_the_counts_consistent(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, input_ids, data
):
    stub, app = clarifai_session_inprocess_stub, clarifai_session_app
    task = labeling_task(
        resources_pb2.TaskWorker(
            strategy="DYNAMIC", workers=[resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in LABELERS]
        ),
        resources_pb2.TaskReview(strategy="MANUAL", users=[resources_pb2.User(id="reviewer")]),
    )
    asked: set[str] = set()

    def decide(assignment: resources_pb2.TaskAssignment) -> str:
        first_look = assignment.id not in asked
        asked.add(assignment.id)
        choices = ["approve", "reject", "request_changes"] if first_look else ["approve", "reject"]
        return data.draw(st.sampled_from(choices), label=f"decision on {assignment.input.id}")

    team = [Labeler(w, batches_per_round=data.draw(st.integers(1, 2))) for w in LABELERS]
    with clarifai_server.isolated():
        task_id = post(stub, app, input_ids, task)
        report = play(
            stub, app, task_id, [*team, Reviewer("reviewer", decide=decide)], owner_metadata=OWNER, order=drawn(data)
        )
        assert report.finished
        last = {(labeler, i): d for i, outcome in report.inputs.items() for _, labeler, d in outcome.decisions}
        final = Counter(last.values())
        assert report.total("success") == final["approve"]
        assert report.total("review_denied") == final["reject"]
        assert report.total("pending") == report.total("awaiting_review") == 0
        check_invariants(clarifai_server)


@given(scenarios.worlds(LABELERS, ["reviewer"], ["water", "sky"]), st.data())
def test_any_world_with_owner_events_keeps_the_fake_consistent(
    clarifai_server, clarifai_session_inprocess_stub, clarifai_session_app, world, data
):
    stub, app = clarifai_session_inprocess_stub, clarifai_session_app
    with clarifai_server.isolated():
        task_id = scenarios.post_world(stub, app, OWNER, world)
        for event in data.draw(scenarios.events(world.input_ids, LABELERS), label="events"):
            play(stub, app, task_id, world.team, owner_metadata=OWNER, order=drawn(data), max_rounds=1)
            scenarios.apply_event(stub, app, OWNER, task_id, event)
            world = world.after(event)
            check_invariants(clarifai_server)
        report = play(stub, app, task_id, world.team, owner_metadata=OWNER, order=drawn(data), max_rounds=50)
        check_invariants(clarifai_server)
        held = clarifai_server.task_assignments("owner", "main", task_id)
        assert {w: sum(c.values()) for w, c in report.counts.items()} == {
            w: len(held.get(w, [])) for w in report.counts
        }


def test_request_changes_on_a_deleted_input_does_not_hand_it_out_again(clarifai_fake, clarifai_inprocess_stub):
    # found by LabelingMachine before issue 13's fix: request-changes revived work on a deleted input
    stub, app = clarifai_inprocess_stub, resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
    review = resources_pb2.TaskReview(strategy="MANUAL", users=[resources_pb2.User(id="reviewer")])
    worker = resources_pb2.TaskWorker(
        strategy="DYNAMIC", workers=[resources_pb2.Worker(user=resources_pb2.User(id="labeler-1"))]
    )
    task_id = post(stub, app, ["a"], labeling_task(worker, review))
    play(stub, app, task_id, [Labeler("labeler-1")], owner_metadata=OWNER)
    call_ok(stub, "DeleteInputs", service_pb2.DeleteInputsRequest(user_app_id=app, ids=["a"]), OWNER)
    play(
        stub,
        app,
        task_id,
        [Reviewer("reviewer", decide=lambda _: "request_changes")],
        owner_metadata=OWNER,
        max_rounds=1,
    )
    check_invariants(clarifai_fake)


class LabelingWithTwoKindsOfConcepts(LabelingMachine):
    """The base as a user extends it: one more rule (an owner reading counts) and one more invariant."""

    @rule()
    def the_owner_reads_the_annotation_counts(self) -> None:
        request = service_pb2.GetTaskCountRequest(user_app_id=self.APP, task_id=self.task.id)
        call_ok(self.stub, "GetTaskAnnotationCount", request, self.owner)

    @invariant()
    def nobody_labeled_an_input_twice_in_one_pass(self) -> None:
        for outcome in self.report.inputs.values():
            decided_again = {labeler for _, labeler, d in outcome.decisions if d == "request_changes"}
            repeats = {w for w, n in Counter(outcome.labelers).items() if n > 1}
            assert repeats <= decided_again, f"{repeats} labeled an input twice without being asked to"


def test_the_state_machine_base_runs_on_the_session_server_and_leaves_it_as_it_was(clarifai_server):
    before = clarifai_server.dump_state()
    run_state_machine_as_test(
        lambda: LabelingWithTwoKindsOfConcepts(clarifai_server),
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None),
    )
    assert clarifai_server.dump_state() == before


TestLabelingMachineOnItsOwnFake = LabelingMachine.TestCase
TestLabelingMachineOnItsOwnFake.settings = settings(max_examples=10, stateful_step_count=15, deadline=None)


def test_the_same_seed_plays_the_same_calls_and_another_seed_may_not(clarifai_fake, clarifai_inprocess_stub):
    stub, app = clarifai_inprocess_stub, resources_pb2.UserAppIDSet(user_id="owner", app_id="main")
    worker = resources_pb2.TaskWorker(
        strategy="DYNAMIC", workers=[resources_pb2.Worker(user=resources_pb2.User(id=w)) for w in LABELERS]
    )
    review = resources_pb2.TaskReview(strategy="MANUAL", users=[resources_pb2.User(id="reviewer")])
    task_id = post(stub, app, [f"in-{n}" for n in range(25)], labeling_task(worker, review))
    base = clarifai_fake.snapshot()
    team = [
        *(Labeler(w) for w in LABELERS),
        Reviewer("reviewer", decide=lambda a: "reject" if a.input.id < "in-2" else "approve"),
    ]

    def calls_with(seed: int) -> list[tuple[str | None, str, int]]:
        clarifai_fake.restore(base)
        clarifai_fake.journal.clear()
        play(stub, app, task_id, team, owner_metadata=OWNER, order=shuffled(seed))
        return [(c.user_id, c.method, getattr(c.request, "action", -1)) for c in clarifai_fake.journal]

    assert calls_with(5) == calls_with(5)
    assert len({tuple(calls_with(seed)) for seed in range(5)}) > 1
