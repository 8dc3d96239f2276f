// Conversions shared by every binding: JSON <-> Python, time, numbers, and the registry of the
// Python classes bound for C++ types.
#include "describe.hpp"

#include <datetime.h>  // after Python.h, which describe.hpp brings

#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>

namespace houqin::python {

namespace {

std::unordered_map<std::type_index, py::handle>& bound_types() {
  static std::unordered_map<std::type_index, py::handle> types;
  return types;
}

void ensure_datetime_api() {
  if (!PyDateTimeAPI) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) throw py::error_already_set();
  }
}

// 0001-01-01 is ordinal 1; 1970-01-01 is ordinal 719163.
constexpr long long epoch_ordinal = 719163;

}  // namespace

py::handle bound_type(std::type_index type) {
  auto it = bound_types().find(type);
  return it == bound_types().end() ? py::handle() : it->second;
}

void set_bound_type(std::type_index type, py::handle cls) {
  bound_types()[type] = cls;
}

std::string qualified_name(py::handle cls) {
  std::string module = py::str(cls.attr("__module__"));
  // Classes live in houqin._core.<domain>; users see them as houqin.<domain>.<Name>.
  if (module.rfind("houqin._core", 0) == 0) module = "houqin" + module.substr(12);
  return module + "." + py::str(cls.attr("__qualname__")).cast<std::string>();
}

std::string public_module(py::handle scope) {
  std::string module = py::str(scope.attr("__name__"));
  if (module.rfind("houqin._core", 0) == 0) module = "houqin" + module.substr(12);
  return module;
}

std::string short_type_name(std::string_view name) {
  auto colon = name.rfind("::");
  return std::string(colon == std::string_view::npos ? name : name.substr(colon + 2));
}

std::string py_attr_name(const char* member) {
  static const std::set<std::string, std::less<>> keywords{
      "False", "None",     "True",  "and",    "as",   "assert", "async",  "await",    "break",
      "class", "continue", "def",   "del",    "elif", "else",   "except", "finally",  "for",
      "from",  "global",   "if",    "import", "in",   "is",     "lambda", "nonlocal", "not",
      "or",    "pass",     "raise", "return", "try",  "while",  "with",   "yield"};
  std::string name(member);
  if (keywords.count(name)) name += '_';
  return name;
}

std::string type_name(py::handle h) {
  return Py_TYPE(h.ptr())->tp_name;
}

std::string str_from_py(py::handle h, const json::Path& where) {
  if (!PyUnicode_Check(h.ptr())) fail_expected(where, "str", h);
  Py_ssize_t size = 0;
  const char* data = PyUnicode_AsUTF8AndSize(h.ptr(), &size);
  auto index_of = [&](auto bad) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(h.ptr());
    for (Py_ssize_t i = 0; i < n; ++i)
      if (bad(PyUnicode_READ_CHAR(h.ptr(), i))) return std::to_string(i);
    return std::string("?");
  };
  if (!data) {
    PyErr_Clear();  // UnicodeEncodeError: the string holds a surrogate code point
    json::fail_at(where, "lone surrogate at character " + index_of([](Py_UCS4 c) {
                           return c >= 0xD800 && c <= 0xDFFF;
                         }) + " (not Unicode text)");
  }
  if (std::memchr(data, '\0', static_cast<std::size_t>(size)))
    json::fail_at(where,
                  "NUL character at character " + index_of([](Py_UCS4 c) { return c == 0; }));
  return std::string(data, static_cast<std::size_t>(size));
}

void fail_expected(const json::Path& where, std::string_view expected, py::handle got) {
  json::fail_at(where, "expected " + std::string(expected) + ", got " + type_name(got));
}

long long int_from_py(py::handle h, const json::Path& p, long long min, long long max) {
  if (PyBool_Check(h.ptr()) || PyFloat_Check(h.ptr()) || !PyIndex_Check(h.ptr()))
    fail_expected(p, "int", h);
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(h.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow != 0 || v < min || v > max)
    json::fail_at(p, "value " + py::str(i).cast<std::string>() + " is out of range");
  return v;
}

double float_from_py(py::handle h, const json::Path& p) {
  if (PyBool_Check(h.ptr()) || PyUnicode_Check(h.ptr()) || PyBytes_Check(h.ptr()))
    fail_expected(p, "float", h);
  if (PyFloat_Check(h.ptr())) return PyFloat_AS_DOUBLE(h.ptr());
  if (PyLong_Check(h.ptr())) {
    double d = PyLong_AsDouble(h.ptr());
    if (d == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      json::fail_at(p, "value is out of range");
    }
    return d;
  }
  if (Py_TYPE(h.ptr())->tp_as_number && Py_TYPE(h.ptr())->tp_as_number->nb_float) {
    double d = PyFloat_AsDouble(h.ptr());  // numpy.float32 and friends
    if (d == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return d;
  }
  fail_expected(p, "float", h);
}

// ---- time
// ----------------------------------------------------------------------------------------

py::object timestamp_to_py(Timestamp t) {
  ensure_datetime_api();
  long long us = t.time_since_epoch().count();
  long long days = us >= 0 ? us / 86'400'000'000LL : -((-us + 86'399'999'999LL) / 86'400'000'000LL);
  long long rest = us - days * 86'400'000'000LL;
  auto ymd = std::chrono::year_month_day{std::chrono::sys_days{std::chrono::days{days}}};
  int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999)
    fail(ErrorCode::invalid_argument,
         "timestamp " + std::to_string(us) + " us is outside Python's datetime range");
  auto h = static_cast<int>(rest / 3'600'000'000LL);
  auto mi = static_cast<int>(rest / 60'000'000LL % 60);
  auto s = static_cast<int>(rest / 1'000'000LL % 60);
  auto micro = static_cast<int>(rest % 1'000'000LL);
  PyObject* dt = PyDateTimeAPI->DateTime_FromDateAndTime(
      year, static_cast<int>(static_cast<unsigned>(ymd.month())),
      static_cast<int>(static_cast<unsigned>(ymd.day())), h, mi, s, micro, PyDateTime_TimeZone_UTC,
      PyDateTimeAPI->DateTimeType);
  if (!dt) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(dt);
}

/// An ISO-8601 str given where a datetime, date or timedelta goes: parsed by the core parser, its
/// error put at the field's path.
template <class Parse>
auto parsed_text(py::handle h, const json::Path& p, Parse parse) {
  try {
    return parse(h.cast<std::string>());
  } catch (const Error& e) {
    json::fail_at(p, e.what());
  }
}

Timestamp timestamp_from_py(py::handle h, const json::Path& p) {
  ensure_datetime_api();
  if (PyUnicode_Check(h.ptr())) return parsed_text(h, p, parse_timestamp);
  if (!PyDateTime_Check(h.ptr())) fail_expected(p, "datetime", h);
  py::object offset = h.attr("utcoffset")();
  if (offset.is_none())
    json::fail_at(p, "naive datetime; give it a tzinfo (e.g. datetime.timezone.utc)");
  // Exact integer arithmetic: days and seconds of the offset, fields of the date and time.
  auto days = std::chrono::sys_days{std::chrono::year{PyDateTime_GET_YEAR(h.ptr())} /
                                    PyDateTime_GET_MONTH(h.ptr()) / PyDateTime_GET_DAY(h.ptr())};
  long long us = days.time_since_epoch().count() * 86'400'000'000LL +
                 PyDateTime_DATE_GET_HOUR(h.ptr()) * 3'600'000'000LL +
                 PyDateTime_DATE_GET_MINUTE(h.ptr()) * 60'000'000LL +
                 PyDateTime_DATE_GET_SECOND(h.ptr()) * 1'000'000LL +
                 PyDateTime_DATE_GET_MICROSECOND(h.ptr());
  long long off = (PyDateTime_DELTA_GET_DAYS(offset.ptr()) * 86'400LL +
                   PyDateTime_DELTA_GET_SECONDS(offset.ptr())) *
                      1'000'000LL +
                  PyDateTime_DELTA_GET_MICROSECONDS(offset.ptr());
  return Timestamp{std::chrono::microseconds{us - off}};
}

py::object date_to_py(Date d) {
  ensure_datetime_api();
  auto ymd = std::chrono::year_month_day{d};
  int year = static_cast<int>(ymd.year());
  if (year < 1 || year > 9999)
    fail(ErrorCode::invalid_argument, "date " + format_date(d) + " is outside Python's range");
  PyObject* o = PyDateTimeAPI->Date_FromDate(
      year, static_cast<int>(static_cast<unsigned>(ymd.month())),
      static_cast<int>(static_cast<unsigned>(ymd.day())), PyDateTimeAPI->DateType);
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

Date date_from_py(py::handle h, const json::Path& p) {
  ensure_datetime_api();
  if (PyUnicode_Check(h.ptr())) return parsed_text(h, p, parse_date);
  // A datetime is a date too, but silently dropping its time would hide a mistake.
  if (!PyDate_Check(h.ptr()) || PyDateTime_Check(h.ptr())) fail_expected(p, "date", h);
  return std::chrono::sys_days{std::chrono::year{PyDateTime_GET_YEAR(h.ptr())} /
                               PyDateTime_GET_MONTH(h.ptr()) / PyDateTime_GET_DAY(h.ptr())};
}

py::object duration_to_py(std::chrono::nanoseconds d) {
  ensure_datetime_api();
  // timedelta holds microseconds: finer parts are dropped (toward zero), as Python's own
  // timedelta(microseconds=0.4) does.
  long long us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  long long days = us >= 0 ? us / 86'400'000'000LL : -((-us + 86'399'999'999LL) / 86'400'000'000LL);
  long long rest = us - days * 86'400'000'000LL;
  PyObject* o = PyDateTimeAPI->Delta_FromDelta(
      static_cast<int>(days), static_cast<int>(rest / 1'000'000LL),
      static_cast<int>(rest % 1'000'000LL), 1, PyDateTimeAPI->DeltaType);
  if (!o) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(o);
}

std::chrono::nanoseconds duration_from_py(py::handle h, const json::Path& p) {
  ensure_datetime_api();
  if (PyUnicode_Check(h.ptr())) return parsed_text(h, p, parse_duration);
  if (!PyDelta_Check(h.ptr())) fail_expected(p, "datetime.timedelta or ISO-8601 duration str", h);
  long long days = PyDateTime_DELTA_GET_DAYS(h.ptr());
  // nanoseconds span +-292 years: a longer timedelta has no C++ value.
  if (days > 106'000 || days < -106'000)
    json::fail_at(p, "timedelta of " + std::to_string(days) + " days is out of range");
  long long us = days * 86'400'000'000LL + PyDateTime_DELTA_GET_SECONDS(h.ptr()) * 1'000'000LL +
                 PyDateTime_DELTA_GET_MICROSECONDS(h.ptr());
  return std::chrono::microseconds{us};
}

// ---- JSON
// ------------------------------------------------------------------------------------------

py::object json_to_py(const json::Json& j) {
  switch (j.type()) {
    case json::Json::value_t::null:
    case json::Json::value_t::discarded:
      return py::none();
    case json::Json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::Json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case json::Json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case json::Json::value_t::number_float:
      return py::float_(j.get<double>());
    case json::Json::value_t::string:
      return py_codec<std::string>::to(j.get_ref<const std::string&>());
    case json::Json::value_t::array: {
      py::list out(j.size());
      for (std::size_t i = 0; i < j.size(); ++i) out[i] = json_to_py(j[i]);
      return out;
    }
    case json::Json::value_t::object: {
      py::dict out;
      for (auto it = j.begin(); it != j.end(); ++it)
        out[py_codec<std::string>::to(it.key())] = json_to_py(*it);
      return out;
    }
    case json::Json::value_t::binary:
      break;
  }
  fail(ErrorCode::internal, "JSON binary values have no Python form");
}

namespace {

/// How deep `where` is: the strict parser's nesting limit holds for Python values too, so a list
/// that contains itself is an error rather than a stack overflow.
std::size_t depth_of(const json::Path& where) {
  std::size_t depth = 0;
  for (const json::Path* p = where.parent; p; p = p->parent) ++depth;
  return depth;
}

}  // namespace

json::Json py_to_json(py::handle h, const json::Path& where) {
  PyObject* o = h.ptr();
  if (depth_of(where) > json::max_depth)
    json::fail_at(where, "nesting deeper than " + std::to_string(json::max_depth) + " levels");
  if (o == Py_None) return nullptr;
  if (PyBool_Check(o)) return o == Py_True;
  if (PyLong_Check(o)) {
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow == 0) return v;
    if (overflow > 0) {
      unsigned long long u = PyLong_AsUnsignedLongLong(o);
      if (!PyErr_Occurred()) return u;
      PyErr_Clear();
    }
    json::fail_at(where, "integer " + py::str(h).cast<std::string>() + " is out of range");
  }
  if (PyFloat_Check(o)) {
    double d = PyFloat_AS_DOUBLE(o);
    if (!std::isfinite(d)) json::fail_at(where, "NaN and infinity have no JSON form");
    return d;
  }
  if (PyUnicode_Check(o)) {
    // An enum member of ours is a str subclass; its value is its name, which is what JSON wants.
    return str_from_py(h, where);
  }
  if (PyDict_Check(o)) {
    json::Json out = json::Json::object();
    for (auto [k, v] : py::reinterpret_borrow<py::dict>(h)) {
      if (!PyUnicode_Check(k.ptr())) fail_expected(where, "str keys", k);
      auto key = str_from_py(k, where);
      out[key] = py_to_json(v, where.field(key));
    }
    return out;
  }
  if (PyList_Check(o) || PyTuple_Check(o)) {
    json::Json out = json::Json::array();
    std::size_t i = 0;
    for (py::handle e : py::reinterpret_borrow<py::iterable>(h))
      out.push_back(py_to_json(e, where.element(i++)));
    return out;
  }
  ensure_datetime_api();
  if (PyDateTime_Check(o)) return format_timestamp(timestamp_from_py(h, where));
  if (PyDate_Check(o)) return format_date(date_from_py(h, where));
  if (PyDelta_Check(o)) return format_duration(duration_from_py(h, where));
  if (py::hasattr(h, "to_dict") && py::hasattr(h, "__fields__"))
    return py_to_json(h.attr("to_dict")(), where);
  // numpy scalars and other numbers
  if (PyIndex_Check(o))
    return py_to_json(py::reinterpret_steal<py::object>(PyNumber_Index(o)), where);
  if (Py_TYPE(o)->tp_as_number && Py_TYPE(o)->tp_as_number->nb_float) {
    double d = PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred()) throw py::error_already_set();
    return py_to_json(py::float_(d), where);
  }
  if (py::isinstance<py::iterable>(h) && !PyBytes_Check(o)) {
    json::Json out = json::Json::array();
    std::size_t i = 0;
    for (py::handle e : py::reinterpret_borrow<py::iterable>(h))
      out.push_back(py_to_json(e, where.element(i++)));
    return out;
  }
  fail_expected(where, "a JSON value (dict, list, str, int, float, bool, None)", h);
}

void add_shared_methods(py::handle cls) {
  auto fields = [](py::handle self) { return py::tuple(self.attr("__fields__")); };
  cls.attr("__repr__") = py::cpp_function(
      [fields](py::handle self) {
        std::string out = py::cast<std::string>(py::type::of(self).attr("__name__")) + "(";
        bool first = true;
        for (py::handle f : fields(self)) {
          if (!first) out += ", ";
          first = false;
          out += py::cast<std::string>(f);
          out += '=';
          out += py::cast<std::string>(py::repr(self.attr(f)));
        }
        return out + ")";
      },
      py::name("__repr__"), py::is_method(cls));
  cls.attr("__eq__") = py::cpp_function(
      [fields](py::handle self, py::handle other) -> py::object {
        if (!py::isinstance(other, py::type::of(self)))
          return py::reinterpret_borrow<py::object>(Py_NotImplemented);
        for (py::handle f : fields(self))
          if (!self.attr(f).equal(other.attr(f))) return py::bool_(false);
        return py::bool_(true);
      },
      py::name("__eq__"), py::is_method(cls), py::is_operator());
  auto copy = [](py::handle self) {
    return py::type::of(self).attr("from_dict")(self.attr("to_dict")());
  };
  cls.attr("__copy__") = py::cpp_function(copy, py::name("__copy__"), py::is_method(cls));
  cls.attr("__deepcopy__") =
      py::cpp_function([copy](py::handle self, py::handle) { return copy(self); },
                       py::name("__deepcopy__"), py::is_method(cls));
}

}  // namespace houqin::python
