"""Satisfaction surveys from Python: a questionnaire drafted, published and sent to the sample
hospital's clinical staff via houqin.services.survey; one invitee's link (read from the outbox
before delivery, as the SMS would carry it) opens the form and answers once; bad answers and an
unknown question kind are refused by name; scores stay withheld below the minimum; the typed
entities read back through houqin.survey."""

import pytest

import houqin
from conftest import HOSPITAL


def test_a_survey_sent_answered_once_and_scored(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    office = platform.user_with("office", "survey_office",
                                ["survey.manage", "survey.read", "notify.send"])
    sv = houqin.services.survey
    questions = [
        {"key": "q1", "text": "维修服务态度", "kind": "likert", "required": True,
         "dimension": "attitude", "service": "repair"},
        {"key": "q2", "text": "推荐度", "kind": "nps", "dimension": "loyalty"},
    ]
    with pytest.raises(houqin.InvalidArgument, match="kind"):
        sv.save_questionnaire(store, office, code="Q", title="t",
                              questions=[{"key": "q1", "text": "x", "kind": "stars"}])
    q = sv.save_questionnaire(store, office, code="LOGISTICS-Q", title="后勤服务满意度",
                              questions=questions)
    sv.publish(store, office, code="LOGISTICS-Q", revision=q["revision"])
    sv.create(store, office, code="SV-1", title="一季度", questionnaire="LOGISTICS-Q",
              period_from="2026-01-01", period_to="2026-04-01", closes_at="2099-01-01T00:00:00Z")
    d = sv.distribute(store, office, code="SV-1")
    assert d["invited"] > 0
    assert d["messages"] == d["invited"]

    messages = store.find(houqin.notify.Message, template_name="survey_invitation")
    assert len(messages) == d["invited"]
    assert all(m.redact_after_delivery for m in messages)
    body = messages[0].body
    token = body[body.index("/s/") + 3:][:32]
    anyone = platform.user_with("kiosk", "kiosk", [])
    form = sv.open(store, anyone, token=token)
    assert form["anonymous"] is True
    with pytest.raises(houqin.InvalidArgument, match="6 is not a whole number in 1..5"):
        sv.respond(store, anyone, token=token, answers=[{"question": "q1", "value": 6}])
    receipt = sv.respond(store, anyone, token=token,
                         answers=[{"question": "q1", "value": 5}, {"question": "q2", "value": 9}])
    assert receipt["survey"] == "SV-1"
    with pytest.raises(houqin.NotFound, match="already used"):
        sv.respond(store, anyone, token=token, answers=[{"question": "q1", "value": 5}])

    scores = sv.scores(store, office, survey="SV-1")
    assert scores["overall"]["withheld"] is True  # one answer is fewer than five
    assert "score" not in scores["overall"] or scores["overall"]["score"] is None
    typed = store.find(houqin.survey.Survey, code="SV-1")[0]
    assert typed.status == houqin.survey.SurveyStatus.open
    assert "survey_responses" not in houqin.entity_names()

