"""houqin's exception hierarchy: one class per ErrorCode, each carrying .code, raised for every
houqin::Error; messages name the field or id at fault and bad input changes nothing."""

import pytest

import houqin
from houqin.site import Campus, Room, RoomType


def test_one_class_per_code_all_derived_from_error():
    for code in houqin.ErrorCode:
        name = "".join(part.capitalize() for part in code.name.split("_"))
        cls = getattr(houqin, name)
        assert issubclass(cls, houqin.Error)
        assert cls.code is code
        assert cls.__module__ == "houqin"
        assert cls.__doc__
    assert houqin.ErrorCode.not_found == 2  # the C++ numbering (negated in the C ABI)
    assert issubclass(houqin.InvalidArgument, ValueError) and issubclass(houqin.InvalidArgument, TypeError)
    assert issubclass(houqin.NotFound, LookupError)


def test_wrong_type_names_the_field():
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.beds: expected int, got str") as e:
        Room(beds="four")
    assert e.value.code is houqin.ErrorCode.invalid_argument
    room = Room(code="A-1-0101")
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.type: unknown value 'lab' \(expected one of: ward"):
        room.type = "lab"
    assert room.type is RoomType.other  # unchanged
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.bed: unknown field"):
        Room(bed=3)
    with pytest.raises(AttributeError):
        room.bed = 3  # no typo silently creates an attribute
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.beds: value 4294967296 is out of range"):
        room.beds = 2**32
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.beds: expected int, got bool"):
        room.beds = True


def test_from_dict_is_strict():
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.colour: unknown field"):
        Room.from_dict({"code": "x", "colour": "red"})


def test_not_found_and_already_exists_and_conflict(store):
    with pytest.raises(houqin.NotFound, match=r"^site_room 4711: not found"):
        store.require(Room, 4711)
    assert store.get("rooms", 4711) is None
    store.put(Campus(code="MAIN", name="Main campus"))
    with pytest.raises(houqin.AlreadyExists):
        store.put(Campus(code="MAIN", name="Again"))
    first = store.find(Campus, code="MAIN")[0]
    second = store.require(Campus, first.id)
    first.name = "Renamed"
    store.put(first)
    second.name = "Stale"
    with pytest.raises(houqin.Conflict):
        store.put(second)
    assert store.require(Campus, first.id).name == "Renamed"  # the stale write changed nothing


def test_unknown_entity_and_column(store):
    with pytest.raises(houqin.NotFound, match=r"entity 'wards' is not known \(known: .*rooms"):
        store.find("wards")
    with pytest.raises(houqin.InvalidArgument, match=r"colour"):
        store.find(Room, colour="red")
    with pytest.raises(houqin.InvalidArgument, match=r"^query\.where\[0\]\.op: unknown value 'like'"):
        store.find(Room, [("code", "like", "A%")])


def test_permission_denied_and_unauthenticated(platform):
    clerk = platform.user_with("clerk", "clerk", ["site.edit"])
    with pytest.raises(houqin.PermissionDenied):
        houqin.audit.query(platform.store, clerk)
    with pytest.raises(houqin.Unauthenticated):
        platform.auth.login("clerk", "wrong password")


def test_closed_store_and_bad_url(tmp_path):
    s = houqin.Store("sqlite::memory:", migrate=True)
    s.close()
    s.close()  # idempotent
    assert s.closed
    with pytest.raises(houqin.FailedPrecondition, match="is closed"):
        s.find(Room)
    with pytest.raises(houqin.InvalidArgument):
        houqin.Store("mysql://nowhere")
    with pytest.raises(houqin.Unavailable):
        houqin.Store("sqlite:" + str(tmp_path / "missing" / "folder" / "x.db"))
