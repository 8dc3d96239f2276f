"""Packaging: stubs that parse and name the entities, docstrings on everything public, and the
package installed by `cmake --install` into a fresh prefix imports and works."""

import ast
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import houqin

PACKAGE = pathlib.Path(houqin.__file__).parent


def test_stubs_exist_and_describe_entities():
    for name in ["_core", "site", "auth", "audit", "protect", "drivers", "telemetry", "services"]:
        text = (PACKAGE / (name + ".pyi")).read_text()
        ast.parse(text)
    site = (PACKAGE / "site.pyi").read_text()
    assert "class Room:" in site and "    type: houqin.site.RoomType\n" in site
    assert "def __init__(self, *, id: int = ..., version: int = ..., floor_id: int = ..." in site
    assert "class RoomType(str, enum.Enum):" in site
    core = (PACKAGE / "_core.pyi").read_text()
    assert "class NotFound(Error, LookupError):" in core and "class Store:" in core
    assert "def find(self, entity: typing.Any" in core
    assert "verify" in (PACKAGE / "services.pyi").read_text()


def public(obj, prefix, seen):
    for name in dir(obj):
        if name.startswith("_"):
            continue
        member = getattr(obj, name)
        if id(member) in seen or isinstance(member, (int, str, tuple, float)) or name in ("fields",):
            continue
        seen.add(id(member))
        yield prefix + name, member


def test_docstrings_on_everything_public():
    missing = []
    seen = set()
    modules = [houqin] + [getattr(houqin, m) for m in ["site", "auth", "audit", "protect", "drivers", "telemetry"]]
    for mod in modules:
        for name, member in public(mod, mod.__name__ + ".", seen):
            if type(member).__name__.startswith(("module", "dtype")) or name.endswith(("Error", "ErrorCode")):
                continue
            if not (getattr(member, "__doc__", None) or "").strip():
                missing.append(name)
            if isinstance(member, type) and not issubclass(member, BaseException) and not hasattr(member, "__members__"):
                for mname, m in public(member, name + ".", set()):
                    if callable(m) or isinstance(m, property):
                        if not (getattr(m, "__doc__", None) or "").strip():
                            missing.append(mname)
    assert missing == []


@pytest.mark.skipif(not os.environ.get("HOUQIN_BUILD_DIR"), reason="HOUQIN_BUILD_DIR not given")
def test_installed_package_imports(tmp_path):
    prefix = tmp_path / "prefix"
    subprocess.run([shutil.which("cmake") or "cmake", "--install", os.environ["HOUQIN_BUILD_DIR"],
                    "--prefix", str(prefix)], check=True, stdout=subprocess.DEVNULL)
    found = list(prefix.glob("lib/python3*/dist-packages/houqin/_core*.so"))
    assert found, "no _core module installed under %s" % prefix
    env = dict(os.environ, PYTHONPATH=str(found[0].parent.parent))
    code = ("import houqin, sys; s = houqin.Store('sqlite::memory:', migrate=True); "
            "print(houqin.__file__); print(len(houqin.entity_names()))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out[0].startswith(str(prefix)) and int(out[1]) > 10
    assert (found[0].parent / "site.pyi").exists()


def test_services_stubs_type_each_operation():
    """services.pyi types each operation's keywords and result from its schemas (TypedDicts)."""
    text = (PACKAGE / "services.pyi").read_text()
    assert "AuthNewUserInput = typing.TypedDict('AuthNewUserInput', {" in text
    assert "'login': typing.Required[str]" in text
    # one overload with the TypedDict, one with keywords whose required ones have no default
    assert "def create_user(_store: houqin.Store, _actor: houqin.auth.Actor, _input: AuthNewUserInput, /) -> AuthNewId:" in text
    assert "def create_user(_store: houqin.Store, _actor: houqin.auth.Actor, /, *, display_name: str, login: str, password: str, department_id: int | None = ..., staff_id: int | None = ...) -> AuthNewId: ..." in text
    # a member named like a Python keyword is a keyword with a trailing underscore
    assert "from_: datetime.datetime | str | None = ..." in text or "from_: datetime.datetime | str = ..." in text


MYPY_OK = """
import houqin
def use(store: houqin.Store, actor: houqin.auth.Actor) -> None:
    uid: int = houqin.services.auth.create_user(store, actor, login="n", display_name="N", password="p")["id"]
    same: int = houqin.services.auth.create_user(store, actor, {"login": "n", "display_name": "N", "password": "p"})["id"]
    page = houqin.services.audit.query(store, actor, action="auth.login", actor="user:sysadmin", limit=5)
    seq: int = page["records"][0]["seq"]
"""
MYPY_BAD = """
import houqin
def use(store: houqin.Store, actor: houqin.auth.Actor) -> None:
    houqin.services.auth.create_user(store, actor, login=5, display_name="N", password="p")
    houqin.services.auth.create_user(store, actor, display_name="N", password="p")
    houqin.services.auth.create_user(store, actor, {"login": "n", "colour": "red"})
    page = houqin.services.audit.query(store, actor, limit="five")
"""


@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy (Debian package) is not installed")
def test_mypy_checks_calls_against_the_stubs(tmp_path):
    """A type checker sees wrong field types, missing required fields and unknown keys."""
    def mypy(source):
        script = tmp_path / "use.py"
        script.write_text(source)
        env = dict(os.environ, MYPYPATH=str(PACKAGE.parent))
        return subprocess.run(["/usr/bin/python3", "-m", "mypy", "--no-incremental", "--follow-imports=silent",
                               "--cache-dir=" + str(tmp_path / "cache"), str(script)],
                              capture_output=True, text=True, env=env, timeout=300)

    ok = mypy(MYPY_OK)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = mypy(MYPY_BAD)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    lines = [l for l in bad.stdout.splitlines() if ": error:" in l]
    assert {int(l.split(":")[1]) for l in lines} == {4, 5, 6, 7}, bad.stdout
