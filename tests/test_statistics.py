"""Moodle's quiz statistics on a small fixture, checked against values computed by hand.

Five learners, four right/wrong items (A..D), one attempt each; each item is also its own slot:

    learner  A  B  C  D  total
    L1       1  1  1  1  4
    L2       1  1  0  1  3
    L3       1  0  1  1  3
    L4       0  1  0  1  2
    L5       0  0  0  1  1

Variances and covariances are sample ones (divide by n - 1 = 4), as Moodle's calculator does.
"""

from __future__ import annotations

import math

import pytest

from courseware.statistics import (
    ItemStatistics,
    first_attempts,
    item_flags,
    item_statistics,
    quiz_statistics,
)

TABLE = {
    "L1": (1, 1, 1, 1),
    "L2": (1, 1, 0, 1),
    "L3": (1, 0, 1, 1),
    "L4": (0, 1, 0, 1),
    "L5": (0, 0, 0, 1),
}
RESPONSES = [dict(zip("ABCD", (bool(x) for x in row), strict=True)) for row in TABLE.values()]


def by_id(stats: list[ItemStatistics]) -> dict[str, ItemStatistics]:
    return {s.item_id: s for s in stats}


def test_item_a_facility_discrimination_and_efficiency_by_hand():
    a = by_id(item_statistics(RESPONSES))["A"]
    # A = [1,1,1,0,0]; rest = total - A = [3,2,2,2,1]; mean A = 3/5 = 0.6 -> facility 60%.
    assert a.attempts == 5
    assert a.facility == pytest.approx(60.0)
    # deviations A: [.4,.4,.4,-.6,-.6]; rest (mean 2): [1,0,0,0,-1]
    # var A = (3*.16 + 2*.36)/4 = 1.2/4 = 0.3, SD = sqrt(0.3) = 0.5477
    # var rest = (1 + 1)/4 = 0.5; cov = (.4*1 + (-.6)*(-1))/4 = 1.0/4 = 0.25
    # D = 100 * 0.25 / sqrt(0.3 * 0.5) = 25 / 0.38730 = 64.55%
    assert a.sd == pytest.approx(0.5477226, abs=1e-6)
    assert a.discrimination == pytest.approx(64.549722, abs=1e-5)
    # sorted A [0,0,1,1,1] and sorted rest [1,2,2,2,3]: deviations [-.6,-.6,.4,.4,.4] x [-1,0,0,0,1]
    # cov_max = (.6 + .4)/4 = 0.25 -> E = 100 * 0.25 / 0.25 = 100%
    assert a.efficiency == pytest.approx(100.0)
    assert a.flags == ()


def test_item_b_does_not_discriminate_and_is_flagged_with_reasons():
    b = by_id(item_statistics(RESPONSES))["B"]
    # B = [1,1,0,1,0]; rest = [3,2,3,1,1] (mean 2); facility 3/5 = 60%
    # deviations B [.4,.4,-.6,.4,-.6] x rest [1,0,1,-1,-1]: .4 + 0 - .6 - .4 + .6 = 0 -> cov 0, D = 0%
    # sorted B [0,0,1,1,1] x sorted rest [1,1,2,3,3] deviations [-1,-1,0,1,1]: .6+.6+0+.4+.4 = 2.0
    # cov_max = 2.0/4 = 0.5 -> E = 0 / 0.5 = 0%
    assert b.facility == pytest.approx(60.0)
    assert b.discrimination == pytest.approx(0.0, abs=1e-9)
    assert b.efficiency == pytest.approx(0.0, abs=1e-9)
    assert b.flags == (
        "Discrimination index 0% is below 10% (very weak).",
        "Discriminative efficiency 0% is below 15% (Moodle marks such an item 'needs checking').",
    )


def test_item_c_by_hand():
    c = by_id(item_statistics(RESPONSES))["C"]
    # C = [1,0,1,0,0]; rest = [3,3,2,2,1] (mean 11/5 = 2.2); facility 2/5 = 40%
    # deviations C [.6,-.4,.6,-.4,-.4] x rest [.8,.8,-.2,-.2,-1.2]
    #   = .48 - .32 - .12 + .08 + .48 = 0.60 -> cov = 0.15
    # var C = (2*.36 + 3*.16)/4 = 0.3; var rest = (.64+.64+.04+.04+1.44)/4 = 2.8/4 = 0.7
    # D = 100 * 0.15 / sqrt(0.21) = 15 / 0.458258 = 32.73%
    # sorted C [0,0,0,1,1] x sorted rest [1,2,2,3,3]: [-.4,-.4,-.4,.6,.6] x [-1.2,-.2,-.2,.8,.8]
    #   = .48 + .08 + .08 + .48 + .48 = 1.6 -> cov_max 0.4 -> E = 100 * 0.15 / 0.4 = 37.5%
    assert c.facility == pytest.approx(40.0)
    assert c.discrimination == pytest.approx(32.732684, abs=1e-5)
    assert c.efficiency == pytest.approx(37.5)
    assert c.flags == ()


def test_an_item_everyone_gets_right_is_flagged_easy_and_has_no_discrimination():
    d = by_id(item_statistics(RESPONSES))["D"]
    # D = [1,1,1,1,1]: facility 100%, no spread -> D and E cannot be computed (Moodle shows nothing)
    assert (d.facility, d.sd, d.discrimination, d.efficiency) == (100.0, 0.0, None, None)
    assert d.flags == ("Facility index 100% is above 80%: very easy for this group.",)


def test_test_statistics_by_hand():
    quiz = quiz_statistics(RESPONSES)
    # totals [4,3,3,2,1]: mean 13/5 = 2.6; deviations [1.4,.4,.4,-.6,-1.6]
    # sum of squares 1.96+.16+.16+.36+2.56 = 5.2 -> variance 5.2/4 = 1.3, SD = sqrt(1.3) = 1.14018
    assert (quiz.attempts, quiz.slots) == (5, 4)
    assert quiz.mean == pytest.approx(2.6)
    assert quiz.sd == pytest.approx(1.1401754, abs=1e-6)
    # slot variances: A .3 + B .3 + C .3 + D 0 = 0.9
    # CIC = 100 * 4/3 * (1 - 0.9/1.3) = 133.33 * 0.307692 = 41.03%
    assert quiz.cic == pytest.approx(41.025641, abs=1e-5)
    # ER = 100 * sqrt(1 - 0.410256) = 100 * sqrt(0.589744) = 76.79%
    assert quiz.error_ratio == pytest.approx(76.794765, abs=1e-5)
    # SE = 0.767948 * 1.140175 = 0.87560 marks
    assert quiz.standard_error == pytest.approx(0.875595, abs=1e-5)
    assert len(quiz.flags) == 1 and quiz.flags[0].startswith("CIC 41% is below 64%")


def test_a_consistent_test_is_not_flagged():
    # Guttman pattern, 4 learners x 3 items: totals [3,2,1,0], variance (2.25+.25+.25+2.25)/3 = 5/3
    # item variances: A [1,1,1,0] (3*.0625 + .5625)/3 = .25, B [1,1,0,0] 1/3, C [1,0,0,0] .25
    # sum = 0.8333 -> CIC = 100 * 3/2 * (1 - 0.8333/1.6667) = 150 * 0.5 = 75%
    rows = [(1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 0)]
    quiz = quiz_statistics([dict(zip("ABC", row, strict=True)) for row in rows])
    assert quiz.cic == pytest.approx(75.0)
    assert quiz.flags == ()


def test_too_few_attempts_give_no_statistics_rather_than_nonsense():
    one = quiz_statistics(RESPONSES[:1])
    assert (one.mean, one.sd, one.cic, one.error_ratio) == (4.0, None, None, None)
    only = by_id(item_statistics(RESPONSES[:1]))["A"]
    assert (only.facility, only.discrimination, only.efficiency, only.flags) == (
        100.0,
        None,
        None,
        ("Facility index 100% is above 80%: very easy for this group.",),
    )
    with pytest.raises(ValueError, match="every slot"):
        quiz_statistics([{"A": True}, {"B": True}])


def test_hard_and_negatively_discriminating_items_say_why():
    stat = ItemStatistics("x", 10, facility=20.0, discrimination=-35.0, efficiency=40.0)
    assert item_flags(stat) == (
        "Facility index 20% is below 30%: very hard for this group.",
        "Discrimination index -35% is below 10% (negative: stronger learners do worse on it).",
    )


def test_first_attempts_keep_each_learners_first_in_order_taken():
    taken = [("ada", "a1"), ("ben", "b1"), ("ada", "a2"), ("cy", "c1"), ("ben", "b2")]
    assert first_attempts(taken) == ["a1", "b1", "c1"]


def test_the_report_uses_first_attempts_only():
    # Ada's second attempt (all right) must not change item A's facility: 2 of 3 first attempts.
    firsts = first_attempts(
        [
            ("ada", {"A": False, "B": True}),
            ("ben", {"A": True, "B": True}),
            ("ada", {"A": True, "B": True}),
            ("cy", {"A": True, "B": False}),
        ]
    )
    a = by_id(item_statistics(firsts))["A"]
    assert a.attempts == 3 and a.facility == pytest.approx(200 / 3)
    assert math.isclose(by_id(item_statistics(firsts))["B"].facility, 200 / 3)
