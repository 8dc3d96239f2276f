// Telemetry samples between C++ and numpy without copies. Two containers, both owned by C++:
//   SampleColumns  one std::vector per field (point_id, time, value, quality, flag): what a query
//                  returns; each column is a numpy array viewing the vector, its .base the owner.
//   SampleArray    one std::vector<telemetry::Sample>: the record layout the pipeline takes, seen
//                  from numpy as a structured array of dtype houqin.telemetry.sample_dtype.
// The telemetry store and pipeline bindings fill these in C++ (move vectors in) and hand them to
// Python, and take numpy input through samples_view() without copying when the layout matches.
#pragma once

#include <pybind11/numpy.h>

#include <memory>
#include <span>
#include <vector>

#include "describe.hpp"
#include "houqin/telemetry/sample.hpp"

namespace houqin::python {

struct SampleColumns {
  std::vector<Id> point_id;
  std::vector<telemetry::Micros> time;
  std::vector<double> value;
  std::vector<std::uint8_t> quality;
  std::vector<std::uint8_t> flag;  // telemetry::Flag as its number

  std::size_t size() const noexcept { return time.size(); }
  void reserve(std::size_t n);
  void push_back(const telemetry::Sample& s);
  telemetry::Sample at(std::size_t i) const;
  /// Throws Error(internal) unless every column has the same length.
  void check() const;
};

struct SampleArray {
  std::vector<telemetry::Sample> samples;
};

/// Python objects owning the containers (held by shared_ptr: arrays keep them alive).
py::object to_python(std::shared_ptr<SampleColumns> columns);
py::object to_python(std::shared_ptr<SampleArray> samples);

/// A read-only view of a numpy array of sample_dtype (C-contiguous): no copy.
/// Error(invalid_argument) for another dtype or layout. The array must outlive the span (keep the
/// py::array).
std::span<const telemetry::Sample> samples_view(const py::array& array);

}  // namespace houqin::python
