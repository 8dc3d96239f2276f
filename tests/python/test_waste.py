"""Medical waste from Python: a bag through the whole chain via houqin.services.waste with the
ward and the collector as two people, read back as typed houqin.waste entities, and the refusals
(a one-person handover, an unknown category) naming what is wrong."""

import pytest

import houqin
from conftest import HOSPITAL


def test_a_bag_from_the_ward_to_the_company(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    dept = store.find(houqin.site.Department, limit=1)[0]
    nurse = platform.user_with("nurse", "ward", ["waste.collect"])
    porter = platform.user_with("porter", "porter", ["waste.handover", "waste.read"])
    waste = houqin.services.waste
    bag = waste.register(store, nurse, category="infectious", department_id=dept.id,
                         weight_kg=1.5, double_bagged=True)
    waste.seal(store, nurse, code=bag["code"], at_three_quarters=True)
    waste.offer(store, nurse, code=bag["code"], at_three_quarters=True)
    with pytest.raises(houqin.FailedPrecondition, match="two people"):
        _one_person_handover(platform, store, dept)
    waste.collect(store, porter, code=bag["code"], weight_kg=1.51)
    waste.intake(store, porter, code=bag["code"], weight_kg=1.5)
    manifest = waste.open_manifest(store, porter, code="LD-1", category="infectious",
                                   company="处置公司")
    waste.outbound(store, porter, code=bag["code"], manifest_id=manifest["id"], weight_kg=1.5)
    waste.transfer(store, porter, manifest_id=manifest["id"], receiver="driver")
    typed = store.find(houqin.waste.Bag, code=bag["code"])[0]
    assert typed.stage == houqin.waste.Stage.transferred
    assert typed.double_bagged
    trace = waste.trace(store, porter, code=bag["code"])
    assert [s["stage"] for s in trace["steps"]] == [
        "generated", "collected", "stored", "outbound", "transferred"]
    assert trace["steps"][1]["actor"] == "user:nurse"
    assert trace["steps"][1]["counterpart"] == "user:porter"
    with pytest.raises(houqin.InvalidArgument, match="category"):
        waste.register(store, nurse, category="radioactive", department_id=dept.id, weight_kg=1)


def _one_person_handover(platform, store, dept):
    both = platform.user_with("both", "both", ["waste.collect", "waste.handover"])
    bag = houqin.services.waste.register(store, both, category="sharps", kind="sharps_box",
                                         department_id=dept.id, weight_kg=0.4)
    houqin.services.waste.seal(store, both, code=bag["code"], at_three_quarters=True)
    houqin.services.waste.offer(store, both, code=bag["code"], at_three_quarters=True)
    houqin.services.waste.collect(store, both, code=bag["code"], weight_kg=0.4)
