"""Hazards and patrols from Python: a hazard through the closed loop via houqin.services.hazard (reported by a
nurse, assigned by the safety office, rectified by a unit, closed by a reviewer), read back as
typed houqin.hazard entities, and the refusals (a major hazard without its 五落实 plan, an unknown
grade, a reviewer reviewing their own work) naming what is wrong; a patrol area with its plans
by day and night, and fewer patrols than the minimum refused."""

import pytest

import houqin
from conftest import HOSPITAL


def test_a_hazard_from_report_to_closed(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    dept = store.find(houqin.site.Department, limit=1)[0]
    nurse = platform.user_with("nurse", "staff", ["hazard.report"])
    office = platform.user_with("office", "safety", ["hazard.manage", "hazard.read"])
    unit = platform.user_with("unit", "unit", ["hazard.rectify", "hazard.review"])
    reviewer = platform.user_with("reviewer", "reviewer", ["hazard.review"])
    hz = houqin.services.hazard
    h = hz.report(store, nurse, title="疏散通道堵塞", grade="general", location="门诊大厅东侧",
                  department_id=dept.id, before_photos=["file:1"])
    assert h["status"] == "reported"
    hz.assign(store, office, code=h["code"], assigned_department_id=dept.id)
    hz.start(store, unit, code=h["code"])
    hz.submit(store, unit, code=h["code"], rectification="已清理", after_photos=["file:2"])
    with pytest.raises(houqin.FailedPrecondition, match="another person reviews it"):
        hz.approve(store, unit, code=h["code"])
    hz.approve(store, reviewer, code=h["code"], note="核查通过")
    typed = store.find(houqin.hazard.Hazard, code=h["code"])[0]
    assert typed.status == houqin.hazard.Status.closed
    assert typed.after_photos == ["file:2"]
    trace = hz.trace(store, office, code=h["code"])
    assert [r["action"] for r in trace["records"]] == [
        "report", "assign", "start", "submit", "approve"]

    major = hz.report(store, nurse, title="配电柜过热", grade="major", location="配电室")
    with pytest.raises(houqin.FailedPrecondition, match="五落实 plan lacks responsible_staff_id"):
        hz.assign(store, office, code=major["code"], assigned_department_id=dept.id)
    with pytest.raises(houqin.InvalidArgument, match="grade"):
        hz.report(store, nurse, title="x", grade="minor", location="y")


def test_a_patrol_area_gets_its_plans_by_day_and_night(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    rooms = store.find(houqin.site.Room, limit=2)
    office = platform.user_with("office", "safety",
                                ["patrol.plan", "patrol.read", "inspection.configure"])
    patrol = houqin.services.patrol
    template = patrol.install_checklist(store, office)
    assert template["code"] == "FIRE-SAFETY"
    assert {i["key"] for i in template["items"]} >= {"exits_clear", "fire_doors_closed",
                                                     "extinguishers_in_date", "electrical"}
    route = houqin.services.inspection.save_route(
        store, office, code="R1", name="病区", points=[{"room_id": r.id} for r in rooms])
    area = patrol.save_area(store, office, code="WARDS", type="inpatient", route_id=route["id"])
    assert len(area["day_plan_ids"]) == 2 and len(area["night_plan_ids"]) == 2
    typed = store.find(houqin.patrol.Area, code="WARDS")[0]
    assert typed.type == houqin.patrol.AreaType.inpatient
    with pytest.raises(houqin.InvalidArgument, match="the minimum for inpatient areas"):
        patrol.save_area(store, office, code="WARDS", type="inpatient", route_id=route["id"],
                         night_patrols=1)
    assert patrol.compliance(store, office, **{"from": "2026-01-01T00:00:00Z",
                                               "to": "2026-01-02T00:00:00Z"})["required"] == 4


def test_an_emergency_plan_is_drilled_and_activated(platform):
    store = platform.store
    office = platform.user_with("em", "em", ["emergency.manage", "emergency.read",
                                             "emergency.activate"])
    em = houqin.services.emergency
    plan = em.save_plan(store, office, code="POWER", scenario="power_outage", title="停电应急预案",
                        levels=[{"level": "I", "criteria": "全院停电", "actions": "启动发电机"}],
                        steps=[{"action": "确认停电范围", "role": "值班电工", "within_minutes": 0},
                               {"action": "启动柴油发电机", "role": "值班电工",
                                "within_minutes": 5}])
    assert plan["revision"] == 1 and plan["drill_every_months"] == 12
    drill = em.schedule_drill(store, office, plan_code="POWER", kind="functional",
                              scheduled_for="2020-01-01T00:00:00Z")
    done = em.record_drill(store, office, drill_id=drill["id"], participants=["张工", "李工"],
                           evaluation="良好", score=90)
    assert done["status"] == "done"
    typed = store.find(houqin.emergency.Drill, plan_code="POWER")[0]
    assert typed.status == houqin.emergency.DrillStatus.done
    incident = em.activate(store, office, plan_code="POWER", level="I", note="演示")
    assert incident["code"].startswith("EM-")
    with pytest.raises(houqin.InvalidArgument, match="is not a level of plan POWER"):
        em.activate(store, office, plan_code="POWER", level="IV")
