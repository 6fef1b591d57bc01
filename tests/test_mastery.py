"""Bayesian Knowledge Tracing and the gap guide (courseware.mastery)."""

from __future__ import annotations

import pytest

from courseware.mastery import (
    MAX_EVIDENCE,
    BktParams,
    Estimate,
    GapEntry,
    MasteryLevel,
    gap_guide,
    level,
    smoothed,
    trace,
    update,
)
from courseware.model import Objective, ObjectiveKind

OBJECTIVES = ["plan", "improve", "engage"]


# --- update --------------------------------------------------------------------------------


def test_one_correct_answer_from_the_prior():
    # posterior = 0.3*0.9 / (0.3*0.9 + 0.7*0.25) = 0.27 / 0.445 = 0.606741...
    # then learn: 0.606741 + 0.393258 * 0.1 = 0.646067...
    posterior = 0.27 / 0.445
    assert update(0.3, True) == pytest.approx(posterior + (1 - posterior) * 0.1)
    assert update(0.3, True) == pytest.approx(0.6460674, abs=1e-7)


def test_one_wrong_answer_from_the_prior():
    # posterior = 0.3*0.1 / (0.3*0.1 + 0.7*0.75) = 0.03 / 0.555 = 0.054054...
    # then learn: 0.054054 + 0.945946 * 0.1 = 0.148648...
    posterior = 0.03 / 0.555
    assert update(0.3, False) == pytest.approx(posterior + (1 - posterior) * 0.1)
    assert update(0.3, False) == pytest.approx(0.1486486, abs=1e-7)


def test_update_uses_the_given_params():
    params = BktParams(p_init=0.5, p_learn=0.0, p_guess=0.5, p_slip=0.0)
    # correct: 0.5*1 / (0.5*1 + 0.5*0.5) = 2/3; no learning
    assert update(0.5, True, params) == pytest.approx(2 / 3)
    # wrong with no slips: only someone who does not know answers wrong
    assert update(0.5, False, params) == 0.0


def test_impossible_observation_keeps_the_belief():
    no_guess = BktParams(p_learn=0.0, p_guess=0.0)
    assert update(0.0, True, no_guess) == 0.0
    no_slip = BktParams(p_learn=0.0, p_slip=0.0)
    assert update(1.0, False, no_slip) == 1.0


def test_a_run_of_correct_answers_approaches_one():
    p = 0.3
    for _ in range(15):
        previous, p = p, update(p, True)
        assert p > previous
    assert p > 0.99


def test_a_run_of_wrong_answers_stays_low():
    p = 0.3
    for _ in range(15):
        p = update(p, False)
    # with P(T) = 0.1 the learning step alone keeps it a little above 0.1
    assert 0.1 < p < 0.15


@pytest.mark.parametrize("bad", [-0.1, 1.1])
def test_update_rejects_a_non_probability(bad):
    with pytest.raises(ValueError, match="p_known"):
        update(bad, True)


# --- trace ---------------------------------------------------------------------------------


def test_trace_keeps_objectives_independent():
    mastery = trace([("plan", True), ("improve", False), ("plan", True)], OBJECTIVES)
    assert mastery["plan"] == pytest.approx(update(update(0.3, True), True))
    assert mastery["improve"] == pytest.approx(update(0.3, False))
    assert mastery["engage"] == 0.3
    assert list(mastery) == OBJECTIVES


def test_trace_applies_responses_in_order():
    assert trace([("plan", True), ("plan", False)], ["plan"])["plan"] == pytest.approx(
        update(update(0.3, True), False)
    )
    assert trace([("plan", True), ("plan", False)], ["plan"]) != trace(
        [("plan", False), ("plan", True)], ["plan"]
    )


def test_trace_without_responses_is_the_prior_or_p_init():
    params = BktParams(p_init=0.2)
    assert trace([], OBJECTIVES, params) == {"plan": 0.2, "improve": 0.2, "engage": 0.2}
    mastery = trace([("engage", True)], OBJECTIVES, params, prior={"plan": 0.9, "engage": 0.6})
    assert mastery["plan"] == 0.9
    assert mastery["improve"] == 0.2
    assert mastery["engage"] == pytest.approx(update(0.6, True, params))


def test_trace_rejects_an_unknown_objective_and_a_bad_prior():
    with pytest.raises(ValueError, match="nope"):
        trace([("nope", True)], OBJECTIVES)
    with pytest.raises(ValueError, match="plan"):
        trace([], OBJECTIVES, prior={"plan": 1.5})


# --- gap guide -----------------------------------------------------------------------------


def objective(ident: str, kind: ObjectiveKind = ObjectiveKind.activity) -> Objective:
    return Objective(id=ident, title=ident.title(), kind=kind, purpose=f"Purpose of {ident}.")


SYLLABUS = [
    objective("plan"),
    objective("improve"),
    objective("engage"),
    objective("deliver"),
    objective("value-streams", ObjectiveKind.concept),
]


def test_gap_guide_orders_weakest_first_with_syllabus_order_on_ties():
    mastery = {"plan": 0.7, "improve": 0.2, "engage": 0.7, "deliver": 0.2, "value-streams": 0.0}
    guide = gap_guide(mastery, SYLLABUS)
    assert [entry.objective.id for entry in guide] == ["improve", "deliver", "plan", "engage"]
    assert [entry.mastery for entry in guide] == [0.2, 0.2, 0.7, 0.7]


def test_gap_guide_keeps_syllabus_order_when_all_tie():
    mastery = dict.fromkeys(["plan", "improve", "engage", "deliver", "value-streams"], 0.3)
    assert [e.objective.id for e in gap_guide(mastery, SYLLABUS)] == ["plan", "improve", "engage", "deliver"]
    reversed_ids = [e.objective.id for e in gap_guide(mastery, SYLLABUS[::-1])]
    assert reversed_ids == ["deliver", "engage", "improve", "plan"]


def test_gap_guide_lists_only_activities_by_default_and_other_kinds_on_request():
    mastery = dict.fromkeys(["plan", "improve", "engage", "deliver", "value-streams"], 0.5)
    assert all(entry.objective.kind is ObjectiveKind.activity for entry in gap_guide(mastery, SYLLABUS))
    concepts = gap_guide(mastery, SYLLABUS, kinds=[ObjectiveKind.concept])
    assert [entry.objective.id for entry in concepts] == ["value-streams"]
    assert len(gap_guide(mastery, SYLLABUS, kinds=set(ObjectiveKind))) == 5


def test_gap_guide_levels_follow_the_thresholds():
    mastery = {"plan": 0.49, "improve": 0.5, "engage": 0.79, "deliver": 0.8, "value-streams": 1.0}
    guide = gap_guide(mastery, SYLLABUS, kinds=set(ObjectiveKind))
    assert {entry.objective.id: entry.level for entry in guide} == {
        "plan": "weak",
        "improve": "developing",
        "engage": "developing",
        "deliver": "secure",
        "value-streams": "secure",
    }
    assert guide[0] == GapEntry(SYLLABUS[0], 0.49, MasteryLevel.weak)


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, "weak"), (0.4999, "weak"), (0.5, "developing"), (0.8, "secure")]
)
def test_level_bands(value, expected):
    assert level(value) == expected


def test_gap_guide_with_real_objectives_and_traced_mastery(content):
    ids = [o.id for o in content.objectives]
    mastery = trace([("engage", False), ("plan", True), ("plan", True)], ids)
    guide = gap_guide(mastery, content.objectives)
    activities = [o.id for o in content.objectives if o.kind is ObjectiveKind.activity]
    assert sorted(entry.objective.id for entry in guide) == sorted(activities)
    assert guide[0].objective.id == "engage"
    assert guide[-1].objective.id == "plan"
    assert guide[-1].level == "secure"


def test_gap_guide_requires_mastery_for_every_listed_objective():
    with pytest.raises(ValueError, match="engage"):
        gap_guide({"plan": 0.5, "improve": 0.5, "deliver": 0.5}, SYLLABUS)


# --- params --------------------------------------------------------------------------------


def test_default_params():
    assert BktParams() == BktParams(p_init=0.3, p_learn=0.1, p_guess=0.25, p_slip=0.1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"p_init": -0.01},
        {"p_init": 1.01},
        {"p_learn": 2.0},
        {"p_guess": -1.0},
        {"p_slip": 1.5},
        {"p_guess": 0.5, "p_slip": 0.5},
        {"p_guess": 0.9, "p_slip": 0.2},
    ],
)
def test_params_are_validated(kwargs):
    with pytest.raises(ValueError):
        BktParams(**kwargs)


def test_edge_params_are_allowed():
    BktParams(p_init=0.0, p_learn=1.0, p_guess=0.0, p_slip=0.0)
    BktParams(p_init=1.0, p_learn=0.0, p_guess=0.49, p_slip=0.5)


# --- smoothed: evidence weighs by its amount ---------------------------------------------------


def test_two_wrong_answers_after_88_percent_from_many_answers_stay_well_above_half():
    # The reported case: 88% on Plan, then a mock exam with 0/2 on Plan. Plain BKT says 22%.
    assert trace([("plan", False), ("plan", False)], ["plan"], prior={"plan": 0.88})["plan"] < 0.23
    after = smoothed({"plan": Estimate(0.88, 10)}, [("plan", False), ("plan", False)])["plan"]
    # w = 2 / (2 + 10): 0.88 + (0.224 - 0.88) / 6 = 0.7707
    bkt = trace([("plan", False)] * 2, ["plan"], prior={"plan": 0.88})["plan"]
    assert after.mastery == pytest.approx(0.88 + (bkt - 0.88) / 6)
    assert 0.75 < after.mastery < 0.88 and after.evidence == 12
    assert level(after.mastery) == MasteryLevel.developing  # was secure; not "weak" on two answers


def test_consistent_evidence_still_moves_the_estimate():
    estimate = {"plan": Estimate(0.88, 10)}
    history = []
    for _ in range(5):  # five mock exams, each 0/2 on Plan
        estimate = smoothed(estimate, [("plan", False), ("plan", False)])
        history.append(estimate["plan"].mastery)
    assert history == sorted(history, reverse=True) and history[-1] < 0.5
    rising = smoothed({"plan": Estimate(0.2, 10)}, [("plan", True)] * 10)["plan"]
    assert rising.mastery > 0.55 and rising.evidence == 20


def test_without_earlier_evidence_smoothed_is_plain_bkt():
    responses = [("plan", True), ("improve", False), ("plan", False), ("plan", True)]
    fresh = {objective: Estimate(0.3) for objective in OBJECTIVES}
    result = smoothed(fresh, responses)
    assert {key: e.mastery for key, e in result.items()} == pytest.approx(trace(responses, OBJECTIVES))
    assert {key: e.evidence for key, e in result.items()} == {"plan": 3, "improve": 1, "engage": 0}


def test_old_evidence_is_capped_so_it_fades():
    huge, capped = Estimate(0.9, 1000), Estimate(0.9, MAX_EVIDENCE)
    answers = [("plan", False)] * 4
    assert smoothed({"plan": huge}, answers)["plan"].mastery == pytest.approx(
        smoothed({"plan": capped}, answers)["plan"].mastery
    )


def test_smoothed_rejects_unknown_objectives_and_bad_estimates():
    with pytest.raises(ValueError, match="unknown objective 'nope'"):
        smoothed({"plan": Estimate(0.5)}, [("nope", True)])
    with pytest.raises(ValueError, match="mastery must be a probability"):
        Estimate(1.5)
    with pytest.raises(ValueError, match="evidence must be a count"):
        Estimate(0.5, -1)
