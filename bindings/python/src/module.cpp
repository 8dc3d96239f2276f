// houqin._core: the compiled half of the houqin package (see bindings/python/houqin/__init__.py).
#include "module.hpp"
#include "events.hpp"
#include "houqin/core/version.hpp"

PYBIND11_MODULE(_core, m) {
  using namespace houqin::python;
  m.doc() = "houqin's compiled core; import it as `houqin` (the package re-exports everything).";
  m.attr("__version__") = HOUQIN_VERSION_STRING;
  init_errors(m);
  init_store(m);
  init_site(m);
  init_auth(m);
  init_audit(m);
  init_protect(m);
  init_drivers(m);
  init_services(m);
  init_telemetry(m);
  init_domains(m);
  init_runtime(m);
  init_host(m);
  init_events(m);
}
