// houqin.drivers: devices and points (the point map) in the store.
#include "houqin/drivers/point_store.hpp"

#include "module.hpp"
#include "store.hpp"

namespace houqin::python {

void init_drivers(py::module_& m) {
  auto mod = m.def_submodule("drivers", "Field devices and their points (数据采集).");
  bind_entities<drivers::Device, drivers::Point>(mod);
  mod.def(
      "import_point_map",
      [](py::handle store, py::handle document) {
        auto doc =
            py_to_json(document, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "document"});
        auto report = with_store(
            store_arg(store), [&](store::Store& s) { return drivers::import_point_map(s, doc); });
        py::dict out;
        for (const auto& [k, v] : report.inserted) out[py::str(k)] = v;
        return out;
      },
      py::arg("store"), py::arg("document"),
      "Validates and imports a point-map document (a dict) all or nothing; returns the rows "
      "inserted per collection.");
}

}  // namespace houqin::python
