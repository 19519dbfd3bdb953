"""Auto-annotation filtering (BEHAVIOUR.md §7): which of a model's predictions become annotations, with which status.

A task's TaskConcepts are read into `ConceptRule`s; `annotations_for(predictions, rules)` turns one input's
predictions `{concept_id: score}` into the annotations to write. The fake's models predict image-level
concept scores, so a prediction is of data type TAG: only a rule whose `annotation_data_types` mask
includes TAG (or is unset, 0 = no data-type filter) accepts it. Scores and bounds are compared as float32,
the precision of `Concept.value` and `ThresholdRange` on the wire.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from clarifai_grpc.grpc.api import resources_pb2
from clarifai_grpc.grpc.api.status import status_code_pb2

TAG = resources_pb2.TAG
ANNOTATION_SUCCESS = status_code_pb2.ANNOTATION_SUCCESS


def as_float32(value: float) -> float:
    """`value` rounded to the nearest float32, as a proto `float` field stores it (overflow → ±inf)."""
    return ctypes.c_float(value).value


@dataclass(frozen=True, slots=True)
class ConceptRule:
    """One TaskConcept's auto-annotation config. The defaults are what an unset config means."""

    concept_id: str
    data_types: int = 0
    lower: float = -math.inf
    upper: float = math.inf
    lower_inclusive: bool = True
    upper_inclusive: bool = True
    status_code: int = ANNOTATION_SUCCESS

    def accepts_tags(self) -> bool:
        return self.data_types == 0 or bool(self.data_types & TAG)

    def accepts_score(self, score: float) -> bool:
        score, lower, upper = as_float32(score), as_float32(self.lower), as_float32(self.upper)
        above = lower <= score if self.lower_inclusive else lower < score
        below = score <= upper if self.upper_inclusive else score < upper
        return above and below

    def accepts(self, score: float) -> bool:
        return self.accepts_tags() and self.accepts_score(score)


@dataclass(frozen=True, slots=True)
class PlannedAnnotation:
    """An annotation to write: `concept_id` with value `score`, stored with status `status_code`."""

    concept_id: str
    score: float
    status_code: int


def rule_from_task_concept(task_concept: resources_pb2.TaskConcept) -> ConceptRule:
    """The rule a TaskConcept states; an unset threshold_range accepts every score, status 0 → SUCCESS."""
    config = task_concept.auto_annotation_config
    rule = ConceptRule(
        concept_id=task_concept.concept.id,
        data_types=config.annotation_data_types,
        status_code=config.status_code or ANNOTATION_SUCCESS,
    )
    if not config.HasField("threshold_range"):
        return rule
    bounds = config.threshold_range
    return replace(
        rule,
        lower=bounds.lower,
        upper=bounds.upper,
        lower_inclusive=bounds.is_lower_inclusive,
        upper_inclusive=bounds.is_upper_inclusive,
    )


def rules_for_task(task: resources_pb2.Task) -> list[ConceptRule]:
    """The task's rules in task order: one per TaskConcept, else one unfiltered rule per `concept_ids`."""
    if task.concepts:
        return [rule_from_task_concept(task_concept) for task_concept in task.concepts]
    return [ConceptRule(concept_id=concept_id) for concept_id in task.concept_ids]


def annotations_for(predictions: Mapping[str, float], rules: Sequence[ConceptRule]) -> list[PlannedAnnotation]:
    """The annotations one input gets: per concept, from the first rule (in task order) accepting its score."""
    planned: dict[str, PlannedAnnotation] = {}
    for rule in rules:
        if rule.concept_id in planned or rule.concept_id not in predictions:
            continue
        score = predictions[rule.concept_id]
        if rule.accepts(score):
            planned[rule.concept_id] = PlannedAnnotation(rule.concept_id, score, rule.status_code)
    return list(planned.values())
