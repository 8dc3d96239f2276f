// The service registry from Python: houqin.call(store, actor, "audit.verify", {...}) and the list
// of operations that houqin.services turns into one function per operation.
#include "houqin/service/registry.hpp"

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_services(py::module_& m) {
  m.def(
      "call",
      // (store, actor, operation, input=None, /, **fields) by hand: pybind11 does not pass a
      // keyword named like a positional-only parameter on to **kwargs.
      [](const py::args& args, const py::kwargs& kw) {
        if (args.size() < 3 || args.size() > 4)
          fail(ErrorCode::invalid_argument,
               "call: expected (store, actor, operation[, input]) as positional arguments, got " +
                   std::to_string(args.size()));
        py::handle store = args[0], actor = args[1];
        py::handle input = args.size() == 4 ? args[3] : py::handle(Py_None);
        const std::string name = str_from_py(args[2], json::Path{nullptr, {}, 0, "operation"});
        json::Path root{nullptr, {}, static_cast<std::size_t>(-1), name};
        json::Json in = input.is_none() ? json::Json::object() : py_to_json(input, root);
        if (!in.is_object()) json::fail_at(root, "input: expected dict");
        for (auto [k, v] : kw) {
          std::string key = str_from_py(k, root);
          // A member named like a Python keyword is given with a trailing underscore (from_).
          if (key.size() > 1 && key.back() == '_' &&
              py_attr_name(key.substr(0, key.size() - 1).c_str()) == key)
            key.pop_back();
          if (in.contains(key))
            json::fail_at(root.field(key), "given both in input and as keyword");
          in[key] = py_to_json(v, root.field(key));
        }
        const auto& a = actor_arg(actor);
        auto out = with_store(store_arg(store),
                              [&](store::Store& s) { return service::call(s, a, name, in); });
        return json_to_py(out);
      },
      R"doc(call(store: houqin.Store, actor: houqin.auth.Actor, operation: str, input: dict | None = None, /, **fields: object) -> object

Runs a registered service operation by name with a dict (and/or keywords) as its input
(the four arguments are positional, so every keyword is an input field)
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
