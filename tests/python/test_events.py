"""Domain events to Python callbacks: typed events after the commit, from any thread, a raising
callback reported and never crashing, and unsubscribing."""

import sys

import pytest

import houqin
from houqin._core import _testing


def test_callbacks_get_typed_events_after_commit(store):
    got = []
    with store.subscribe(_testing.TestEvent, got.append) as sub:
        assert sub.active
        _testing.publish(store, "now", count=2)
        assert [(e.id, e.text) for e in got] == [(1, "now"), (2, "now")]
        assert isinstance(got[0], _testing.TestEvent)
        _testing.publish(store, "rolled back", in_transaction=True, commit=False)
        _testing.publish(store, "committed", in_transaction=True, commit=True)
        assert [e.text for e in got[2:]] == ["committed"]
        _testing.publish(store, "thread", from_thread=True)  # a C++ thread takes the GIL
        assert got[-1].text == "thread"
    assert not sub.active
    _testing.publish(store, "after close")
    assert got[-1].text == "thread"


def test_raising_callback_is_reported_not_raised(store, monkeypatch):
    reported, others = [], []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))

    def bad(event):
        raise ValueError("callback broke on %s" % event.text)

    s1 = store.subscribe(_testing.TestEvent, bad)
    s2 = store.subscribe(_testing.TestEvent, others.append)
    _testing.publish(store, "x", count=3)
    _testing.publish(store, "y", from_thread=True)
    assert [str(e) for e in reported] == ["callback broke on x"] * 3 + ["callback broke on y"]
    assert [e.text for e in others] == ["x", "x", "x", "y"]  # delivery to others goes on
    s1.close()
    s2.close()


def test_subscribe_errors(store):
    with pytest.raises(houqin.InvalidArgument, match="not an event class"):
        store.subscribe(houqin.site.Room, print)
    with pytest.raises(houqin.InvalidArgument, match="not callable"):
        store.subscribe(_testing.TestEvent, 42)
