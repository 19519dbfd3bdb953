"""IdFactory: uuid4-shaped ids, reproducible under a seed; a bulk draw is the same ids as one draw each."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.ids import BatchedIds, IdFactory


@given(st.integers(0, 2**64), st.integers(0, 300))
def test_new_ids_are_the_ids_new_id_would_make_one_by_one(seed: int, count: int) -> None:
    bulk, single = IdFactory(seed), IdFactory(seed)
    assert bulk.new_ids(count) == [single.new_id() for _ in range(count)]
    assert bulk.state() == single.state()
    assert bulk.new_id() == single.new_id()


@given(st.integers(0, 2**64), st.integers(1, 50))
def test_ids_are_uuid4_hex(seed: int, count: int) -> None:
    ids = IdFactory(seed).new_ids(count)
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert (parsed.hex, parsed.version, parsed.variant) == (value, 4, uuid.RFC_4122)
    assert len(set(ids)) == count


def test_a_seed_gives_the_same_sequence_and_no_seed_a_different_one() -> None:
    assert IdFactory(7).new_ids(5) == IdFactory(7).new_ids(5)
    assert IdFactory().new_ids(5) != IdFactory().new_ids(5)


@given(st.integers(0, 2**64), st.integers(1, 20), st.integers(0, 200))
def test_batched_ids_are_the_ids_new_id_would_make_one_by_one(seed: int, batch: int, count: int) -> None:
    batched, single = BatchedIds(IdFactory(seed), batch), IdFactory(seed)
    assert [batched.new_id() for _ in range(count)] == [single.new_id() for _ in range(count)]
