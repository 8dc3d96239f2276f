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
