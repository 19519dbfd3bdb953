"""The O(1)-copy containers (fake_clarifai/persistent.py) behave as a dict / a list, and copies never see
each other's writes: a model-based property over random operations on several copies at once."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.persistent import CHUNK, KeySequence, PList, PMap

keys = st.integers(0, 3 * CHUNK).map(lambda n: f"k{n}")
map_ops = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(0, 3), keys, st.integers()),
        st.tuples(st.just("del"), st.integers(0, 3), keys),
        st.tuples(st.just("pop"), st.integers(0, 3), keys),
        st.tuples(st.just("update"), st.integers(0, 3), st.lists(st.tuples(keys, st.integers()), max_size=2 * CHUNK)),
        st.tuples(st.just("copy"), st.integers(0, 3), st.integers(0, 3)),
        st.tuples(st.just("edit"), st.integers(0, 3), keys),
    ),
    max_size=60,
)


def check_map(pmap: PMap[str, Any], model: dict[str, Any]) -> None:
    assert list(pmap.items()) == list(model.items())
    assert list(pmap) == list(model)
    assert list(pmap.values()) == list(model.values())
    assert list(reversed(pmap.values())) == list(reversed(model.values()))
    assert list(reversed(pmap.keys())) == list(reversed(model))
    assert len(pmap) == len(model)
    for key in list(model)[:: max(1, len(model) // 7)]:
        assert pmap[key] == model[key]
        assert key in pmap
    some = list(model)[:: max(1, len(model) // 9)]
    assert pmap.values_of(reversed(some)) == [model[key] for key in reversed(some)]
    values = list(model.values())
    for offset in (0, 1, CHUNK - 1, CHUNK, len(model) // 2, len(model), len(model) + 3):
        assert pmap.page(offset, 5) == values[offset : offset + 5]
    frozen = pmap.frozen_keys()
    assert list(frozen) == list(model)
    for position, key in list(enumerate(model))[:: max(1, len(model) // 5)]:
        assert frozen[position] == key
        assert frozen.index(key) == position
        assert frozen[position : position + 3] == list(model)[position : position + 3]


@given(map_ops)
def test_pmap_copies_behave_as_independent_dicts(ops: list[tuple[Any, ...]]) -> None:
    maps: list[PMap[str, Any]] = [PMap() for _ in range(4)]
    models: list[dict[str, Any]] = [{} for _ in range(4)]
    for op in ops:
        kind, n = op[0], op[1]
        pmap, model = maps[n], models[n]
        if kind == "set":
            pmap[op[2]] = op[3]
            model[op[2]] = op[3]
        elif kind == "del":
            if op[2] in model:
                del pmap[op[2]]
                del model[op[2]]
            else:
                with pytest.raises(KeyError):
                    del pmap[op[2]]
        elif kind == "pop":
            assert pmap.pop(op[2], None) == model.pop(op[2], None)
        elif kind == "update":
            pmap.update(op[2])
            model.update(op[2])
        elif kind == "copy":
            maps[op[2]] = pmap.copy()
            models[op[2]] = dict(model)
        elif kind == "edit" and op[2] in model:
            # values here are ints: wrap in a one-item list to have something to edit in place
            pmap[op[2]] = [model[op[2]]]
            model[op[2]] = [model[op[2]]]
            edited = pmap.edit(op[2], list)
            edited.append(1)
            model[op[2]] = [*model[op[2]], 1]
        for other_map, other_model in zip(maps, models, strict=True):
            assert len(other_map) == len(other_model)
    for pmap, model in zip(maps, models, strict=True):
        check_map(pmap, model)


def test_values_of_a_missing_key_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        PMap({"a": 1}).values_of(["a", "b"])


def test_edit_copies_a_shared_value_once_per_copy_of_the_map() -> None:
    outer: PMap[str, PMap[str, int]] = PMap({"a": PMap({"x": 1})})
    snapshot = outer.copy()
    inner = outer.edit("a")
    inner["y"] = 2
    assert outer.edit("a") is inner
    assert dict(snapshot["a"].items()) == {"x": 1}
    assert dict(outer["a"].items()) == {"x": 1, "y": 2}
    again = outer.copy()
    outer.edit("a")["z"] = 3
    assert "z" not in again["a"]
    assert outer.edited("a") is outer.edit("a")
    assert outer.edited("nothing") is None and "nothing" not in outer
    made = outer.edit("b", PMap)
    assert outer["b"] is made and len(made) == 0 and "b" not in again


def test_a_copy_shares_every_chunk_until_written() -> None:
    big = PMap((f"k{n}", n) for n in range(100 * CHUNK))
    twin = big.copy()
    assert twin._chunks is big._chunks
    twin["k5"] = -1
    assert twin._chunks is not big._chunks
    assert sum(a is not b for a, b in zip(twin._chunks, big._chunks, strict=True)) == 1
    assert big["k5"] == 5


list_ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 2), st.integers()),
        st.tuples(st.just("extend"), st.integers(0, 2), st.lists(st.integers(), max_size=2 * CHUNK)),
        st.tuples(st.just("set"), st.integers(0, 2), st.integers(0, 3 * CHUNK), st.integers()),
        st.tuples(st.just("copy"), st.integers(0, 2), st.integers(0, 2)),
    ),
    max_size=40,
)


@given(list_ops)
def test_plist_copies_behave_as_independent_lists(ops: list[tuple[Any, ...]]) -> None:
    lists: list[PList[int]] = [PList() for _ in range(3)]
    models: list[list[int]] = [[] for _ in range(3)]
    for op in ops:
        kind, n = op[0], op[1]
        if kind == "append":
            lists[n].append(op[2])
            models[n].append(op[2])
        elif kind == "extend":
            lists[n].extend(op[2])
            models[n].extend(op[2])
        elif kind == "set":
            if op[2] < len(models[n]):
                lists[n][op[2]] = op[3]
                models[n][op[2]] = op[3]
            else:
                with pytest.raises(IndexError):
                    lists[n][op[2]] = op[3]
        else:
            lists[op[2]] = lists[n].copy()
            models[op[2]] = list(models[n])
    for plist, model in zip(lists, models, strict=True):
        assert list(plist) == model
        assert len(plist) == len(model)
        for index in range(0, len(model), max(1, len(model) // 9)):
            assert plist[index] == model[index]
        if model:
            assert plist[-1] == model[-1]


def test_key_sequence_is_frozen() -> None:
    pmap = PMap({"a": 1, "b": 2})
    frozen = pmap.frozen_keys()
    pmap["c"] = 3
    del pmap["a"]
    assert list(frozen) == ["a", "b"] and isinstance(frozen, KeySequence)
    with pytest.raises(ValueError, match="'c'"):
        frozen.index("c")
    with pytest.raises(IndexError):
        frozen[2]
