"""BI from Python: the service desk's figures and a KPI series through houqin.services.bi, the
counters as typed houqin.bi entities, an unknown KPI refused by name."""

import pytest

import houqin
from conftest import HOSPITAL


def test_the_service_desk_counts_what_the_host_saw(platform):
    """BI from Python: a work order reported, the platform's host catching up, the service desk's
    figures and a KPI series through houqin.services.bi, the counters as typed entities."""
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    room = store.find(houqin.site.Room, limit=1)[0]
    desk = platform.user_with("desk", "desk", ["repair.report", "bi.read", "bi.manage"])
    order = houqin.services.repair.report(store, desk, room_id=room.id, category="electrical",
                                          description="灯不亮", urgency="high", impact="medium")
    houqin.services.bi.rebuild(store, desk)
    snap = houqin.services.bi.snapshot(store, desk)
    assert snap["work_orders_open"] == 1
    assert snap["reported_this_month"] == 1
    series = houqin.services.bi.series(store, desk, kpi="repair.reported", period="year",
                                       **{"from": "2000-01-01", "to": "2100-01-01"})
    assert sum(p["count"] for p in series["points"]) == 1
    with pytest.raises(houqin.InvalidArgument, match="kpi: unknown 'nope'"):
        houqin.services.bi.series(store, desk, kpi="nope", **{"from": "2000-01-01", "to": "2100-01-01"})
    counters = store.find(houqin.bi.Counter, kpi="repair.open")
    assert [c.count for c in counters] == [1]
    assert order["code"].startswith("WO-")
