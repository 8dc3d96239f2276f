"""Auth from Python: bootstrap, login to an Actor, sessions, users, roles and grants."""

import pytest

import houqin

from conftest import PASSWORD


def test_login_resume_logout(platform):
    a = platform.actor("sysadmin")
    assert isinstance(a, houqin.auth.Actor)
    assert a.label == "user:sysadmin" and a.user_id and a.session_id and a.token
    assert "auth.manage_users" in a.permissions
    again = platform.auth.resume(a.token)
    assert again.user_id == a.user_id
    platform.auth.logout(a)
    with pytest.raises(houqin.Unauthenticated):
        platform.auth.resume(a.token)


def test_users_roles_grants(platform):
    clerk = platform.user_with("clerk", "site_clerk", ["site.edit"])
    assert clerk.can("site.edit") and not clerk.can("audit.read")
    with pytest.raises(houqin.PermissionDenied):
        clerk.require("audit.read")
    users = platform.auth.users(platform.actor("sysadmin"))
    assert {u.login for u in users} >= {"sysadmin", "secadmin", "auditor", "clerk"}
    assert all(isinstance(u, houqin.auth.UserView) for u in users)
    with pytest.raises(houqin.InvalidArgument):
        platform.auth.define_role(platform.actor("secadmin"), "bad", "bad", ["no.such_permission"])
    with pytest.raises(houqin.InvalidArgument):
        platform.auth.grant(platform.actor("secadmin"), clerk.user_id, "site_clerk", scope="planet")
    with pytest.raises(houqin.FailedPrecondition):
        platform.auth.bootstrap(("a", "a", PASSWORD), ("b", "b", PASSWORD), ("c", "c", PASSWORD))


def test_service_actor_and_permissions():
    svc = houqin.auth.Actor.service("importer", ["site.edit"])
    assert svc.label == "service:importer" and svc.token is None and svc.user_id is None
    names = [p["name"] for p in houqin.auth.permissions()]
    assert "audit.read" in names and names == sorted(names)
    audit = next(p for p in houqin.auth.permissions() if p["name"] == "audit.read")
    assert set(audit) == {"name", "duty", "description"}  # auth::PermissionInfo, described
    assert audit["duty"] is houqin.auth.Duty.audit_admin and audit["description"]


def test_policy_is_bound_from_its_description(store):
    import datetime

    p = houqin.auth.Policy()
    assert p.__fields__ == ("min_password_length", "min_character_classes", "password_max_age",
                            "max_failed_logins", "lockout", "idle_timeout", "absolute_timeout",
                            "hash_ops", "hash_memory")
    assert p.password_max_age == datetime.timedelta(days=90) and p.lockout == datetime.timedelta(minutes=30)
    assert p.to_dict()["idle_timeout"] == "PT30M" and p.to_dict()["absolute_timeout"] == "PT12H"
    cheap = houqin.auth.Policy.for_tests()
    assert cheap.hash_memory == 8192 and houqin.auth.Policy.from_dict(cheap.to_dict()) == cheap
    q = houqin.auth.Policy(lockout=datetime.timedelta(minutes=5), idle_timeout="PT10M")
    assert q.lockout == datetime.timedelta(minutes=5) and q.idle_timeout == datetime.timedelta(minutes=10)
    with pytest.raises(houqin.InvalidArgument, match=r"Policy.lockout: .*finer than"):
        q.lockout = datetime.timedelta(seconds=90)  # a minutes member
    with pytest.raises(houqin.InvalidArgument, match=r"Policy.idle_timeout: expected datetime.timedelta"):
        q.idle_timeout = 30
    with pytest.raises(houqin.InvalidArgument, match=r"Policy.hash_ops: expected int"):
        houqin.auth.Policy(hash_ops="2")
    with pytest.raises(houqin.InvalidArgument, match="unknown field"):
        houqin.auth.Policy(lockout_minutes=5)
    # Auth takes a Policy or its dict form, and checks it.
    houqin.auth.Auth(store, {**cheap.to_dict(), "max_failed_logins": 3})
    with pytest.raises(houqin.InvalidArgument, match="policy.max_failed_logins: expected int"):
        houqin.auth.Auth(store, {"max_failed_logins": "3"})
    with pytest.raises(houqin.InvalidArgument, match="lockout needs max_failed_logins"):
        houqin.auth.Auth(store, houqin.auth.Policy(max_failed_logins=0))
