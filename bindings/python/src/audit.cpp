// houqin.audit: the tamper-evident audit log: query, verify, export.
#include "houqin/audit/audit.hpp"

#include <fstream>

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

namespace {

audit::Filter filter_from(const py::kwargs& kw) {
  audit::Filter f;
  assign_members(f, kw, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "filter"});
  return f;
}

}  // namespace

void init_audit(py::module_& m) {
  auto mod = m.def_submodule("audit", "The tamper-evident audit log (安全审计).");
  bind_entities<audit::Record>(mod);
  bind_struct<audit::Verification>(mod, "Verification",
                                   "The result of walking the hash chain: ok, or where it breaks.");
  bind_struct<audit::Filter>(mod, "Filter", "Which audit records to read.");

  mod.def(
      "query",
      [](py::handle store, py::handle actor, const py::kwargs& kw) {
        auto f = filter_from(kw);
        const auto& a = actor_arg(actor);
        auto records =
            with_store(store_arg(store), [&](store::Store& s) { return audit::query(s, a, f); });
        return py_codec<std::vector<audit::Record>>::to(records);
      },
      py::arg("store"), py::arg("actor"),
      "Records matching the filter keywords (actor, action, entity, entity_id, outcome, from_, "
      "to, limit=1000, offset), in sequence order. Needs audit.read.");
  mod.def(
      "verify",
      [](py::handle store, py::handle actor) {
        const auto& a = actor_arg(actor);
        return with_store(store_arg(store), [&](store::Store& s) { return audit::verify(s, a); });
      },
      py::arg("store"), py::arg("actor"),
      "Walks the whole hash chain; returns a Verification naming the first bad record, if any. "
      "Needs audit.verify; audited.");
  mod.def(
      "verify_chain",
      [](py::handle store) {
        return with_store(store_arg(store),
                          [&](store::Store& s) { return audit::verify_chain(s); });
      },
      py::arg("store"), "The same walk without an actor, for offline tools.");
  mod.def(
      "export_jsonl",
      [](py::handle store, py::handle actor, py::handle path, const py::kwargs& kw) {
        auto f = filter_from(kw);
        const auto& a = actor_arg(actor);
        std::string file = py::str(py::module_::import("os").attr("fspath")(path));
        return with_store(store_arg(store), [&](store::Store& s) {
          std::ofstream out(file, std::ios::binary);
          if (!out) fail(ErrorCode::unavailable, "audit export: cannot write " + file);
          auto n = audit::export_jsonl(s, a, f, out);
          out.close();
          if (!out) fail(ErrorCode::unavailable, "audit export: writing " + file + " failed");
          return n;
        });
      },
      py::arg("store"), py::arg("actor"), py::arg("path"),
      "Writes every matching record (limit ignored) as JSON lines to path; returns how many. "
      "Needs audit.export.");
}

}  // namespace houqin::python
