"""Fixtures for the houqin Python tests: every storage test runs on SQLite in memory, SQLite in a
file (a path with a space) and PostgreSQL (a fresh schema in HOUQIN_TEST_PG_URL, dropped after).
PostgreSQL is skipped only when HOUQIN_TEST_PG_URL is unset and HOUQIN_REQUIRE_PG is not set."""

import os
import pathlib
import uuid

import pytest

import houqin

ROOT = pathlib.Path(__file__).resolve().parents[2]
HOSPITAL = ROOT / "examples" / "data" / "hospital.json"
PASSWORD = "Hq-test-2026"
# HOUQIN_TEST_BACKENDS (comma-separated) narrows the backends: ctest runs a long topic once per
# backend so that the parts run side by side (tests/CMakeLists.txt, `:split`).
ALL_BACKENDS = ["sqlite_memory", "sqlite_file", "postgresql"]
BACKENDS = [b for b in os.environ.get("HOUQIN_TEST_BACKENDS", ",".join(ALL_BACKENDS)).split(",")
            if b]
_unknown = sorted(set(BACKENDS) - set(ALL_BACKENDS))
if _unknown:
    raise RuntimeError("HOUQIN_TEST_BACKENDS names unknown backends: " + ", ".join(_unknown))


def require_pg():
    return os.environ.get("HOUQIN_REQUIRE_PG", "") not in ("", "0")


@pytest.fixture(scope="session")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "houqin.keys"
    path.write_text("# test keys\n" + houqin.protect.generate_key_line("test1") + "\n")
    return path


def _store_url(backend, tmp_path):
    if backend == "sqlite_memory":
        yield "sqlite::memory:"
    elif backend == "sqlite_file":
        folder = tmp_path / "with space"
        folder.mkdir()
        yield "sqlite:" + str(folder / "test.sqlite")
    else:
        url = os.environ.get("HOUQIN_TEST_PG_URL", "")
        if not url:
            if require_pg():
                pytest.fail("HOUQIN_TEST_PG_URL is not set but HOUQIN_REQUIRE_PG is")
            pytest.skip("PostgreSQL not configured (HOUQIN_TEST_PG_URL)")
        schema = "hq_py_%d_%s" % (os.getpid(), uuid.uuid4().hex[:8])
        with houqin.Store(url) as admin:
            admin.execute("CREATE SCHEMA " + schema)
        sep = "&" if "?" in url else "?"
        yield url + sep + "options=-csearch_path%3D" + schema
        with houqin.Store(url) as admin:
            admin.execute("DROP SCHEMA IF EXISTS %s CASCADE" % schema)


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path):
    yield from _store_url(request.param, tmp_path)


@pytest.fixture(params=[b for b in BACKENDS if b != "sqlite_memory"])
def shared_store_url(request, tmp_path):
    """A store other connections can open too (the telemetry Runtime opens its own)."""
    yield from _store_url(request.param, tmp_path)


@pytest.fixture
def store(store_url, key_file):
    with houqin.Store(store_url, key_file=key_file, migrate=True) as s:
        yield s


class Platform:
    """A migrated store with the three bootstrap administrators, like the C++ PlatformFixture."""

    def __init__(self, store):
        self.store = store
        self.auth = houqin.auth.Auth(store, houqin.auth.Policy.for_tests())
        self.auth.bootstrap(("sysadmin", "System Admin", PASSWORD),
                            ("secadmin", "Security Admin", PASSWORD),
                            ("auditor", "Auditor", PASSWORD))

    def actor(self, login):
        return self.auth.login(login, PASSWORD)

    def user_with(self, login, role, permissions):
        sys_admin, sec_admin = self.actor("sysadmin"), self.actor("secadmin")
        user_id = self.auth.create_user(sys_admin, login, login, PASSWORD)
        self.auth.define_role(sec_admin, role, role, permissions)
        self.auth.grant(sec_admin, user_id, role)
        return self.actor(login)


@pytest.fixture
def platform(store):
    return Platform(store)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
