"""The built-in starters: relationship NPS, transactional CSAT and CES, each with its follow-up shown on a low score."""

import pytest

from surveys.starters import STARTERS
from tests.surveys.designing import make_survey, questions_of, versions_of


def test_relationship_nps_asks_the_score_the_reason_and_the_drivers_below_nine(alpha):
    [version] = versions_of(alpha, make_survey(alpha, starter="relationship_nps"))
    nps, reason, drivers = questions_of(alpha, version)
    assert (nps.kind, nps.required, reason.kind, reason.text) == (
        "nps", True, "long_text", "What is the main reason for your score?",
    )  # fmt: skip
    assert [c["value"] for c in drivers.choices] == ["product_quality", "delivery", "support", "price", "communication"]
    assert drivers.kind == "multiple" and drivers.condition == {"question": "nps", "op": "at_most", "value": 8}


def test_transactional_csat_asks_what_to_do_better_at_three_or_less_and_an_optional_reference(alpha):
    [version] = versions_of(alpha, make_survey(alpha, starter="transactional_csat"))
    csat, better, order = questions_of(alpha, version)
    assert csat.kind == "csat" and better.text == "What could we have done better?"
    assert better.condition == {"question": "csat", "op": "at_most", "value": 3}
    assert (order.kind, order.required) == ("short_text", False)


def test_ces_asks_what_made_it_difficult_and_rates_the_agent(alpha):
    [version] = versions_of(alpha, make_survey(alpha, starter="ces"))
    ces, difficult, agent = questions_of(alpha, version)
    assert ces.kind == "ces" and difficult.condition == {"question": "ces", "op": "at_most", "value": 3}
    assert (agent.kind, agent.scale) == ("rating", (1, 5))


@pytest.mark.parametrize("key", sorted(STARTERS))
def test_every_starter_is_a_valid_survey(alpha, key):
    [version] = versions_of(alpha, make_survey(alpha, starter=key))
    assert [q.position for q in questions_of(alpha, version)] == [1, 2, 3]
