"""Property tests of the pure assignment engine (BEHAVIOUR.md §5): FULL, PARTITIONED and the DYNAMIC pool."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from fake_clarifai import strategies as cs
from fake_clarifai.domain.assignment import (
    AssignmentConfigError,
    DynamicPool,
    FullPlan,
    PartitionPlan,
    assign_full,
    assign_partitioned,
    deal_partitioned,
    effective_wpi,
    open_slots,
    partition_quotas,
    validate_partitioned,
)
from fake_clarifai.domain.work import key_sequence
from fake_clarifai.persistent import CHUNK

WEIGHTS = "worker.partitioned_strategy_info.weights"
WPI = "worker.partitioned_strategy_info.workers_per_input"


def exact_shares(n: int, config: cs.PartitionedConfig) -> dict[str, Fraction]:
    """n·wpi·wᵢ/Σw for every worker, exactly (floats convert to Fraction without rounding)."""
    wpi = effective_wpi(config.workers_per_input)
    weights = {w: Fraction(1) if config.weights is None else Fraction(config.weights[w]) for w in config.workers}
    total = sum(weights.values())
    return {w: n * wpi * weight / total for w, weight in weights.items()}


def assert_largest_remainder(counts: Mapping[str, int], exact: Mapping[str, Fraction], workers: Sequence[str]) -> None:
    """Hamilton: each count is its exact share rounded down or up, they add up to the slots, and every worker
    rounded up has a remainder at least as large as every worker rounded down (the earlier one on a tie)."""
    assert sum(counts.values()) == sum(exact.values())
    floors = {w: math.floor(exact[w]) for w in workers}
    assert all(counts[w] in (floors[w], floors[w] + 1) for w in workers)
    up = [i for i, w in enumerate(workers) if counts[w] == floors[w] + 1]
    down = [i for i, w in enumerate(workers) if counts[w] == floors[w] and exact[w] != floors[w]]
    for i in up:
        for j in down:
            ri, rj = exact[workers[i]] - floors[workers[i]], exact[workers[j]] - floors[workers[j]]
            assert ri > rj or (ri == rj and i < j), (workers[i], workers[j])


def naive_deal(input_ids: Sequence[str], workers: Sequence[str], wpi: int, quotas: Mapping[str, int]) -> dict:
    """The dealing rule read literally: sort all workers per input."""
    left = dict(quotas)
    dealt: dict[str, list[str]] = {w: [] for w in workers}
    for input_id in input_ids:
        chosen = sorted(range(len(workers)), key=lambda i: (-left[workers[i]], i))[:wpi]
        for i in chosen:
            assert left[workers[i]] > 0
            left[workers[i]] -= 1
            dealt[workers[i]].append(input_id)
    return dealt


def binds_cap(n: int, config: cs.PartitionedConfig) -> bool:
    return any(share > n for share in exact_shares(n, config).values())


# --- FULL ---------------------------------------------------------------------------------------------


@given(cs.input_ids(), cs.worker_ids())
def test_full_gives_every_worker_every_input_in_source_order(inputs: list[str], workers: list[str]) -> None:
    result = assign_full(inputs, workers)
    assert list(result) == workers
    assert all(assigned == inputs for assigned in result.values())


def test_full_lists_are_independent() -> None:
    result = assign_full(["a", "b"], ["w1", "w2"])
    result["w1"].append("c")
    assert result["w2"] == ["a", "b"]


# --- PARTITIONED quotas -------------------------------------------------------------------------------


@given(st.integers(0, 500), cs.partitioned_configs())
def test_quotas_are_the_largest_remainder_apportionment(n: int, config: cs.PartitionedConfig) -> None:
    assume(not binds_cap(n, config))
    quotas = partition_quotas(n, config.workers, effective_wpi(config.workers_per_input), config.weights)
    assert list(quotas) == list(config.workers)
    assert_largest_remainder(quotas, exact_shares(n, config), config.workers)


@given(st.integers(0, 500), cs.partitioned_configs(weighted=False))
def test_evenly_quotas_differ_by_at_most_one(n: int, config: cs.PartitionedConfig) -> None:
    quotas = partition_quotas(n, config.workers, effective_wpi(config.workers_per_input), None)
    assert max(quotas.values()) - min(quotas.values()) <= 1
    assert sum(quotas.values()) == n * effective_wpi(config.workers_per_input)


def test_quota_ties_go_to_the_worker_listed_first() -> None:
    # 10 slots over 3 equal workers: 3⅓ each, the one spare slot goes to the first listed.
    assert partition_quotas(10, ["c", "a", "b"], 1, None) == {"c": 4, "a": 3, "b": 3}
    assert partition_quotas(5, ["c", "a", "b"], 2, None) == {"c": 4, "a": 3, "b": 3}


def test_quota_is_capped_at_one_slot_per_input() -> None:
    # a's share is 1/2 + 5e-10 (admitted by the tolerance); its exact quota would be n + 10, but each input
    # has only one slot per worker, so a is held at n and b and c share the other n inputs by weight.
    n = 10**10
    weights = {"a": 2 + 4e-9, "b": 1.0, "c": 1.0}
    assert validate_partitioned(["a", "b", "c"], 2, weights) == weights
    quotas = partition_quotas(n, ["a", "b", "c"], 2, weights)
    assert quotas == {"a": n, "b": n // 2, "c": n // 2}


# --- PARTITIONED dealing ------------------------------------------------------------------------------


@given(cs.input_ids(), cs.partitioned_configs())
def test_partitioned_gives_each_input_wpi_distinct_workers_and_each_worker_its_quota(
    inputs: list[str], config: cs.PartitionedConfig
) -> None:
    wpi = effective_wpi(config.workers_per_input)
    result = assign_partitioned(inputs, config.workers, config.workers_per_input, config.weights)
    assert list(result) == list(config.workers)
    workers_of = Counter(input_id for assigned in result.values() for input_id in set(assigned))
    assert all(len(set(assigned)) == len(assigned) for assigned in result.values())
    assert all(workers_of[input_id] == wpi for input_id in inputs)
    assert set(workers_of) <= set(inputs)
    position = {input_id: i for i, input_id in enumerate(inputs)}
    assert all([position[i] for i in assigned] == sorted(position[i] for i in assigned) for assigned in result.values())
    counts = {w: len(assigned) for w, assigned in result.items()}
    n = len(inputs)
    if binds_cap(n, config):
        assert all(count <= n for count in counts.values()) and sum(counts.values()) == n * wpi
    else:
        assert_largest_remainder(counts, exact_shares(n, config), config.workers)


@given(cs.input_ids(), cs.partitioned_configs())
def test_partitioned_counts_are_within_one_of_the_exact_share(inputs: list[str], config: cs.PartitionedConfig) -> None:
    n = len(inputs)
    assume(not binds_cap(n, config))
    result = assign_partitioned(inputs, config.workers, config.workers_per_input, config.weights)
    exact = exact_shares(n, config)
    assert all(abs(len(result[w]) - exact[w]) < 1 for w in config.workers)
    if config.weights is None:
        assert max(map(len, result.values())) - min(map(len, result.values())) <= 1


@given(cs.input_ids(), cs.partitioned_configs())
def test_partitioned_deals_each_input_to_the_workers_with_most_quota_left(
    inputs: list[str], config: cs.PartitionedConfig
) -> None:
    wpi = effective_wpi(config.workers_per_input)
    quotas = partition_quotas(len(inputs), config.workers, wpi, config.weights)
    assert assign_partitioned(inputs, config.workers, wpi, config.weights) == naive_deal(
        inputs, config.workers, wpi, quotas
    )


@given(cs.input_ids(), cs.partitioned_configs())
def test_partitioned_is_a_pure_function_of_its_arguments(inputs: list[str], config: cs.PartitionedConfig) -> None:
    first = assign_partitioned(inputs, config.workers, config.workers_per_input, config.weights)
    weights = None if config.weights is None else dict(reversed(list(config.weights.items())))
    again = assign_partitioned(tuple(inputs), list(config.workers), config.workers_per_input, weights)
    assert first == again


def test_partitioned_worked_example() -> None:
    # quotas 7/7/6 of 20 slots; each input to the 2 with most left, ties to the earlier worker.
    result = assign_partitioned([str(i) for i in range(10)], ["a", "b", "c"], 2, None)
    assert result == {
        "a": ["0", "1", "2", "4", "5", "7", "8"],
        "b": ["0", "1", "3", "4", "6", "7", "9"],
        "c": ["2", "3", "5", "6", "8", "9"],
    }


def test_zero_workers_per_input_means_one() -> None:
    assert effective_wpi(0) == 1
    assert effective_wpi(3) == 3
    assert assign_partitioned(["x", "y"], ["a", "b"], 0, None) == {"a": ["x"], "b": ["y"]}


# --- PARTITIONED validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workers", "wpi", "weights", "field", "value", "words"),
    [
        (["a", "b"], -1, None, WPI, -1, "negative"),
        (["a", "b"], 3, None, WPI, 3, "exceeds the number of workers (2)"),
        ([], 0, None, WPI, 0, "exceeds the number of workers (0)"),
        (["a", "b"], 1, {"a": 1.0, "b": True}, f"{WEIGHTS}.b", True, "true is not a number"),
        (["a", "b"], 1, {"a": "3", "b": 1.0}, f"{WEIGHTS}.a", "3", '"3" is not a number'),
        (["a", "b"], 1, {"a": 1.0, "b": math.inf}, f"{WEIGHTS}.b", math.inf, "not a finite number"),
        (["a", "b"], 1, {"a": 0.0, "b": 1.0}, f"{WEIGHTS}.a", 0.0, "not positive"),
        (["a", "b"], 1, {"a": 1.0, "b": -2}, f"{WEIGHTS}.b", -2, "not positive"),
        (["a", "b"], 1, {"a": 1.0}, f"{WEIGHTS}.b", None, "is missing"),
        (["a", "b"], 1, {"a": 1.0, "b": 1.0, "ghost": 2.0}, f"{WEIGHTS}.ghost", 2.0, "not a worker"),
        (["a", "b", "c"], 2, {"a": 51, "b": 25, "c": 24}, f"{WEIGHTS}.a", 51, "more than 1/workers_per_input = 1/2"),
        (["a", "b", "a"], 1, None, "worker.workers[2]", "a", "listed twice"),
        (["a", "b"], 1, {"a": 10**400, "b": 1.0}, f"{WEIGHTS}.a", 10**400, "not a finite number"),
        (["a", "b"], 2, {"a": 1e308, "b": 1.0}, f"{WEIGHTS}.a", 1e308, "more than 1/workers_per_input"),
    ],
)
def test_each_invalid_config_names_field_and_value(
    workers: list[str], wpi: int, weights: dict | None, field: str, value: object, words: str
) -> None:
    with pytest.raises(AssignmentConfigError) as raised:
        validate_partitioned(workers, wpi, weights)
    assert raised.value.field == field
    assert raised.value.value == value
    assert str(raised.value).startswith(field)
    assert words in str(raised.value)


@pytest.mark.parametrize(
    ("workers", "wpi", "weights"),
    [
        (["a", "b", "c"], 3, {"a": 0.1, "b": 0.1, "c": 0.1}),  # equal shares exactly at the bound
        (["a", "b", "c", "d"], 2, {"a": 0.7, "b": 0.7, "c": 0.3, "d": 0.4}),  # a and b at 1/2 in floats
        (["a", "b"], 2, {"a": 1 + 3e-9, "b": 1.0}),  # 1/2 + 7.5e-10: within the tolerance
        (["a", "b"], 0, {"a": 1000.0, "b": 1}),  # one worker per input: any weights
        (["a", "b", "c"], 2, {"a": 1e308, "b": 1e308, "c": 1e308}),  # their sum overflows a float
        (["a", "b"], 2, {"a": 5e-324, "b": 5e-324}),  # the smallest float there is
    ],
)
def test_shares_at_the_bound_are_valid(workers: list[str], wpi: int, weights: dict) -> None:
    assert validate_partitioned(workers, wpi, weights) == {w: float(v) for w, v in weights.items()}


def test_a_share_beyond_the_tolerance_is_rejected() -> None:
    with pytest.raises(AssignmentConfigError) as raised:
        validate_partitioned(["a", "b"], 2, {"a": 1 + 1e-8, "b": 1.0})
    assert raised.value.field == f"{WEIGHTS}.a"


# --- DYNAMIC ------------------------------------------------------------------------------------------

WORKERS = ("w1", "w2", "w3", "w4")
NAMES = st.sampled_from([f"in-{i}" for i in range(30)])


class DynamicPoolMachine(RuleBasedStateMachine):
    """The pool against a model: which workers had each input, which were removed, in source order."""

    @initialize(wpi=st.integers(0, len(WORKERS)), initial=st.lists(NAMES, max_size=15))
    def start(self, wpi: int, initial: list[str]) -> None:
        self.pool = DynamicPool(wpi, initial)
        self.wpi = effective_wpi(wpi)
        self.order: list[str] = list(dict.fromkeys(initial))
        self.had: dict[str, set[str]] = {input_id: set() for input_id in self.order}
        self.removed: set[str] = set()

    def eligible(self, worker: str) -> list[str]:
        return [
            i for i in self.order if i not in self.removed and worker not in self.had[i] and len(self.had[i]) < self.wpi
        ]

    @rule(input_ids=st.lists(NAMES, max_size=8))
    def add_inputs(self, input_ids: list[str]) -> None:
        self.pool.add_inputs(input_ids)
        for input_id in input_ids:
            if input_id not in self.had:
                self.order.append(input_id)
                self.had[input_id] = set()

    @rule(input_id=NAMES)
    def remove_input(self, input_id: str) -> None:
        self.pool.remove_input(input_id)
        if input_id in self.had:
            self.removed.add(input_id)

    @rule(worker=st.sampled_from(WORKERS), limit=st.one_of(st.none(), st.integers(0, 15)))
    def take(self, worker: str, limit: int | None) -> None:
        self.take_and_check(worker, limit)

    def take_and_check(self, worker: str, limit: int | None) -> list[str]:
        batch = self.pool.take(worker) if limit is None else self.pool.take(worker, limit)
        # Exactly the first `limit` inputs (default 10) that are not removed, not had by this worker and
        # had by fewer than wpi workers, in source order.
        assert batch == self.eligible(worker)[: 10 if limit is None else limit]
        for input_id in batch:
            self.had[input_id].add(worker)
        return batch

    @rule()
    def continue_on_a_clone(self) -> None:
        clone = self.pool.clone()
        for worker in WORKERS:  # wreck the original: the clone must not notice
            self.pool.take(worker, 100)
        self.pool.add_inputs(["original-only"])
        for input_id in self.order:
            self.pool.remove_input(input_id)
        self.pool = clone

    @rule()
    def drain(self) -> None:
        """Workers keep taking until nobody gets anything: then every live input was had by wpi workers."""
        while any([self.take_and_check(worker, None) for worker in WORKERS]):
            pass
        for input_id in self.order:
            if input_id not in self.removed:
                assert len(self.had[input_id]) == self.wpi

    @invariant()
    def counts_match_the_model(self) -> None:
        assert all(self.pool.handed(input_id) == len(self.had[input_id]) for input_id in self.order)
        assert self.pool.handed("original-only") == 0
        assert len(self.pool) == len(self.order)


TestDynamicPool = DynamicPoolMachine.TestCase
TestDynamicPool.settings = settings(max_examples=150, stateful_step_count=40)


# -- PartitionPlan: the dealt work not handed out yet ------------------------------------------------------


@st.composite
def plans(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    """A source and a deal of it: each worker gets a subsequence of the source, in source order."""
    source = [f"in-{n}" for n in range(draw(st.integers(0, 12)))]
    workers = [f"w-{n}" for n in range(draw(st.integers(1, 4)))]
    return source, {w: [i for i in source if draw(st.booleans())] for w in workers}


@given(plans(), st.lists(st.tuples(st.sampled_from(["take", "through", "all", "remove"]), st.integers(0, 30))))
def test_a_plan_hands_each_worker_its_dealt_inputs_in_order_once_skipping_removed_ones(
    planned: tuple[list[str], dict[str, list[str]]], operations: list[tuple[str, int]]
) -> None:
    source, dealt = planned
    plan = PartitionPlan.of(dealt, source, made_at=5.0)
    model = {w: list(ids) for w, ids in dealt.items()}  # what is left, the obvious way
    workers = list(dealt)
    for operation, n in operations:
        worker = workers[n % len(workers)]
        before = plan.clone()
        before_left = {w: before.inputs_of(w) for w in workers}
        if operation == "take":
            assert plan.take(worker, n % 4) == model[worker][: n % 4]
            del model[worker][: n % 4]
        elif operation == "all":
            assert plan.take_all(worker) == model[worker]
            model[worker] = []
        elif operation == "through" and model[worker]:
            target = model[worker][n % len(model[worker])]
            cut = model[worker].index(target) + 1
            assert plan.take_through(worker, target) == model[worker][:cut]
            del model[worker][:cut]
        elif operation == "remove" and source:
            removed = source[n % len(source)]
            assert plan.workers_of(removed) == [w for w in workers if removed in model[w]]
            plan.remove_input(removed)
            model = {w: [i for i in ids if i != removed] for w, ids in model.items()}
        assert {w: before.inputs_of(w) for w in workers} == before_left  # the clone did not follow the change
        for w in workers:
            assert (plan.inputs_of(w), plan.left(w)) == (model[w], len(model[w]))
            assert all(plan.has(w, i) == (i in model[w]) for i in source)
    assert plan.made_at == 5.0


def test_a_plan_clone_does_not_see_its_originals_later_changes() -> None:
    plan = PartitionPlan.of({"w-1": ["in-1", "in-2", "in-3"]}, ["in-1", "in-2", "in-3"], made_at=0.0)
    copy = plan.clone()
    assert plan.take("w-1", 2) == ["in-1", "in-2"]
    plan.remove_input("in-3")
    assert (copy.inputs_of("w-1"), copy.left("w-1")) == (["in-1", "in-2", "in-3"], 3)
    assert copy.take_through("w-1", "in-2") == ["in-1", "in-2"]
    assert (plan.inputs_of("w-1"), plan.left("w-1")) == ([], 0)


def test_take_through_an_input_not_planned_for_the_worker_is_refused() -> None:
    plan = PartitionPlan.of({"w-1": ["in-1"], "w-2": ["in-2"]}, ["in-1", "in-2"], made_at=0.0)
    with pytest.raises(KeyError, match="'in-2' is not planned for worker 'w-1'"):
        plan.take_through("w-1", "in-2")
    assert plan.inputs_of("w-1") == ["in-1"]


# -- dealing around work that is already held (an overwrite) ---------------------------------------------


@st.composite
def held_work(draw: st.DrawFn) -> tuple[list[str], list[str], int, dict[str, frozenset[str]]]:
    """Inputs, workers (some held work is by a worker no longer listed), wpi, and input -> holders."""
    input_ids = [f"in-{n}" for n in range(draw(st.integers(0, 12)))]
    workers = [f"w-{n}" for n in range(draw(st.integers(1, 4)))]
    wpi = draw(st.integers(1, len(workers)))
    everyone = [*workers, "gone"]
    held = {i: frozenset(draw(st.lists(st.sampled_from(everyone), max_size=wpi + 1, unique=True))) for i in input_ids}
    return input_ids, workers, wpi, {i: h for i, h in held.items() if h}


@given(held_work())
def test_partitioned_deals_each_input_only_its_open_slots_to_workers_not_holding_it(case) -> None:
    input_ids, workers, wpi, held = case
    dealt = assign_partitioned(input_ids, workers, wpi, None, held)
    new = {i: [w for w in workers if i in dealt[w]] for i in input_ids}
    for input_id in input_ids:
        holders = held.get(input_id, frozenset())
        assert len(new[input_id]) == open_slots(wpi, holders)
        assert not holders & set(new[input_id])
        assert len(holders | set(new[input_id])) == max(wpi, len(holders))
    assert all(dealt[w] == [i for i in input_ids if i in dealt[w]] for w in workers)  # source order


@given(held_work())
def test_full_gives_each_worker_the_inputs_it_does_not_hold(case) -> None:
    input_ids, workers, _, held = case
    dealt = assign_full(input_ids, workers, held)
    assert dealt == {w: [i for i in input_ids if w not in held.get(i, ())] for w in workers}


@given(held_work(), st.lists(st.integers(0, 3), max_size=30))
def test_a_pool_made_around_held_work_fills_only_the_open_slots(case, callers) -> None:
    input_ids, workers, wpi, held = case
    pool = DynamicPool(wpi, input_ids, held)
    got: dict[str, set[str]] = {i: set(held.get(i, ())) for i in input_ids}
    for caller in callers:
        worker = workers[caller % len(workers)]
        for input_id in pool.take(worker, 3):
            assert worker not in got[input_id]
            got[input_id].add(worker)
    for input_id in input_ids:
        assert len(got[input_id]) <= max(wpi, len(held.get(input_id, ())))


# -- FULL implied: a FullPlan is the explicit plan of assign_full ---------------------------------------------


def observed(plan: PartitionPlan | FullPlan, source: Sequence[str]) -> tuple:
    """Everything a plan answers about its work: per worker what is left (listed and counted) and, per
    input of the source (and one that is not), who has it planned."""
    workers = plan.workers()
    probes = [*source, "not-in-source"]
    return (
        workers,
        {w: (plan.inputs_of(w), plan.left(w)) for w in [*workers, "not-a-worker"]},
        {i: plan.workers_of(i) for i in probes},
        {(w, i): plan.has(w, i) for w in [*workers, "not-a-worker"] for i in probes},
    )


OPERATIONS = st.lists(st.tuples(st.sampled_from(["take", "through", "all", "remove", "clone"]), st.integers(0, 10**6)))


def check_against_model(plan: FullPlan, model: PartitionPlan, source: Sequence[str], operations) -> None:
    """Apply each operation to the implied plan and to its explicit model: same answers, same state, and a
    clone taken before each operation does not follow it."""
    workers = model.workers()
    for operation, n in operations:
        before, before_seen = plan.clone(), observed(plan, source)
        if workers:
            worker = workers[n % len(workers)]
            if operation == "take":
                assert plan.take(worker, n % 5) == model.take(worker, n % 5)
            elif operation == "all":
                assert plan.take_all(worker) == model.take_all(worker)
            elif operation == "through" and model.inputs_of(worker):
                target = model.inputs_of(worker)[n % model.left(worker)]
                assert plan.take_through(worker, target) == model.take_through(worker, target)
        if operation == "remove" and source:
            removed = source[n % len(source)]
            plan.remove_input(removed)
            model.remove_input(removed)
        if operation == "clone":
            plan, model = plan.clone(), model.clone()
        assert observed(plan, source) == observed(model, source)
        assert observed(before, source) == before_seen  # the clone did not follow the change
    assert (plan.bounded, model.bounded, plan.handed_at(99.0)) == (False, False, 5.0)


@given(held_work(), OPERATIONS)
def test_a_full_plan_answers_as_the_explicit_deal_of_assign_full(case, operations) -> None:
    source, workers, _, held = case
    explicit = PartitionPlan.of(assign_full(source, workers, held), source, made_at=5.0, bounded=False)
    check_against_model(FullPlan(key_sequence(source), workers, 5.0, held), explicit, source, operations)


@settings(max_examples=25)
@given(st.integers(0, 3 * CHUNK), st.integers(0, 3), OPERATIONS)
def test_a_full_plan_over_several_chunks_answers_as_the_explicit_deal(size, n_workers, operations) -> None:
    """Sources of more than one chunk of the shared sequence; a worker listed with no work at all."""
    source = [f"in-{n}" for n in range(size)]
    workers = [f"w-{n}" for n in range(n_workers)]
    explicit = PartitionPlan.of(assign_full(source, workers), source, made_at=5.0, bounded=False)
    check_against_model(FullPlan(key_sequence(source), workers, 5.0), explicit, source, operations)


@settings(max_examples=25)
@given(st.integers(0, 3 * CHUNK), st.integers(1, 5), st.data())
def test_a_partitioned_plan_of_dealt_positions_is_the_plan_of_the_dealt_ids(size, n_workers, data) -> None:
    """`deal_partitioned` positions over the shared sequence, and the plan of `assign_partitioned`'s ids,
    answer alike through takes and removals (sources of several chunks: positions far apart are jumped)."""
    source = [f"in-{n}" for n in range(size)]
    workers = [f"w-{n}" for n in range(n_workers)]
    wpi = data.draw(st.integers(1, n_workers))
    dealt = deal_partitioned(source, workers, wpi, None)
    ids = assign_partitioned(source, workers, wpi, None)
    assert {w: [source[p] for p in positions] for w, positions in dealt.items()} == ids
    plan = PartitionPlan(dealt, key_sequence(source), 5.0)
    model = PartitionPlan.of(ids, source, 5.0)
    for operation, n in data.draw(OPERATIONS):
        worker = workers[n % n_workers]
        if operation == "take":
            assert plan.take(worker, n % 40) == model.take(worker, n % 40)
        elif operation == "through" and model.left(worker):
            target = model.inputs_of(worker)[n % model.left(worker)]
            assert plan.take_through(worker, target) == model.take_through(worker, target)
        elif operation == "remove" and source:
            plan.remove_input(source[n % size])
            model.remove_input(source[n % size])
        assert observed(plan, source) == observed(model, source)


def test_a_full_plan_keeps_no_list_per_worker_and_shares_its_source_with_its_clone() -> None:
    source = key_sequence(f"in-{n}" for n in range(10 * CHUNK))
    plan = FullPlan(source, ["w-1", "w-2", "w-3"], 0.0)
    assert plan.take("w-1", 2) == ["in-0", "in-1"]
    copy = plan.clone()
    assert copy._source is plan._source and copy._held is plan._held
    assert not any(isinstance(value, list) for value in (plan._cursor, plan._left, plan._held))
    assert (copy.left("w-1"), copy.left("w-2")) == (10 * CHUNK - 2, 10 * CHUNK)
