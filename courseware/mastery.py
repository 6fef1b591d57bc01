"""Mastery per objective by Bayesian Knowledge Tracing, and the gap guide built on it.

Domain layer: no I/O. BKT treats each objective as a skill that is either known or not; every
answer updates the probability that it is known, allowing for lucky guesses and careless slips.

Why mastery is smoothed (`smoothed`): BKT alone forgets how much evidence stands behind an estimate.
From 88% a mock exam's two wrong answers on one objective would take it to 22%, as if the earlier
answers had never been given. So an estimate carries its *evidence*: the number of answers it rests
on (capped at MAX_EVIDENCE, so old answers fade and a learner can still change the picture). New
answers move it part of the way to what BKT says after them, in proportion to their share of all
the evidence:

    m' = m + w * (BKT(m, answers) - m),   w = n / (n + min(N, MAX_EVIDENCE)),   N' = N + n

where m is the current mastery, N the answers behind it and n the new answers on that objective.
With no earlier evidence (N = 0, the diagnostic) w = 1: plain BKT. 0/2 after 88% from ten answers
gives 77%, not 22%; ten wrong answers in a row still take it below 50%.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum

from courseware.model import Objective, ObjectiveKind

#: Mastery below WEAK is "weak", below SECURE is "developing", otherwise "secure".
WEAK = 0.5
SECURE = 0.8


@dataclass(frozen=True)
class BktParams:
    p_init: float = 0.3  # P(L0): known before any practice
    p_learn: float = 0.1  # P(T): learnt at each opportunity
    p_guess: float = 0.25  # P(G): one in four options
    p_slip: float = 0.1  # P(S): known but answered wrong

    def __post_init__(self) -> None:
        for field in fields(self):
            _check_probability(field.name, getattr(self, field.name))
        # Otherwise a right answer would be no more likely from someone who knows the objective.
        if self.p_guess + self.p_slip >= 1:
            raise ValueError(f"p_guess + p_slip must be < 1, got {self.p_guess} + {self.p_slip}")


def _check_probability(name: str, value: float) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")


#: The defaults, shared: BktParams is frozen, so one instance is safe as a default argument.
DEFAULT_PARAMS = BktParams()


def update(p_known: float, correct: bool, params: BktParams = DEFAULT_PARAMS) -> float:
    """P(known) after one answer: Bayes on the observation, then the chance of learning."""
    _check_probability("p_known", p_known)
    posterior = _posterior(p_known, correct, params)
    return posterior + (1 - posterior) * params.p_learn


def _posterior(p: float, correct: bool, params: BktParams) -> float:
    if correct:
        evidence, other = p * (1 - params.p_slip), (1 - p) * params.p_guess
    else:
        evidence, other = p * params.p_slip, (1 - p) * (1 - params.p_guess)
    # Zero only for an answer the model calls impossible (p=0 with no guessing, p=1 with no
    # slips); it then carries no usable evidence, so the belief stays as it was.
    return evidence / (evidence + other) if evidence + other else p


def trace(
    responses: Iterable[tuple[str, bool]],
    objectives: Sequence[str],
    params: BktParams = DEFAULT_PARAMS,
    prior: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Mastery per objective after the (objective id, correct) responses, applied in order."""
    prior = prior or {}
    mastery = {objective: prior.get(objective, params.p_init) for objective in objectives}
    for objective, value in mastery.items():
        _check_probability(f"prior[{objective!r}]", value)
    for objective, correct in responses:
        if objective not in mastery:
            raise ValueError(f"response for unknown objective {objective!r}")
        mastery[objective] = update(mastery[objective], correct, params)
    return mastery


#: The most earlier answers an estimate is taken to rest on: beyond this, old evidence fades.
MAX_EVIDENCE = 12
#: The evidence read for a snapshot that did not record it (taken before evidence was kept): a
#: diagnostic's two answers per objective.
UNKNOWN_EVIDENCE = 2


@dataclass(frozen=True)
class Estimate:
    """Mastery of one objective and the number of answers it rests on."""

    mastery: float
    evidence: int = 0

    def __post_init__(self) -> None:
        _check_probability("mastery", self.mastery)
        if self.evidence < 0:
            raise ValueError(f"evidence must be a count of answers (>= 0), got {self.evidence!r}")


def smoothed(
    prior: Mapping[str, Estimate],
    responses: Iterable[tuple[str, bool]],
    params: BktParams = DEFAULT_PARAMS,
) -> dict[str, Estimate]:
    """Estimates after the (objective id, correct) responses, each objective moved by the weight of
    its new answers against the evidence already behind it (see the module docstring)."""
    answers: dict[str, list[bool]] = {}
    for objective, correct in responses:
        if objective not in prior:
            raise ValueError(f"response for unknown objective {objective!r}")
        answers.setdefault(objective, []).append(correct)
    result = dict(prior)
    for objective, given in answers.items():
        before = prior[objective]
        bkt = before.mastery
        for correct in given:
            bkt = update(bkt, correct, params)
        weight = len(given) / (len(given) + min(before.evidence, MAX_EVIDENCE))
        mastery = before.mastery + weight * (bkt - before.mastery)
        result[objective] = Estimate(min(1.0, max(0.0, mastery)), before.evidence + len(given))
    return result


class MasteryLevel(StrEnum):
    weak = "weak"
    developing = "developing"
    secure = "secure"


def level(mastery: float) -> MasteryLevel:
    """The band a learner sees: weak (< 0.5), developing (< 0.8), secure (>= 0.8)."""
    if mastery < WEAK:
        return MasteryLevel.weak
    return MasteryLevel.developing if mastery < SECURE else MasteryLevel.secure


@dataclass(frozen=True)
class GapEntry:
    objective: Objective
    mastery: float
    level: MasteryLevel  # a StrEnum: compares equal to "weak", "developing", "secure"


def gap_guide(
    mastery: Mapping[str, float],
    objectives: Sequence[Objective],
    kinds: Collection[ObjectiveKind] = (ObjectiveKind.activity,),
) -> list[GapEntry]:
    """Objectives of the given kinds, weakest first; ties keep syllabus order (stable sort)."""
    chosen = [objective for objective in objectives if objective.kind in kinds]
    if missing := [objective.id for objective in chosen if objective.id not in mastery]:
        raise ValueError(f"no mastery for objectives: {', '.join(missing)}")
    entries = [GapEntry(o, mastery[o.id], level(mastery[o.id])) for o in chosen]
    return sorted(entries, key=lambda entry: entry.mastery)
