"""Entities bound from their descriptions: attributes, keyword constructors, repr, equality,
to_dict/from_dict, pickling, and the store round trip on every backend."""

import copy
import datetime
import pickle

import pytest

import houqin
from houqin.site import Building, Campus, Floor, KnowledgeArticle, Room, RoomType, Shift, ShiftAssignment, Staff, Department

from conftest import HOSPITAL


def test_classes_come_from_descriptions():
    assert Room.__fields__ == ("id", "version", "floor_id", "code", "name", "type", "department_id", "beds", "area_m2", "active")
    assert Room.collection == "rooms" and Room.table == "site_room"
    assert Room.__annotations__["type"] == "houqin.site.RoomType"
    assert Room.__annotations__["area_m2"] == "float | None"
    assert houqin.entity_class("rooms") is Room
    assert {"rooms", "staff", "users", "audit_log", "points", "devices"} <= set(houqin.entity_names())
    assert issubclass(RoomType, str) and RoomType.ward == "ward" and str(RoomType.icu) == "icu"
    assert houqin.auth.ScopeKind.global_.value == "global"  # a Python keyword gets an underscore


def test_object_behaviour():
    r = Room(code="A-3-0312", name="Ward 3", type="ward", beds=4, area_m2=31.5)
    assert r.type is RoomType.ward and r.department_id is None and r.id == 0
    assert repr(r).startswith("Room(id=0, version=0, floor_id=0, code='A-3-0312', name='Ward 3', type=<RoomType.ward")
    assert r == Room(code="A-3-0312", name="Ward 3", type=RoomType.ward, beds=4, area_m2=31.5)
    assert r != Room(code="A-3-0312") and r != "A-3-0312"
    with pytest.raises(TypeError):
        hash(r)
    d = r.to_dict()
    assert d["type"] == "ward" and d["area_m2"] == 31.5 and d["department_id"] is None
    assert Room.from_dict(d) == r
    assert pickle.loads(pickle.dumps(r)) == r
    c = copy.deepcopy(r)
    c.beds = 5
    assert r.beds == 4


def test_time_and_list_members():
    a = KnowledgeArticle(code="KB-1", title="t", tags=["gas", "alarm"],
                         updated_at=datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))))
    assert a.updated_at == datetime.datetime(2026, 3, 2, 0, 30, tzinfo=datetime.timezone.utc)
    assert a.to_dict()["updated_at"] == "2026-03-02T00:30:00Z"
    assert a.tags == ["gas", "alarm"]
    with pytest.raises(houqin.InvalidArgument, match="naive datetime"):
        a.updated_at = datetime.datetime(2026, 1, 1)
    s = ShiftAssignment(day=datetime.date(2026, 3, 2))
    assert s.day == datetime.date(2026, 3, 2) and s.to_dict()["day"] == "2026-03-02"
    s.day = "2026-03-03"
    assert s.day == datetime.date(2026, 3, 3)
    with pytest.raises(houqin.InvalidArgument, match=r"^ShiftAssignment\.day: expected date, got datetime"):
        s.day = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def test_round_trip_every_backend(store):
    campus = store.put(Campus(code="C", name="Campus"))
    assert campus.id > 0 and campus.version >= 1
    b = Building(campus_id=campus.id, code="A", name="A", floors_above=5)
    store.put(b)
    f = Floor(building_id=b.id, level=3, code="A-3", name="3F")
    store.put(f)
    rooms = [Room(floor_id=f.id, code="A-3-%04d" % i, name="r%d" % i, type="ward" if i % 2 else "icu", beds=i)
             for i in range(1, 11)]
    store.put_many(rooms)
    assert all(r.id > 0 for r in rooms)
    got = store.require(Room, rooms[0].id)
    assert got == rooms[0]
    assert store.count(Room) == 10
    icu = store.find(Room, type=RoomType.icu, order_by="-beds")
    assert [r.beds for r in icu] == [10, 8, 6, 4, 2]
    assert [r.code for r in store.find("rooms", [("beds", ">=", 9)], order_by="code")] == ["A-3-0009", "A-3-0010"]
    assert store.count(Room, [("beds", "in", [1, 2, 3])]) == 3
    assert store.count(Room, department_id=None) == 10
    assert len(store.find(Room, limit=3, offset=8)) == 2
    got.beds = 42
    store.put(got)
    assert store.require(Room, got.id).beds == 42
    assert store.remove(got) is True
    assert store.remove(Room, got.id) is False
    with store.transaction():
        store.put(Room(floor_id=f.id, code="T-1", name="kept"))
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.put(Room(floor_id=f.id, code="T-2", name="rolled back"))
            raise RuntimeError("abort")
    assert [r.code for r in store.find(Room, [("code", "contains", "T-")])] == ["T-1"]


def test_personal_data_round_trips_sealed(store):
    dep = store.put(Department(code="ENG", name="Engineering", kind="logistics"))
    s = store.put(Staff(employee_no="E1", name="张三", department_id=dep.id, phone="13812341234", skills=["electrical"]))
    assert store.require(Staff, s.id).phone == "13812341234"


def test_import_hospital_and_summary(store):
    report = houqin.site.import_hospital(store, HOSPITAL)
    # store::ImportReport, as hq_site_import_hospital() gives it in C
    assert set(report) == {"inserted", "total"}
    assert report["inserted"]["rooms"] == 292
    assert report["total"] == sum(report["inserted"].values()) > 292
    summary = houqin.site.summarize(store)
    assert isinstance(summary, houqin.site.Summary)
    assert summary.rooms == 292 and summary.buildings == 6 and summary.staff == 83
    assert sum(summary.rooms_by_type.values()) == 292
    with pytest.raises(houqin.AlreadyExists):
        houqin.site.import_hospital(store, HOSPITAL)  # all or nothing: nothing doubled
    assert store.count(Room) == 292


def test_keys_from_environment(monkeypatch):
    monkeypatch.setenv("HOUQIN_TEST_KEYS", houqin.protect.generate_key_line("env1"))
    with houqin.Store("sqlite::memory:", keys_env="HOUQIN_TEST_KEYS", migrate=True) as s:
        dep = s.put(Department(code="D", name="D"))
        s.put(Staff(employee_no="E", name="n", department_id=dep.id, phone="13812341234"))
        assert s.find(Staff)[0].phone == "13812341234"
    with houqin.Store("sqlite::memory:", keys_env="HOUQIN_NO_SUCH_VARIABLE", migrate=True) as s:
        dep = s.put(Department(code="D", name="D"))
        with pytest.raises(houqin.FailedPrecondition, match="personal data"):
            s.put(Staff(employee_no="E", name="n", department_id=dep.id, phone="13812341234"))
        assert s.count(Staff) == 0


def test_his_push_through_the_registry(platform):
    feed = platform.user_with("his", "his_feed", ["site.edit"])
    push = dict(source="HIS",
                departments=[{"code": "D2", "name": "子科室", "parent_code": "D1"},
                             {"code": "D1", "name": "科室", "kind": "logistics"}],
                staff=[{"employee_no": "E1", "name": "张三", "department_code": "D2", "title": "电工",
                        "skills": ["electrical"]}])
    r = houqin.services.site.his_push(platform.store, feed, **push)
    assert r["changes"] == 3 and r["departments"]["created"] == ["D1", "D2"]
    again = houqin.services.site.his_push(platform.store, feed, **push)
    assert again["changes"] == 0 and again["staff"]["counts"]["unchanged"] == 1
    push["staff"][0]["department_code"] = "X"
    with pytest.raises(houqin.InvalidArgument,
                       match=r'^staff\[0\] \(E1\)\.department_code: no department with code "X"'):
        houqin.services.site.his_push(platform.store, feed, **push)
    gone = houqin.services.site.his_push(platform.store, feed, source="HIS", departments=push["departments"])
    assert gone["staff"]["deactivated"] == ["E1"]
    assert platform.store.find(Staff, employee_no="E1")[0].active is False
