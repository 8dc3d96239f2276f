// houqin.Error and one subclass per ErrorCode, and the translator that raises them for every
// houqin::Error thrown below a binding. Each class carries its code as `code` (houqin.ErrorCode).
#include <map>

#include "describe.hpp"
#include "module.hpp"

namespace houqin::python {

namespace {

std::map<int, PyObject*>& classes() {
  static std::map<int, PyObject*> map;  // code -> class, alive for the life of the process
  return map;
}
PyObject* base_class = nullptr;

/// not_found -> NotFound
std::string class_name(std::string_view code) {
  std::string out;
  bool upper = true;
  for (char c : code) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

const char* doc_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "Malformed input: bad JSON, unknown field or enum value, wrong type, out of range. "
             "Also a ValueError and a TypeError.";
    case ErrorCode::not_found:
      return "The named entity does not exist. Also a LookupError.";
    case ErrorCode::already_exists:
      return "A unique key (code, login, ...) is taken.";
    case ErrorCode::conflict:
      return "Optimistic version check failed: someone else changed the row since it was read.";
    case ErrorCode::permission_denied:
      return "The actor lacks the permission.";
    case ErrorCode::failed_precondition:
      return "Illegal state transition, a row still referenced, or a closed store.";
    case ErrorCode::unauthenticated:
      return "No valid session or credentials.";
    case ErrorCode::resource_exhausted:
      return "A queue or quota is full.";
    case ErrorCode::unavailable:
      return "A database, device or peer cannot be reached now; retry later.";
    case ErrorCode::data_loss:
      return "Stored data is corrupt or does not match its description.";
    case ErrorCode::internal:
      return "A bug in houqin.";
    case ErrorCode::unimplemented:
      return "The operation is not supported by this backend or build. Also a "
             "NotImplementedError.";
    case ErrorCode::deadline_exceeded:
      return "A timeout expired. Also a TimeoutError.";
    default:
      return "A houqin error.";
  }
}

/// Python built-in exceptions a code's class also derives from, so generic handlers catch it.
std::vector<PyObject*> builtin_bases(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return {PyExc_ValueError, PyExc_TypeError};
    case ErrorCode::not_found:
      return {PyExc_LookupError};
    case ErrorCode::unimplemented:
      return {PyExc_NotImplementedError};
    case ErrorCode::deadline_exceeded:
      return {PyExc_TimeoutError};
    default:
      return {};
  }
}

}  // namespace

void raise_error(const Error& e) {
  auto it = classes().find(static_cast<int>(e.code()));
  PyObject* cls = it == classes().end() ? base_class : it->second;
  const char* what = e.what();
  py::object message = py::reinterpret_steal<py::object>(
      PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)), "replace"));
  PyErr_SetObject(cls, message.ptr());
}

void init_errors(py::module_& m) {
  // houqin.ErrorCode: the stable codes, numbered as in C++ and (negated) in the C ABI.
  py::list members;
  for (int c = 1;; ++c) {
    auto name = to_string(static_cast<ErrorCode>(c));
    if (name == "unknown") break;
    members.append(py::make_tuple(std::string(name), c));
  }
  py::dict kw;
  kw["module"] = "houqin";
  py::object code_enum = py::module_::import("enum").attr("IntEnum")("ErrorCode", members, **kw);
  code_enum.attr("__doc__") = "houqin's stable error codes (include/houqin/core/error.hpp).";
  m.attr("ErrorCode") = code_enum;

  py::dict base_dict;
  base_dict["code"] = py::none();
  base_class = PyErr_NewExceptionWithDoc(
      "houqin.Error",
      "Base of every error houqin raises. `code` is its houqin.ErrorCode; str(e) is a one-line "
      "message naming the field, id or state at fault.",
      PyExc_Exception, base_dict.ptr());
  if (!base_class) throw py::error_already_set();
  m.attr("Error") = py::handle(base_class);

  for (int c = 1;; ++c) {
    auto code = static_cast<ErrorCode>(c);
    auto name = to_string(code);
    if (name == "unknown") break;
    std::vector<PyObject*> bases{base_class};
    for (PyObject* b : builtin_bases(code)) bases.push_back(b);
    py::tuple base_tuple(bases.size());
    for (std::size_t i = 0; i < bases.size(); ++i) base_tuple[i] = py::handle(bases[i]);
    py::dict dict;
    dict["code"] = code_enum(c);
    std::string qualified = "houqin." + class_name(name);
    PyObject* cls =
        PyErr_NewExceptionWithDoc(qualified.c_str(), doc_of(code), base_tuple.ptr(), dict.ptr());
    if (!cls) throw py::error_already_set();
    classes()[c] = cls;
    m.attr(class_name(name).c_str()) = py::handle(cls);
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise_error(e);
    } catch (const py::cast_error& e) {
      // A value that reached a pybind11 caster rather than one of ours: still houqin's error.
      raise_error(Error(ErrorCode::invalid_argument, e.what()));
    }
  });
}

}  // namespace houqin::python
