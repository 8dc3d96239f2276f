// The precompiled header of the Python module: pybind11's core and what cmake/pch/library.hpp
// holds. Not pybind11/stl.h, chrono.h or numpy.h: they add type casters, and which casters a
// translation unit sees must stay its own choice (pybind11 requires it to be consistent).
#pragma once

#include <pybind11/pybind11.h>

#include "library.hpp"
