"""The business domains from Python: a repair reported and dispatched through the generated
service functions, read back as typed entities, masking in results, and stock kept by its
service (the generic entity API refuses writes)."""

import pytest

import houqin
from conftest import HOSPITAL


def test_report_dispatch_and_read_back(platform):
    store = platform.store
    houqin.site.import_hospital(store, str(HOSPITAL))
    desk = platform.user_with("desk", "desk", ["repair.report", "repair.dispatch"])
    room = store.find(houqin.site.Room, limit=1)[0]
    order = houqin.services.repair.report(store, desk, room_id=room.id,
                                          description="ceiling light flickers",
                                          reporter_phone="13812345678", urgency="high")
    assert order["status"] == "reported"
    assert order["reporter_phone"] == "138****5678"  # masked: desk may not unmask
    typed = store.get(houqin.repair.WorkOrder, order["id"])
    assert isinstance(typed, houqin.repair.WorkOrder)
    assert typed.status == houqin.repair.Status.reported and typed.room_id == room.id
    assert typed.channel == houqin.repair.Channel.web

    tech = store.find(houqin.site.Staff, limit=1)[0]
    dispatched = houqin.services.repair.dispatch(store, desk, work_order_id=order["id"],
                                                 technician_id=tech.id)
    assert dispatched["status"] == "dispatched"
    with pytest.raises(houqin.FailedPrecondition):  # dispatched orders are not reported again
        houqin.services.repair.approve(store, desk, work_order_id=order["id"])
    with pytest.raises(houqin.InvalidArgument, match="urgency"):
        houqin.services.repair.report(store, desk, description="x", urgency="panic")


def test_stock_changes_only_through_its_service(platform):
    store = platform.store
    keeper = platform.user_with("keeper", "keeper", ["inventory.edit", "inventory.issue"])
    wh = houqin.services.inventory.create_warehouse(store, keeper, code="WH1", name="Main")
    item = houqin.services.inventory.create_item(store, keeper, code="SEAL", name="Seal")
    houqin.services.inventory.receive(store, keeper, warehouse_id=wh["id"], item_id=item["id"],
                                      qty=3)
    with pytest.raises(houqin.FailedPrecondition, match="insufficient stock"):
        houqin.services.inventory.issue(store, keeper, warehouse_id=wh["id"],
                                        item_id=item["id"], qty=5)
    stock = store.find(houqin.inventory.Stock)
    assert [s.qty for s in stock] == [3]


def test_manual_clock_drives_the_services(key_file):
    from datetime import datetime, timedelta, timezone
    from conftest import Platform
    start = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    clock = houqin.ManualClock(start)
    assert clock.now() == start and "2026-03-02" in repr(clock)
    with houqin.Store("sqlite::memory:", key_file=key_file, migrate=True, clock=clock) as store:
        assert store.now == start
        platform = Platform(store)
        houqin.site.import_hospital(store, str(HOSPITAL))
        desk = platform.user_with("desk", "desk", ["repair.report", "repair.dispatch", "repair.work"])
        order = houqin.services.repair.report(store, desk, description="tap drips", category="plumbing")
        tech = store.find(houqin.site.Staff, limit=1)[0]
        houqin.services.repair.dispatch(store, desk, work_order_id=order["id"], technician_id=tech.id)
        assert clock.advance(minutes=20) == start + timedelta(minutes=20)
        clock.advance(timedelta(seconds=30))
        accepted = houqin.services.repair.accept(store, desk, work_order_id=order["id"])
        typed = store.get(houqin.repair.WorkOrder, order["id"])
        assert typed.reported_at == start
        assert typed.accepted_at - typed.reported_at == timedelta(minutes=20, seconds=30)
        assert accepted["status"] == "accepted"
    with pytest.raises(houqin.InvalidArgument):
        clock.advance(minutes=-1)
    with pytest.raises(houqin.InvalidArgument, match="naive"):
        houqin.ManualClock(datetime(2026, 1, 1))


def test_repair_events_reach_store_subscribers(platform):
    store = platform.store
    desk = platform.user_with("desk", "desk", ["repair.report", "repair.dispatch", "repair.work"])
    reported, transitions = [], []
    with store.subscribe(houqin.repair.WorkOrderReported, reported.append), \
            store.subscribe(houqin.repair.WorkOrderEvent, transitions.append):
        order = houqin.services.repair.report(store, desk, description="door sticks",
                                              category="carpentry")
        houqin.services.repair.cancel(store, desk, work_order_id=order["id"], reason="duplicate")
    assert [(e.work_order_id, e.code) for e in reported] == [(order["id"], order["code"])]
    assert [(e.action, e.to) for e in transitions] == [("report", "reported"), ("cancel", "cancelled")]
    assert transitions[1].reason == "duplicate"
