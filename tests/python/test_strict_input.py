"""One strict rule set at every Python entry: a lone surrogate, a NUL character, None or a wrong type
in an entity field, a store call or a service input raises houqin.InvalidArgument naming the field
(never UnicodeEncodeError, RuntimeError or a crash), and the store is unchanged afterwards."""

import pytest

import houqin
from houqin.site import Campus, Room


def counts(store):
    """How many rows every bound collection holds: equal before and after a refused input."""
    return {name: store.count(name) for name in houqin.entity_names()}


def test_lone_surrogate_and_nul_in_entity_fields():
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.code: lone surrogate at character 1 \(not Unicode"):
        Room(code="A\ud800")
    room = Room(code="A-1")
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.name: lone surrogate at character 0"):
        room.name = "\udfff tail"
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.code: NUL character at character 2"):
        room.code = "A-\x001"
    assert room.code == "A-1" and room.name == ""  # a refused assignment leaves the value as it was
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.code: lone surrogate"):
        Room.from_dict({"code": "\ud83d"})
    with pytest.raises(houqin.InvalidArgument, match=r"^Room: expected str keys, got int"):
        Room.from_dict({1: "x"})
    # Non-BMP text is Unicode, not a surrogate: it passes.
    assert Room(name="病房 \U0001F3E5").name == "病房 \U0001F3E5"


def test_store_put_refuses_none_and_bad_text_without_writing(store):
    store.put(Campus(code="MAIN", name="Main campus"))
    before = counts(store)
    with pytest.raises(houqin.InvalidArgument, match=r"^put site_room: data: expected dict or houqin\.site\.Room, got NoneType"):
        store.put("rooms", None)
    with pytest.raises(houqin.InvalidArgument, match=r"^put site_room: data: expected dict"):
        store.put(Room, None)
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.code: lone surrogate"):
        store.put("rooms", {"code": "\ud800"})
    with pytest.raises(houqin.InvalidArgument, match=r"^Room\.beds: expected integer, got null"):
        store.put("rooms", {"code": "R1", "beds": None})
    with pytest.raises(houqin.InvalidArgument, match=r"^Room: expected object, got array"):
        store.put("rooms", ["R1"])
    with pytest.raises(houqin.InvalidArgument, match=r"give data only with a collection name"):
        store.put(Campus(code="X"), {"code": "Y"})
    with pytest.raises(houqin.InvalidArgument, match=r"lone surrogate"):
        store.find("campuses", code="\ud800")
    assert counts(store) == before


def test_service_input_is_strict_and_changes_nothing(platform):
    sysadmin = platform.actor("sysadmin")
    store = platform.store
    before = counts(store)
    create = houqin.services.auth.create_user
    cases = [
        (dict(login="nurse\ud800", display_name="N", password="Hq-test-2026-x"),
         r"^auth\.create_user\.login: lone surrogate at character 5"),
        (dict(login="nurse", display_name="N\x00", password="Hq-test-2026-x"),
         r"^auth\.create_user\.display_name: NUL character at character 1"),
        (dict(login=5, display_name="N", password="Hq-test-2026-x"),
         r"^auth\.create_user\.login: expected string, got number"),
        (dict(login=None, display_name="N", password="Hq-test-2026-x"),
         r"^auth\.create_user\.login: expected string, got null"),
        (dict(display_name="N", password="Hq-test-2026-x"),
         r"^auth\.create_user\.login: required field is missing"),
        (dict(login="nurse", display_name="N", password="Hq-test-2026-x", colour="red"),
         r"^auth\.create_user\.colour: unknown field"),
        ({"login": "nurse", "display_name": "N", "password": "Hq-test-2026-x", "\udc80": 1},
         r"^auth\.create_user: lone surrogate at character 0"),
    ]
    for kwargs, message in cases:
        with pytest.raises(houqin.InvalidArgument, match=message):
            create(store, sysadmin, **kwargs)
        with pytest.raises(houqin.InvalidArgument, match=message):
            houqin.call(store, sysadmin, "auth.create_user", kwargs)
    with pytest.raises(houqin.InvalidArgument, match=r"^auth\.create_user: input: expected dict"):
        houqin.call(store, sysadmin, "auth.create_user", ["nurse"])
    assert counts(store) == before


def test_nesting_limit_and_self_containing_values(platform):
    auditor = platform.actor("auditor")
    loop = []
    loop.append(loop)
    with pytest.raises(houqin.InvalidArgument, match=r"nesting deeper than 64 levels"):
        houqin.call(platform.store, auditor, "audit.query", {"action": loop})
    deep = "x"
    for _ in range(70):
        deep = [deep]
    with pytest.raises(houqin.InvalidArgument, match=r"^audit\.query\.action\[0\]\[0\].*nesting deeper than 64"):
        houqin.call(platform.store, auditor, "audit.query", action=deep)
    shallow = "auth.login"
    with pytest.raises(houqin.InvalidArgument, match=r"^audit\.query\.action: expected string, got array"):
        houqin.call(platform.store, auditor, "audit.query", action=[shallow])
