"""Preventive work from Python: a checklist template, a daily plan due now, the generator, an NFC
scan at the point, completion with a reading out of limits (a finding), compliance, typed
houqin.inspection entities, an NTAG 424 DNA tap verified with AN12196's published message and
refused when replayed, and refusals naming what is wrong."""

import datetime

import pytest

import houqin
from conftest import HOSPITAL


def test_a_round_from_plan_to_finding(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    room = store.find(houqin.site.Room, limit=2)
    admin = platform.user_with("pm", "pm", ["inspection.configure"])
    inspector = platform.user_with("insp", "inspector", ["inspection.perform", "inspection.read"])
    insp = houqin.services.inspection
    insp.save_template(store, admin, code="O2", name="氧气汇流排", items=[
        {"key": "pressure", "text": "压力", "kind": "number", "min": 0.35, "max": 0.55,
         "unit": "MPa"},
        {"key": "leak", "text": "泄漏", "kind": "pass_fail"}])
    start = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=1))
    for code, r in (("P-A", room[0]), ("P-B", room[1])):
        insp.save_plan(store, admin, code=code, template_code="O2", room_id=r.id, every=1,
                       unit="day", start=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       window_minutes=600)
    assert insp.generate(store, admin)["issued"] == 2
    tasks = store.find(houqin.inspection.Task)
    assert all(t.status == houqin.inspection.TaskStatus.open for t in tasks)
    a = next(t for t in tasks if t.points[0]["room_id"] == room[0].id)
    b = next(t for t in tasks if t.points[0]["room_id"] == room[1].id)

    insp.register_tag(store, admin, uid="04:A1:B2:C3:D4:E5:F6", type="ntag21x",
                      room_id=room[0].id)
    scan = insp.scan(store, inspector, task_code=a.code, uid="04a1b2c3d4e5f6")
    assert scan["accepted"] and scan["flag"] == "none"
    assert insp.scan(store, inspector, task_code=a.code,
                     uid="04a1b2c3d4e5f6")["flag"] == "duplicate"
    with pytest.raises(houqin.InvalidArgument, match="results\\[0\\].key: 'bogus'"):
        insp.complete(store, inspector, task_code=a.code,
                      results=[{"key": "bogus", "pass": True}])
    done = insp.complete(store, inspector, task_code=a.code, results=[
        {"key": "pressure", "number": 0.3}, {"key": "leak", "pass": True}])
    assert done["status"] == "done" and done["findings"] == 1
    assert "0.3 MPa outside 0.35..0.55 MPa" in done["results"][0]["finding"]

    # The tag of AN12196's examples (all-zero keys) at the other point: its tap verifies once.
    insp.register_tag(store, admin, uid="04DE5F1EACC040", type="ntag424_dna", room_id=room[1].id,
                      sun_meta_key="0" * 32, sun_file_key="0" * 32)
    tap = {"task_code": b.code, "picc_data": "EF963FF7828658A599F3041510671E88",
           "cmac": "94EED9EE65337086"}
    first = insp.scan_sun(store, inspector, **tap)
    assert first["accepted"] and first["verified"] and first["counter"] == 61
    assert insp.scan_sun(store, inspector, **tap)["flag"] == "replayed"
    assert insp.scan_sun(store, inspector, **{**tap, "cmac": "0000000000000000"})["flag"] == "forged"

    reader = platform.user_with("reader", "reader", ["inspection.read"])
    day = datetime.datetime.now(datetime.timezone.utc)
    compliance = insp.compliance(
        store, reader, **{"from": (day - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "to": (day + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert compliance["total"]["due"] == 2 and compliance["total"]["done"] == 1
    with pytest.raises(houqin.InvalidArgument, match="a plan needs a trigger"):
        insp.save_plan(store, admin, code="NONE", template_code="O2", room_id=room[0].id)
