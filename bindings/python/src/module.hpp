// houqin._core: one init_<domain>() per file, each filling its submodule (houqin._core.<domain>),
// which the pure-Python package re-exports as houqin.<domain>.
#pragma once

#include <pybind11/pybind11.h>

#include "houqin/core/error.hpp"

namespace houqin::python {

namespace py = pybind11;

/// Sets the Python error for a houqin::Error (the class of its code).
void raise_error(const Error& e);

void init_errors(py::module_& m);
void init_store(py::module_& m);
void init_site(py::module_& m);
void init_auth(py::module_& m);
void init_audit(py::module_& m);
void init_protect(py::module_& m);
void init_drivers(py::module_& m);
void init_services(py::module_& m);
void init_domains(py::module_& m);
void init_repair(py::module_& m);  // called by init_domains
void init_telemetry(py::module_& m);
void init_runtime(py::module_& m);
void init_host(py::module_& m);

}  // namespace houqin::python
