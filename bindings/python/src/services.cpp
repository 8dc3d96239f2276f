// The service registry from Python: houqin.call(store, actor, "audit.verify", {...}) and the list
// of operations that houqin.services turns into one function per operation.
#include "houqin/service/registry.hpp"

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_services(py::module_& m) {
  m.def(
      "call",
      [](py::handle store, py::handle actor, const std::string& name, py::handle input,
         const py::kwargs& kw) {
        json::Path root{nullptr, {}, static_cast<std::size_t>(-1), name};
        json::Json in = input.is_none() ? json::Json::object() : py_to_json(input, root);
        if (!in.is_object()) json::fail_at(root, "input: expected dict");
        for (auto [k, v] : kw) {
          std::string key = py::str(k);
          in[key] = py_to_json(v, root.field(key));
        }
        const auto& a = actor_arg(actor);
        auto out = with_store(store_arg(store),
                              [&](store::Store& s) { return service::call(s, a, name, in); });
        return json_to_py(out);
      },
      py::arg("store"), py::arg("actor"), py::arg("operation"), py::arg("input") = py::none(),
      R"doc(Runs a registered service operation by name with a dict (and/or keywords) as its input
and returns its result as plain Python (the JSON form). Unknown operations raise NotFound; unknown
or mistyped input fields InvalidArgument naming them; nothing is changed when it raises.)doc");
  m.def(
      "operations",
      [] {
        py::list out;
        for (const auto* op : service::operations()) out.append(json_to_py(service::describe(*op)));
        return out;
      },
      "Every registered operation as a dict (name, permission, summary, and the JSON Schemas "
      "(draft 2020-12) of its input and output), sorted by name.");
}

}  // namespace houqin::python
