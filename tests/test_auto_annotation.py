"""The pure auto-annotation filter (BEHAVIOUR.md §7): threshold bounds, the data-type mask, statuses, rule order."""

from __future__ import annotations

import math
import struct

import pytest
from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2
from hypothesis import given
from hypothesis import strategies as st

from fake_clarifai.domain.auto_annotation import (
    ConceptRule,
    PlannedAnnotation,
    annotations_for,
    rule_from_task_concept,
    rules_for_task,
)

SUCCESS = status_code_pb2.ANNOTATION_SUCCESS
AWAITING_REVIEW = status_code_pb2.ANNOTATION_AWAITING_REVIEW
ALL_TYPES_BUT_TAG = 2 | 4 | 8 | 16 | 32

scores = st.floats(min_value=-2, max_value=2)
float32_scores = st.floats(min_value=0, max_value=1, width=32)
masks = st.integers(min_value=0, max_value=63)
concept_ids = st.sampled_from(["water", "sky", "fire", "sand"])


def float32(value: float) -> float:
    return struct.unpack("<f", struct.pack("<f", value))[0]


def task_concept(concept_id: str, **config: object) -> resources_pb2.TaskConcept:
    bounds = {k: config.pop(k) for k in ("lower", "upper", "is_lower_inclusive", "is_upper_inclusive") if k in config}
    auto = resources_pb2.TaskConceptAutoAnnotationConfig(**config)  # type: ignore[arg-type]
    if bounds:
        auto.threshold_range.SetInParent()
        auto.threshold_range.MergeFrom(resources_pb2.ThresholdRange(**bounds))  # type: ignore[arg-type]
    return resources_pb2.TaskConcept(concept=resources_pb2.Concept(id=concept_id), auto_annotation_config=auto)


@st.composite
def rules(draw: st.DrawFn) -> ConceptRule:
    lower, upper = draw(scores), draw(scores)
    return ConceptRule(
        concept_id=draw(concept_ids),
        data_types=draw(masks),
        lower=lower,
        upper=upper,
        lower_inclusive=draw(st.booleans()),
        upper_inclusive=draw(st.booleans()),
        status_code=draw(st.sampled_from([SUCCESS, AWAITING_REVIEW, status_code_pb2.ANNOTATION_PENDING])),
    )


@given(lower=scores, upper=scores, score=scores, lower_inclusive=st.booleans(), upper_inclusive=st.booleans())
def test_a_score_is_accepted_exactly_when_it_lies_in_the_float32_range(
    lower: float, upper: float, score: float, lower_inclusive: bool, upper_inclusive: bool
) -> None:
    rule = ConceptRule("water", 1, lower, upper, lower_inclusive, upper_inclusive)
    s, lo, hi = float32(score), float32(lower), float32(upper)
    in_open_range = lo < s < hi
    at_lower = s == lo and lower_inclusive and s <= hi and (s < hi or upper_inclusive)
    at_upper = s == hi and upper_inclusive and s >= lo and (s > lo or lower_inclusive)
    assert rule.accepts(score) == (in_open_range or at_lower or at_upper)


@pytest.mark.parametrize(
    ("score", "lower_inclusive", "upper_inclusive", "accepted"),
    [
        (0.7, True, True, True),
        (0.7, False, True, False),
        (0.999, True, True, True),
        (0.999, True, False, False),
        (0.85, False, False, True),
        (0.69999, True, True, False),
        (1.0, True, True, False),
    ],
)
def test_bounds_from_the_wire_compare_with_python_scores_at_the_boundary(
    score: float, lower_inclusive: bool, upper_inclusive: bool, accepted: bool
) -> None:
    rule = rule_from_task_concept(
        task_concept(
            "water",
            annotation_data_types=1,
            lower=0.7,
            upper=0.999,
            is_lower_inclusive=lower_inclusive,
            is_upper_inclusive=upper_inclusive,
        )
    )
    assert rule.lower != 0.7  # the wire's float32 0.7 is below the Python float 0.7 …
    assert rule.accepts(score) == accepted  # … yet a score of exactly 0.7 is "at" the bound, not above it


@given(mask=masks, score=float32_scores)
def test_only_masks_that_include_tag_or_are_unset_produce_annotations(mask: int, score: float) -> None:
    planned = annotations_for({"water": score}, [ConceptRule("water", data_types=mask, lower=0, upper=1)])
    includes_tag = mask == 0 or mask % 2 == 1
    assert planned == ([PlannedAnnotation("water", score, SUCCESS)] if includes_tag else [])


def test_a_mask_of_every_type_but_tag_excludes_everything() -> None:
    rule = rule_from_task_concept(task_concept("water", annotation_data_types=ALL_TYPES_BUT_TAG, lower=0, upper=1))
    assert annotations_for({"water": 0.5}, [rule]) == []


@given(score=float32_scores)
def test_two_rules_splitting_the_range_give_each_score_exactly_one_status(score: float) -> None:
    split = [
        ConceptRule("water", 1, lower=0.0, upper=0.5, upper_inclusive=False, status_code=SUCCESS),
        ConceptRule("water", 1, lower=0.5, upper=1.0, status_code=AWAITING_REVIEW),
    ]
    expected_status = SUCCESS if score < 0.5 else AWAITING_REVIEW
    assert annotations_for({"water": score}, split) == [PlannedAnnotation("water", score, expected_status)]


@given(predictions=st.dictionaries(concept_ids, scores), task_rules=st.lists(rules(), max_size=6))
def test_each_concept_gets_one_annotation_from_its_first_accepting_rule_in_rule_order(
    predictions: dict[str, float], task_rules: list[ConceptRule]
) -> None:
    planned = annotations_for(predictions, task_rules)
    assert len({p.concept_id for p in planned}) == len(planned)
    for concept_id, score in predictions.items():
        accepting = [r for r in task_rules if r.concept_id == concept_id and r.accepts(score)]
        written = [p for p in planned if p.concept_id == concept_id]
        assert written == ([PlannedAnnotation(concept_id, score, accepting[0].status_code)] if accepting else [])
    writers = [
        next(i for i, r in enumerate(task_rules) if (r.concept_id, r.accepts(p.score)) == (p.concept_id, True))
        for p in planned
    ]
    assert writers == sorted(writers)


@given(predictions=st.dictionaries(concept_ids, scores), task_rules=st.lists(rules(), max_size=6))
def test_predictions_for_concepts_outside_the_task_are_ignored(
    predictions: dict[str, float], task_rules: list[ConceptRule]
) -> None:
    rule_concepts = {r.concept_id for r in task_rules}
    assert {p.concept_id for p in annotations_for(predictions, task_rules)} <= rule_concepts & set(predictions)


def test_an_unset_config_accepts_every_score_with_status_success_but_never_nan() -> None:
    (rule,) = rules_for_task(resources_pb2.Task(concepts=[resources_pb2.TaskConcept(concept={"id": "sky"})]))
    assert rule == ConceptRule("sky")
    predictions = {"sky": -3.5}
    assert annotations_for(predictions, [rule]) == [PlannedAnnotation("sky", -3.5, SUCCESS)]
    assert annotations_for({"sky": math.nan}, [rule]) == []


def test_an_unset_status_code_means_annotation_success() -> None:
    rule = rule_from_task_concept(task_concept("water", annotation_data_types=1, status_code=0, lower=0, upper=1))
    assert rule.status_code == SUCCESS


def test_a_set_but_empty_threshold_range_is_taken_literally() -> None:
    rule = rule_from_task_concept(task_concept("water", lower=0.0, upper=0.0))
    assert (rule.accepts(0.0), rule.accepts(0.5)) == (False, False)


def test_deprecated_concept_ids_become_unfiltered_rules_when_no_task_concepts_are_given() -> None:
    task = resources_pb2.Task(concept_ids=["water", "sky"])
    assert rules_for_task(task) == [ConceptRule("water"), ConceptRule("sky")]
    with_concepts = resources_pb2.Task(concept_ids=["water"], concepts=[task_concept("sky", status_code=24157)])
    assert rules_for_task(with_concepts) == [ConceptRule("sky", status_code=AWAITING_REVIEW)]
