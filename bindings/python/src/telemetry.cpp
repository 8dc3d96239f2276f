// houqin.telemetry: the sample dtype and the zero-copy sample containers (see telemetry.hpp).
#include "telemetry.hpp"

#include <cmath>

#include "module.hpp"

namespace houqin::python {

void SampleColumns::reserve(std::size_t n) {
  point_id.reserve(n);
  time.reserve(n);
  value.reserve(n);
  quality.reserve(n);
  flag.reserve(n);
}

void SampleColumns::push_back(const telemetry::Sample& s) {
  point_id.push_back(s.point_id);
  time.push_back(s.time);
  value.push_back(s.value);
  quality.push_back(s.quality);
  flag.push_back(static_cast<std::uint8_t>(s.flag));
}

telemetry::Sample SampleColumns::at(std::size_t i) const {
  return {point_id[i], time[i], value[i], quality[i], static_cast<telemetry::Flag>(flag[i])};
}

void SampleColumns::check() const {
  auto n = time.size();
  if (point_id.size() != n || value.size() != n || quality.size() != n || flag.size() != n)
    fail(ErrorCode::internal, "sample columns of different lengths");
}

namespace {

/// A read-only numpy array over `data` whose base is `owner`: no copy, and the owner (and with it
/// the vector) lives as long as any array viewing it.
template <class T>
py::array view(const std::vector<T>& data, py::handle owner) {
  py::array a(py::dtype::of<T>(), {static_cast<py::ssize_t>(data.size())},
              {static_cast<py::ssize_t>(sizeof(T))}, data.data(), owner);
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

template <class T>
std::vector<T> column_from(py::handle h, const char* name, std::size_t expected) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(h);
  if (!a)
    json::fail_at(json::Path{nullptr, name, static_cast<std::size_t>(-1), {}},
                  "expected an array of numbers");
  if (a.ndim() != 1)
    json::fail_at(json::Path{nullptr, name, static_cast<std::size_t>(-1), {}},
                  "expected a 1-d array");
  if (expected != static_cast<std::size_t>(-1) && static_cast<std::size_t>(a.size()) != expected)
    json::fail_at(
        json::Path{nullptr, name, static_cast<std::size_t>(-1), {}},
        "length " + std::to_string(a.size()) + " differs from time's " + std::to_string(expected));
  return std::vector<T>(a.data(), a.data() + a.size());
}

py::dtype sample_dtype() {
  return py::dtype::of<telemetry::Sample>();
}

}  // namespace

py::object to_python(std::shared_ptr<SampleColumns> columns) {
  return py::cast(std::move(columns));
}
py::object to_python(std::shared_ptr<SampleArray> samples) {
  return py::cast(std::move(samples));
}

std::span<const telemetry::Sample> samples_view(const py::array& array) {
  if (!array.dtype().is(sample_dtype()))
    fail(ErrorCode::invalid_argument,
         "samples: expected dtype houqin.telemetry.sample_dtype, got " +
             py::str(array.dtype()).cast<std::string>());
  if (array.ndim() != 1 || !(array.flags() & py::array::c_style))
    fail(ErrorCode::invalid_argument, "samples: expected a contiguous 1-d array");
  return {static_cast<const telemetry::Sample*>(array.data()),
          static_cast<std::size_t>(array.size())};
}

void init_telemetry(py::module_& m) {
  auto mod =
      m.def_submodule("telemetry", "Telemetry samples as numpy arrays (医用气体 / 智慧用电).");
  PYBIND11_NUMPY_DTYPE(telemetry::Sample, point_id, time, value, quality, flag);
  bind_enum<telemetry::Flag>(mod, "Flag", "The verification flag of a sample (QARTOD style).");
  mod.attr("sample_dtype") = sample_dtype();

  py::class_<SampleColumns, std::shared_ptr<SampleColumns>> cols(mod, "SampleColumns", R"doc(
Samples by column, owned by houqin (C++). Each column is a read-only numpy array viewing houqin's
memory: no copy is made, and the array's .base is this object, which lives as long as any view.
Columns: point_id (int64), time (int64 UTC microseconds), value (float64), quality (uint8),
flag (uint8: the houqin.telemetry.Flag numbering).
)doc");
  cols.def(py::init([](py::handle point_id, py::handle time, py::handle value, py::handle quality,
                       py::handle flag) {
             auto c = std::make_shared<SampleColumns>();
             c->time = column_from<telemetry::Micros>(time, "time", static_cast<std::size_t>(-1));
             auto n = c->time.size();
             c->point_id = column_from<Id>(point_id, "point_id", n);
             c->value = column_from<double>(value, "value", n);
             c->quality = quality.is_none() ? std::vector<std::uint8_t>(n, telemetry::quality_good)
                                            : column_from<std::uint8_t>(quality, "quality", n);
             c->flag = flag.is_none() ? std::vector<std::uint8_t>(n, 0)
                                      : column_from<std::uint8_t>(flag, "flag", n);
             for (auto f : c->flag)
               if (f > static_cast<std::uint8_t>(telemetry::Flag::fail))
                 fail(ErrorCode::invalid_argument,
                      "flag: value " + std::to_string(f) + " is not a Flag");
             return c;
           }),
           py::kw_only(), py::arg("point_id"), py::arg("time"), py::arg("value"),
           py::arg("quality") = py::none(), py::arg("flag") = py::none(),
           "Copies the given arrays (once) into houqin-owned columns.");
  cols.def_static(
      "from_records",
      [](const py::array& records) {
        auto span = samples_view(records);
        auto c = std::make_shared<SampleColumns>();
        py::gil_scoped_release nogil;
        c->reserve(span.size());
        for (const auto& s : span) c->push_back(s);
        return c;
      },
      py::arg("records"), "Columns from a structured array of sample_dtype (one copy).");
  cols.def_static(
      "generate",
      [](std::size_t n, std::size_t points, std::int64_t start_us, std::int64_t step_us) {
        if (points == 0) fail(ErrorCode::invalid_argument, "points must be at least 1");
        auto c = std::make_shared<SampleColumns>();
        py::gil_scoped_release nogil;
        c->reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
          auto p = static_cast<Id>(i % points) + 1;
          auto k = static_cast<std::int64_t>(i / points);
          double v =
              400.0 + 10.0 * std::sin(static_cast<double>(k) / 60.0 + static_cast<double>(p));
          c->push_back(
              {p, start_us + k * step_us, v, telemetry::quality_good, telemetry::Flag::pass});
        }
        return c;
      },
      py::arg("n"), py::kw_only(), py::arg("points") = 1, py::arg("start_us") = 1767225600000000LL,
      py::arg("step_us") = 1000000,
      "Synthetic samples made in C++ (a slow sine around 400 per point, points interleaved): for "
      "tests, benchmarks and examples until real telemetry is stored.");
  cols.def("__len__", &SampleColumns::size);
  cols.def_property_readonly(
      "point_id", [](py::object self) { return view(self.cast<SampleColumns&>().point_id, self); },
      "int64 point ids (a zero-copy view).");
  cols.def_property_readonly(
      "time", [](py::object self) { return view(self.cast<SampleColumns&>().time, self); },
      "int64 UTC microseconds since 1970 (a zero-copy view; .view('datetime64[us]') for dates).");
  cols.def_property_readonly(
      "value", [](py::object self) { return view(self.cast<SampleColumns&>().value, self); },
      "float64 values in engineering units, NaN when the reading was not good (zero-copy).");
  cols.def_property_readonly(
      "quality", [](py::object self) { return view(self.cast<SampleColumns&>().quality, self); },
      "uint8 reading quality, 0 = good (zero-copy).");
  cols.def_property_readonly(
      "flag", [](py::object self) { return view(self.cast<SampleColumns&>().flag, self); },
      "uint8 verification flags, numbered as houqin.telemetry.Flag (zero-copy).");
  cols.def(
      "to_records",
      [](const SampleColumns& c) {
        py::array_t<telemetry::Sample> out(static_cast<py::ssize_t>(c.size()));
        auto* p = out.mutable_data();
        py::gil_scoped_release nogil;
        for (std::size_t i = 0; i < c.size(); ++i) p[i] = c.at(i);
        return out;
      },
      "A structured array of sample_dtype (a copy: records interleave the columns).");
  cols.def("__repr__", [](const SampleColumns& c) {
    return "houqin.telemetry.SampleColumns(" + std::to_string(c.size()) + " samples)";
  });

  py::class_<SampleArray, std::shared_ptr<SampleArray>> arr(mod, "SampleArray", R"doc(
Samples as records (telemetry::Sample), owned by houqin (C++): the layout the pipeline takes.
`.array` is a read-only structured numpy array of sample_dtype viewing houqin's memory (no copy;
its .base is this object).
)doc");
  arr.def(py::init([](const py::array& records) {
            auto span = samples_view(records);
            auto a = std::make_shared<SampleArray>();
            a->samples.assign(span.begin(), span.end());
            return a;
          }),
          py::arg("records"), "Copies a structured array of sample_dtype (once).");
  arr.def_static(
      "from_columns",
      [](const SampleColumns& c) {
        auto a = std::make_shared<SampleArray>();
        py::gil_scoped_release nogil;
        a->samples.resize(c.size());
        for (std::size_t i = 0; i < c.size(); ++i) a->samples[i] = c.at(i);
        return a;
      },
      py::arg("columns"), "Records from columns (one copy).");
  arr.def("__len__", [](const SampleArray& a) { return a.samples.size(); });
  arr.def_property_readonly(
      "array",
      [](py::object self) {
        auto& a = self.cast<SampleArray&>();
        py::array out(sample_dtype(), {static_cast<py::ssize_t>(a.samples.size())},
                      {static_cast<py::ssize_t>(sizeof(telemetry::Sample))}, a.samples.data(),
                      self);
        py::detail::array_proxy(out.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
        return out;
      },
      "The samples as a structured numpy array (a zero-copy view).");
  arr.def("__repr__", [](const SampleArray& a) {
    return "houqin.telemetry.SampleArray(" + std::to_string(a.samples.size()) + " samples)";
  });
  mod.def(
      "checksum",
      [](const py::array& records) {
        auto span = samples_view(records);
        py::gil_scoped_release nogil;
        double sum = 0;
        for (const auto& s : span) sum += s.value;
        return sum;
      },
      py::arg("records"),
      "The sum of the values of a sample_dtype array, read in place: proves numpy input reaches "
      "C++ without a copy (the entry point the pipeline's push will share).");
}

}  // namespace houqin::python
