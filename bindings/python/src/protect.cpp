// houqin.protect: backup and restore, integrity checks, key rotation and keys.
#include "houqin/protect/protect.hpp"

#include "houqin/protect/backup.hpp"
#include "houqin/protect/keyring.hpp"
#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

namespace {

/// The manifest as a dict of typed values (created_at a datetime), member for member.
py::object manifest_to_py(const protect::Manifest& m) {
  return py_codec<protect::Manifest>::to(m);
}

/// A Python progress callback, called with the GIL taken; an exception it raises aborts the
/// operation and reaches the caller unchanged.
protect::Progress progress_from(py::handle callback) {
  if (callback.is_none()) return {};
  auto cb = std::make_shared<py::object>(py::reinterpret_borrow<py::object>(callback));
  return [cb](std::string_view table, std::size_t done, std::size_t total) {
    py::gil_scoped_acquire gil;
    (*cb)(std::string(table), done, total);
  };
}

std::string path_arg(py::handle p) {
  return py::str(py::module_::import("os").attr("fspath")(p));
}

}  // namespace

void init_protect(py::module_& m) {
  auto mod = m.def_submodule("protect", "Backup, restore, integrity checks and keys (数据安全).");
  bind_struct<protect::Finding>(mod, "Finding", "One integrity problem and the rows involved.");

  mod.def(
      "backup",
      [](py::handle store, py::handle actor, py::handle path, py::handle progress) {
        const auto& a = actor_arg(actor);
        auto file = path_arg(path);
        auto p = progress_from(progress);
        auto manifest = with_store(store_arg(store),
                                   [&](store::Store& s) { return protect::backup(s, a, file, p); });
        return manifest_to_py(manifest);
      },
      py::arg("store"), py::arg("actor"), py::arg("path"), py::arg("progress") = py::none(),
      "Writes a consistent backup of the whole store to a new file (a portable SQLite database "
      "with a manifest of counts and checksums); returns the manifest. Needs protect.backup. "
      "`progress(table, done, total)` is called as tables are copied.");
  mod.def(
      "restore",
      [](py::handle store, py::handle actor, py::handle path, py::handle progress) {
        const auto& a = actor_arg(actor);
        auto file = path_arg(path);
        auto p = progress_from(progress);
        auto manifest = with_store(
            store_arg(store), [&](store::Store& s) { return protect::restore(s, a, file, p); });
        return manifest_to_py(manifest);
      },
      py::arg("store"), py::arg("actor"), py::arg("path"), py::arg("progress") = py::none(),
      "Checks the whole backup, then replaces the store's data with it in one transaction. "
      "Needs protect.restore; DataLoss for a damaged file, which leaves the store unchanged.");
  mod.def(
      "verify_backup",
      [](py::handle path) {
        auto file = path_arg(path);
        protect::Manifest manifest;
        {
          py::gil_scoped_release nogil;
          manifest = protect::verify_backup(file);
        }
        return manifest_to_py(manifest);
      },
      py::arg("path"), "Checks a backup file without any store; DataLoss naming what is wrong.");
  mod.def(
      "check_integrity",
      [](py::handle store, py::handle actor) {
        const auto& a = actor_arg(actor);
        auto findings = with_store(store_arg(store),
                                   [&](store::Store& s) { return protect::check_integrity(s, a); });
        return py_codec<std::vector<protect::Finding>>::to(findings);
      },
      py::arg("store"), py::arg("actor"),
      "Runs every integrity check (dangling references, near-duplicate codes, domain checks); "
      "returns the findings. Needs protect.integrity; audited.");
  mod.def(
      "rotate_keys",
      [](py::handle store, py::handle actor) {
        const auto& a = actor_arg(actor);
        auto r = with_store(store_arg(store),
                            [&](store::Store& s) { return protect::rotate_keys(s, a); });
        return py_codec<protect::RotationReport>::to(r);
      },
      py::arg("store"), py::arg("actor"),
      "Re-seals every personal value under the keyring's active key; returns a dict (resealed, "
      "current, tables). Needs protect.rotate_keys.");
  mod.def("generate_key_line", &protect::Keyring::generate_line, py::arg("key_id"),
          "A key-file line \"<id> <base64>\" with a fresh random 256-bit key.");
}

}  // namespace houqin::python
