"""The scores against values computed by hand (surveys/scoring.py): NPS and its margin with and without the
finite-population correction, the Wilson interval at 0 % and 100 %, the t-interval of a mean, and the significance
of a difference on a known pair of samples."""

import math

import pytest

from surveys.scoring import MIN_ANSWERS, Z95, compare, mean, nps, share, t_quantile


def test_no_answers_give_no_score_and_say_too_few():
    nothing = (
        nps(promoters=0, passives=0, detractors=0),
        share(successes=0, n=0),
        mean(n=0, total=0, total_of_squares=0),
    )
    for estimate in nothing:
        assert estimate.value is None and estimate.margin is None and estimate.too_few


def test_all_promoters_score_100_with_no_doubt_left():
    score = nps(promoters=20, passives=0, detractors=0)
    assert score.value == 100 and score.standard_error == 0 and score.margin == 0


def test_one_answer_is_a_value_marked_too_few():
    score = nps(promoters=0, passives=0, detractors=1)
    assert score.value == -100 and score.too_few and score.n == 1
    assert nps(promoters=MIN_ANSWERS, passives=0, detractors=0).too_few is False


def test_the_nps_margin_is_1_96_standard_errors_of_the_stated_variance():
    score = nps(promoters=100, passives=60, detractors=40)  # p 0.5, d 0.2, n 200
    assert score.value == pytest.approx(30)
    assert score.standard_error == pytest.approx(math.sqrt(10_000 * (0.7 - 0.09) / 200))  # √30.5 = 5.5227
    assert score.margin == pytest.approx(1.959964 * 5.522681, abs=1e-4)  # 10.82


def test_a_small_audience_narrows_the_margin_by_the_finite_population_correction():
    sample = nps(promoters=5, passives=3, detractors=2)  # n 10, p 0.5, d 0.2: variance 610
    small = nps(promoters=5, passives=3, detractors=2, population=12)  # × (12 − 10) / (12 − 1)
    assert sample.standard_error == pytest.approx(math.sqrt(610))
    assert small.standard_error == pytest.approx(math.sqrt(610 * 2 / 11))  # 10.53
    assert small.margin == pytest.approx(20.64, abs=0.01)
    assert nps(promoters=5, passives=3, detractors=2, population=10).margin == 0  # everyone answered


def test_the_wilson_interval_at_0_and_100_percent_is_not_a_point():
    none = share(successes=0, n=20)
    assert (none.value, none.low) == (0, 0)
    assert none.high == pytest.approx(100 * Z95**2 / (20 + Z95**2))  # 16.11 %
    every = share(successes=20, n=20)
    assert (every.value, every.high) == (100, 100)
    assert every.low == pytest.approx(100 * 20 / (20 + Z95**2))  # 83.89 %


def test_the_wilson_interval_in_the_middle():
    half = share(successes=40, n=80)  # p 0.5: centre 0.5, half-width z·√(0.25/80 + z²/4·80²)/(1 + z²/80)
    width = Z95 * math.sqrt(0.25 / 80 + Z95**2 / (4 * 80 * 80)) / (1 + Z95**2 / 80)
    assert half.low == pytest.approx(100 * (0.5 - width)) and half.high == pytest.approx(100 * (0.5 + width))


def test_a_mean_has_its_t_interval():
    values = [1, 2, 3, 4, 5]
    estimate = mean(n=5, total=sum(values), total_of_squares=sum(v * v for v in values))
    assert estimate.value == 3
    assert estimate.standard_error == pytest.approx(math.sqrt(2.5 / 5))
    assert t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-5)
    assert estimate.margin == pytest.approx(2.776445 * math.sqrt(0.5), abs=1e-5)  # 1.963
    assert t_quantile(0.975, 1000) == pytest.approx(1.962339, abs=1e-5)
    assert mean(n=1, total=4, total_of_squares=16).margin is None


def test_a_difference_is_significant_only_beyond_chance():
    march = nps(promoters=100, passives=60, detractors=40)  # NPS 30, variance 30.5
    april = nps(promoters=80, passives=60, detractors=60)  # NPS 10, variance 34.5
    drop = compare(march, april)
    assert drop.difference == pytest.approx(-20) and drop.standard_error == pytest.approx(math.sqrt(65))
    assert drop.z == pytest.approx(-2.4807, abs=1e-4) and drop.significant
    may = nps(promoters=90, passives=60, detractors=50)  # NPS 20, variance 33
    small = compare(march, may)
    assert small.z == pytest.approx(-10 / math.sqrt(63.5), abs=1e-6) and not small.significant
    assert "√(SE₁² + SE₂²)" in small.test
    assert compare(march, nps(promoters=0, passives=0, detractors=0)) is None
