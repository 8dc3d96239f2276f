"""The service registry from Python: houqin.call by name and houqin.services.<domain>.<verb>,
generated from the registered operations; audit query and verify."""

import pytest

import houqin


def test_operations_become_functions_with_docs():
    ops = {op["name"]: op for op in houqin.operations()}
    assert {"audit.verify", "audit.query", "protect.check_integrity", "site.export"} <= set(ops)
    fn = houqin.services.audit.verify
    assert fn.__doc__.startswith(ops["audit.verify"]["summary"])
    assert "permission: audit.verify" in fn.__doc__
    assert "audit" in houqin.services.domains()
    with pytest.raises(AttributeError, match="no operation 'nope'"):
        houqin.services.audit.nope


def test_call_and_generated_functions_agree(platform):
    platform.actor("sysadmin")
    auditor = platform.actor("auditor")
    v = houqin.call(platform.store, auditor, "audit.verify")
    assert v["ok"] is True and v["records"] > 0
    assert houqin.services.audit.verify(platform.store, auditor)["ok"] is True
    typed = houqin.audit.verify(platform.store, auditor)
    assert isinstance(typed, houqin.audit.Verification) and typed.ok
    logins = houqin.services.audit.query(platform.store, auditor, action="auth.login", limit=2)
    assert len(logins["records"]) == 2 and logins["records"][0]["action"] == "auth.login"
    same = houqin.call(platform.store, auditor, "audit.query", {"action": "auth.login"}, limit=2)
    assert same["records"][0]["seq"] == logins["records"][0]["seq"]


def test_call_errors(platform):
    auditor = platform.actor("auditor")
    with pytest.raises(houqin.NotFound, match="audit.nope"):
        houqin.call(platform.store, auditor, "audit.nope")
    with pytest.raises(houqin.InvalidArgument, match=r"^audit\.query\.colour: unknown field"):
        houqin.services.audit.query(platform.store, auditor, colour="red")
    clerk = platform.user_with("clerk", "clerk", ["site.edit"])
    with pytest.raises(houqin.PermissionDenied):
        houqin.services.audit.verify(platform.store, clerk)


def test_audit_query_typed(platform):
    auditor = platform.actor("auditor")
    records = houqin.audit.query(platform.store, auditor, action="auth.login", outcome="success")
    assert records and all(isinstance(r, houqin.audit.Record) for r in records)
    assert records[0].outcome is houqin.audit.Outcome.success
    first = records[0].time
    later = houqin.audit.query(platform.store, auditor, from_=first, limit=1)
    assert later[0].time >= first
    assert houqin.audit.verify_chain(platform.store).ok


def test_docstrings_list_fields_and_results():
    doc = houqin.services.auth.create_user.__doc__
    assert "permission: auth.manage_users" in doc
    assert "    login: str, required" in doc and "    password: str, required" in doc
    assert doc.strip().endswith("Returns a dict (auth.NewId):\n    id: int")
    query = houqin.services.audit.query.__doc__
    assert "    limit: int" in query and "    from: datetime | str (ISO-8601)" in query
    assert "Returns a dict" in query and "    records: list[" in query
    op = houqin.services.audit.query.operation
    assert op["name"] == "audit.query" and op["input"]["type"] == "object"


def test_keyword_named_like_a_python_keyword(platform):
    auditor = platform.actor("auditor")
    late = houqin.services.audit.query(platform.store, auditor, from_="2999-01-01T00:00:00Z")
    assert late["records"] == []
    # store, actor and input are positional: "actor" as a keyword is audit.query's field
    mine = houqin.services.audit.query(platform.store, auditor, actor="user:auditor", limit=50)
    assert mine["records"] and {r["actor"] for r in mine["records"]} == {"user:auditor"}
    same = houqin.call(platform.store, auditor, "audit.query", actor="user:auditor", limit=50)
    # (audit.query is audited itself: the second call also sees the first)
    assert [r["seq"] for r in same["records"]][: len(mine["records"])] == [r["seq"] for r in mine["records"]]
    with pytest.raises(houqin.InvalidArgument, match=r"^audit\.query\.limit: given both in input and as keyword"):
        houqin.call(platform.store, auditor, "audit.query", {"limit": 1}, limit=2)
