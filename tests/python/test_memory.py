"""No leaks over many calls: RSS stays flat over 10k store calls, conversions and raised errors."""

import houqin
from houqin.site import Campus, Room

from conftest import rss_bytes


def exercise(store, campus_id, n):
    for i in range(n):
        c = store.require(Campus, campus_id)
        c.to_dict()
        repr(c)
        store.find(Room, limit=1)
        try:
            store.require(Room, 999_999)
        except houqin.NotFound:
            pass
        try:
            Room(beds="x")
        except houqin.InvalidArgument:
            pass


def test_rss_stable_over_10k_calls():
    with houqin.Store("sqlite::memory:", migrate=True) as store:
        campus = store.put(Campus(code="M", name="Main"))
        exercise(store, campus.id, 2_000)  # warm up caches and allocator pools
        before = rss_bytes()
        exercise(store, campus.id, 10_000)
        grown = rss_bytes() - before
    assert grown < 2_000_000, "RSS grew by %d bytes over 10k calls" % grown
