"""What the design system's filters say instead of developer text: field labels, choice labels, dates in words,
model names and action labels (qms/ui.py)."""

from types import SimpleNamespace

from qms.ui import action_label, changes, code_tokens, model_label, record_label, status_badge, told


def test_changes_read_as_field_labels_and_human_values():
    event = SimpleNamespace(
        object_type="feedback.feedbackitem",
        changes={
            "received_on": ["2026-06-27", "2026-11-27"],
            "status": ["new", "in_progress"],
            "gone_field": [None, 1],
        },
    )
    rows = {row["field"]: (row["before"], row["after"]) for row in changes(event)}
    assert rows["Date received"] == ("27 Jun 2026", "27 Nov 2026")
    assert rows["Status"] == ("New", "In progress")
    assert rows["Gone field"] == ("—", "1")


def test_model_labels_and_actions_are_words():
    assert model_label("feedback.feedbackitem") == "Feedback item"
    assert model_label("capa.action") == "Action"
    assert action_label("feedback.close") == "Closed"
    assert action_label("survey.send_reminder") == "Send reminder"


def test_a_badge_has_a_tone_and_words():
    assert status_badge("in_progress", "In progress") == {"tone": "progress", "label": "In progress"}
    assert status_badge("something_new") == {"tone": "neutral", "label": "Something new"}


def test_a_record_without_a_label_of_its_own_is_named_by_its_kind():
    saved = SimpleNamespace(object_repr="SavedView object (3)", object_type="feedback.savedview", object_id="3")
    named = SimpleNamespace(object_repr="F-2026-0001", object_type="feedback.feedbackitem", object_id="9")
    assert record_label(saved) == "Saved view 3"
    assert record_label(named) == "F-2026-0001"


def test_values_to_type_into_a_file_show_as_code_and_the_rest_is_escaped():
    assert str(code_tokens("Use granted, opted_out <b>")) == "Use granted, <code>opted_out</code> &lt;b&gt;"


def test_a_value_shaped_like_a_date_that_is_not_one_stays_as_it_was_stored():
    event = SimpleNamespace(object_type="feedback.theme", changes={"name": [None, "2026-02-31"]})
    assert changes(event)[0]["after"] == "2026-02-31"


def _event(action, changes, **values):
    return SimpleNamespace(
        action=action, changes=changes, object_type="feedback.feedbackitem", object_repr="F-2026-0007",
        object_id="", organization_id=None, **values,
    )  # fmt: skip


def test_an_event_is_told_as_a_sentence_and_the_rest_of_its_changes_as_sentences():
    assigned = told(
        {"event": _event("feedback.assign", {"assignee": [None, "Sofia Lind"], "status": ["new", "in_progress"]})}
    )
    assert str(assigned["sentence"]) == "assigned it to Sofia Lind"
    assert assigned["lines"] == ["Status changed from New to In progress"]  # the assignee is told once, above
    edited = told(
        {"event": _event("feedback.update", {"received_on": [None, "2026-11-27"], "product": ["Valve", None]})}
    )
    assert str(edited["sentence"]) == "edited it"
    assert edited["lines"] == ["Date received set to 27 Nov 2026", "Product or service cleared"]


def test_emptying_the_field_a_sentence_names_tells_it_the_other_way():
    unassigned = told({"event": _event("feedback.assign", {"assignee": ["Sofia Lind", None]})})
    assert str(unassigned["sentence"]) == "unassigned it"


def test_on_a_timeline_of_several_records_the_record_is_named_and_a_value_is_escaped():
    event = _event("feedback.themes", {"themes": ["", "<b>Delivery</b>"]})
    sentence = str(told({"event": event}, records=True)["sentence"])
    assert sentence == "tagged feedback item F-2026-0007 with &lt;b&gt;Delivery&lt;/b&gt;"


def test_a_creation_folds_what_was_recorded_and_an_unphrased_action_keeps_its_label():
    created = told(
        {
            "event": _event(
                "feedback.create", {"kind": [None, "praise"], "text": [None, "Great"], "channel": [None, "email"]}
            )
        }
    )
    assert created["folded"] and "Text: Great" in created["lines"]
    unknown = told({"event": _event("survey.send_reminder", {})})
    assert str(unknown["sentence"]) == "· <strong>Send reminder</strong>"
