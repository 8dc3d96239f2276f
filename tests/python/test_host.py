"""houqin.Host from Python: a host on its own connection reacts to a repair reported through the
services on another (the asset goes down, the technician is reminded once), its status and the
store-wide host.status agree, a bad configuration is refused naming the field, and run_once is
refused while the host's own thread runs."""

import time

import pytest

import houqin
from conftest import HOSPITAL, Platform


def _wait(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_a_host_reacts_once_to_a_change_made_on_another_connection(shared_store_url, key_file):
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True) as store:
        platform = Platform(store)
        houqin.site.import_hospital(store, str(HOSPITAL))
        keeper = platform.user_with("keeper", "keeper", ["asset.edit"])
        desk = platform.user_with("desk", "desk", ["repair.report", "repair.dispatch"])
        room = store.find(houqin.site.Room, limit=1)[0]
        tech = store.find(houqin.site.Staff, limit=1)[0]
        pump = houqin.services.asset.register(store, keeper, code="PUMP-1", name="Vacuum pump",
                                              category="pump", room_id=room.id,
                                              status="in_service")
        config = {"host": {"holder": "py-host", "lease_ttl": "PT2S", "idle": "PT0.2S"}}
        with houqin.Host(shared_store_url, key_file=key_file, config=config) as host:
            assert _wait(lambda: host.status()["rounds"] >= 1)
            order = houqin.services.repair.report(store, desk, room_id=room.id,
                                                  asset_id=pump["id"], description="pump stopped")
            houqin.services.repair.dispatch(store, desk, work_order_id=order["id"],
                                            technician_id=tech.id)
            assert _wait(lambda: store.get(houqin.asset.Asset, pump["id"]).status
                         == houqin.asset.AssetStatus.down)
            assert _wait(lambda: len(store.find(houqin.notify.Message)) == 1)
            status = host.status()
            assert status["holder"] == "py-host"
            wiring = [c for c in status["consumers"] if c["name"] == "wiring"][0]
            assert wiring["active"] and wiring["dead_letters"] == 0
            with pytest.raises(houqin.FailedPrecondition, match="own thread"):
                host.run_once()
            # The store's view, from this connection: the reactions' own events passed over too.
            admin = platform.user_with("ops", "ops", ["host.read"])
            assert _wait(lambda: all(c["lag"] == 0 for c in
                                     houqin.services.host.status(store, admin)["consumers"]))
            seen = houqin.services.host.status(store, admin)
            assert [c["name"] for c in seen["consumers"]] == ["bi", "wiring"]
            assert all(c["lease_holder"] == "py-host" for c in seen["consumers"])
            assert seen["scheduler_holder"] == "py-host"
            assert "repair.sla_tick" in [j["name"] for j in seen["jobs"]]
        time.sleep(0.3)
        messages = store.find(houqin.notify.Message)
        assert [m.template_name for m in messages] == ["new_assignment"]
        assert messages[0].recipient_staff_id == tech.id
        with pytest.raises(houqin.PermissionDenied):
            houqin.services.host.replay(store, admin, dead_letter_id=1)


def test_run_once_and_bad_configuration(shared_store_url, key_file):
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True):
        pass
    with pytest.raises(houqin.InvalidArgument, match="sla_tik"):
        houqin.Host(shared_store_url, key_file=key_file, config={"wiring": {"sla_tik": "PT1M"}})
    with pytest.raises(houqin.InvalidArgument, match="lease_ttl"):
        houqin.Host(shared_store_url, key_file=key_file, config={"host": {"lease_ttl": 5}})
    host = houqin.Host(shared_store_url, key_file=key_file)
    first = host.run_once()
    assert set(first) == {"handled", "replayed", "ran", "more"}
    assert first["ran"] >= 1  # the SLA check and the retention are due at once
    assert host.run_once()["ran"] == 0
    host.close()
    with pytest.raises(houqin.FailedPrecondition, match="closed"):
        host.status()
