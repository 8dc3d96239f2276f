// The one generic pybind11 binder: a described struct becomes a Python class (typed attributes,
// keyword constructor, repr, equality, to_dict/from_dict, pickling) and a described enum a Python
// str-valued enum.Enum, both from their Boost.Describe descriptions alone. Values cross with
// py_codec<T>, which mirrors json::codec<T>: strict, and every error names the field at fault
// (houqin.InvalidArgument "Room.beds: expected int, got str").
#pragma once

#include <pybind11/chrono.h>
#include <pybind11/pybind11.h>
// Every binding file sees the same casters (std::optional, std::vector, ...): one definition each.
#include <pybind11/stl.h>

#include <boost/core/demangle.hpp>
#include <boost/mp11.hpp>
#include <map>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"

namespace houqin::python {

namespace py = pybind11;

// ---- JSON <-> Python
// -----------------------------------------------------------------------------

/// A JSON value as plain Python (dict, list, str, int, float, bool, None).
py::object json_to_py(const json::Json& j);
/// Plain Python as JSON. Also accepts houqin enums (their name), datetime/date (ISO text), bound
/// houqin objects (their to_dict()), tuples and numpy scalars; anything else is an error at
/// `where`.
json::Json py_to_json(py::handle h, const json::Path& where);

// ---- time
// ----------------------------------------------------------------------------------------

/// Timestamp <-> timezone-aware datetime in UTC. A naive datetime is refused (ambiguous), an
/// ISO-8601 string is parsed.
py::object timestamp_to_py(Timestamp t);
Timestamp timestamp_from_py(py::handle h, const json::Path& where);
py::object date_to_py(Date d);
Date date_from_py(py::handle h, const json::Path& where);

/// A Python str as UTF-8, refused (InvalidArgument at `where`, with the character's index) when it
/// holds what no entry point accepts: a lone surrogate ("\ud800", not Unicode, which UTF-8 cannot
/// carry) or a NUL character (C strings and the JSON parser refuse it too). Not a str: an error.
std::string str_from_py(py::handle h, const json::Path& where);

/// Python's name for an object's type, for error messages ("str", "NoneType").
std::string type_name(py::handle h);
[[noreturn]] void fail_expected(const json::Path& where, std::string_view expected, py::handle got);

// ---- the registry of bound types
// -----------------------------------------------------------------

/// The Python class bound for a C++ type (enum or struct), or a null handle.
py::handle bound_type(std::type_index type);
void set_bound_type(std::type_index type, py::handle cls);

// ---- py_codec<T>: one C++ member type <-> Python
// ---------------------------------------------------

template <class T, class Enable = void>
struct py_codec;

template <>
struct py_codec<bool> {
  static py::object to(bool v) { return py::bool_(v); }
  static void from(py::handle h, bool& out, const json::Path& p) {
    if (!PyBool_Check(h.ptr())) fail_expected(p, "bool", h);
    out = h.ptr() == Py_True;
  }
  static std::string annotation() { return "bool"; }
};

/// Integers: Python int or anything with __index__ (numpy integers), never bool; range-checked.
long long int_from_py(py::handle h, const json::Path& p, long long min, long long max);
/// The path that names a function argument in errors ("samples: expected ...").
inline json::Path arg_path(const char* name) {
  return json::Path{nullptr, {}, static_cast<std::size_t>(-1), name};
}

template <class I>
struct py_codec<I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>> {
  static py::object to(I v) { return py::int_(v); }
  static void from(py::handle h, I& out, const json::Path& p) {
    // uint64 members (counters, alarm episodes) take 0 .. 2^63 - 1 from Python.
    constexpr auto max = sizeof(I) < 8 || std::is_signed_v<I>
                             ? static_cast<long long>(std::numeric_limits<I>::max())
                             : std::numeric_limits<long long>::max();
    out = static_cast<I>(
        int_from_py(h, p, static_cast<long long>(std::numeric_limits<I>::min()), max));
  }
  static std::string annotation() { return "int"; }
};

double float_from_py(py::handle h, const json::Path& p);

template <class F>
struct py_codec<F, std::enable_if_t<std::is_floating_point_v<F>>> {
  static py::object to(F v) { return py::float_(static_cast<double>(v)); }
  static void from(py::handle h, F& out, const json::Path& p) {
    out = static_cast<F>(float_from_py(h, p));
  }
  static std::string annotation() { return "float"; }
};

template <>
struct py_codec<std::string> {
  static py::object to(const std::string& v) {
    // Replacement characters rather than an exception for stored text that is not UTF-8.
    PyObject* s = PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), "replace");
    if (!s) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(s);
  }
  static void from(py::handle h, std::string& out, const json::Path& p) { out = str_from_py(h, p); }
  static std::string annotation() { return "str"; }
};

template <>
struct py_codec<Timestamp> {
  static py::object to(Timestamp v) { return timestamp_to_py(v); }
  static void from(py::handle h, Timestamp& out, const json::Path& p) {
    out = timestamp_from_py(h, p);
  }
  static std::string annotation() { return "datetime.datetime"; }
};

template <>
struct py_codec<Date> {
  static py::object to(Date v) { return date_to_py(v); }
  static void from(py::handle h, Date& out, const json::Path& p) { out = date_from_py(h, p); }
  static std::string annotation() { return "datetime.date"; }
};

/// Durations <-> datetime.timedelta (microsecond resolution); an ISO-8601 duration string
/// ("PT15M") is accepted too. A value finer than the member's resolution is refused, as in JSON.
py::object duration_to_py(std::chrono::nanoseconds d);
std::chrono::nanoseconds duration_from_py(py::handle h, const json::Path& where);

template <class Rep, class Period>
struct py_codec<std::chrono::duration<Rep, Period>> {
  using D = std::chrono::duration<Rep, Period>;
  static py::object to(D v) {
    return duration_to_py(std::chrono::duration_cast<std::chrono::nanoseconds>(v));
  }
  static void from(py::handle h, D& out, const json::Path& p) {
    auto ns = duration_from_py(h, p);
    auto v = std::chrono::duration_cast<D>(ns);
    if (std::chrono::duration_cast<std::chrono::nanoseconds>(v) != ns)
      json::fail_at(
          p, format_duration(ns) + " is finer than this field's resolution (" +
                 format_duration(std::chrono::duration_cast<std::chrono::nanoseconds>(D{1})) + ")");
    out = v;
  }
  static std::string annotation() { return "datetime.timedelta"; }
};

template <>
struct py_codec<json::Json> {
  static py::object to(const json::Json& v) { return json_to_py(v); }
  static void from(py::handle h, json::Json& out, const json::Path& p) { out = py_to_json(h, p); }
  static std::string annotation() { return "typing.Any"; }
};

/// "houqin.site.RoomType": how stubs and messages name a bound class.
std::string qualified_name(py::handle cls);
/// The public module a scope's classes belong to: houqin._core.site -> houqin.site, so pickle,
/// repr and stubs name them where users import them from.
std::string public_module(py::handle scope);

template <class E>
struct py_codec<E, std::enable_if_t<DescribedEnum<E>>> {
  static py::handle cls() {
    py::handle c = bound_type(typeid(E));
    if (!c) fail(ErrorCode::internal, std::string("enum ") + typeid(E).name() + " is not bound");
    return c;
  }
  static py::object to(E v) {
    // Members are looked up by value (the enumerator's name): RoomType("ward").
    return cls()(py::str(std::string(enum_name(v))));
  }
  static void from(py::handle h, E& out, const json::Path& p) {
    py::handle c = cls();
    std::string name;
    if (py::isinstance(h, c)) {
      name = h.attr("value").cast<std::string>();
    } else if (PyUnicode_Check(h.ptr())) {
      name = str_from_py(h, p);
    } else {
      fail_expected(p, qualified_name(c) + " or str", h);
    }
    auto v = enum_from_name<E>(name);
    if (!v)
      json::fail_at(
          p, "unknown value '" + name + "' (expected one of: " + enum_names_joined<E>() + ")");
    out = *v;
  }
  static std::string annotation() { return qualified_name(cls()); }
};

template <class T>
struct py_codec<std::optional<T>> {
  static py::object to(const std::optional<T>& v) { return v ? py_codec<T>::to(*v) : py::none(); }
  static void from(py::handle h, std::optional<T>& out, const json::Path& p) {
    if (h.is_none()) {
      out.reset();
      return;
    }
    T value{};
    py_codec<T>::from(h, value, p);
    out = std::move(value);
  }
  static std::string annotation() { return py_codec<T>::annotation() + " | None"; }
};

template <class T, class A>
struct py_codec<std::vector<T, A>> {
  static py::object to(const std::vector<T, A>& v) {
    py::list out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = py_codec<T>::to(v[i]);
    return out;
  }
  static void from(py::handle h, std::vector<T, A>& out, const json::Path& p) {
    if (PyUnicode_Check(h.ptr()) || PyBytes_Check(h.ptr()) || PyDict_Check(h.ptr()) ||
        !py::isinstance<py::iterable>(h))
      fail_expected(p, "list", h);
    out.clear();
    std::size_t i = 0;
    for (py::handle e : py::reinterpret_borrow<py::iterable>(h)) {
      T value{};
      py_codec<T>::from(e, value, p.element(i++));
      out.push_back(std::move(value));
    }
  }
  static std::string annotation() { return "list[" + py_codec<T>::annotation() + "]"; }
};

template <class V, class C, class A>
struct py_codec<std::map<std::string, V, C, A>> {
  static py::object to(const std::map<std::string, V, C, A>& m) {
    py::dict out;
    for (const auto& [k, v] : m) out[py::str(k)] = py_codec<V>::to(v);
    return out;
  }
  static void from(py::handle h, std::map<std::string, V, C, A>& out, const json::Path& p) {
    if (!PyDict_Check(h.ptr())) fail_expected(p, "dict", h);
    out.clear();
    for (auto [k, v] : py::reinterpret_borrow<py::dict>(h)) {
      auto key = str_from_py(k, p);
      V value{};
      py_codec<V>::from(v, value, p.field(key));
      out.emplace(std::move(key), std::move(value));
    }
  }
  static std::string annotation() { return "dict[str, " + py_codec<V>::annotation() + "]"; }
};

/// The Python name of a member: a Python keyword gets a trailing underscore (audit Filter's
/// `from` is `from_`), everything else is the C++ name.
std::string py_attr_name(const char* member);

/// Keyword arguments (or a dict) onto a described struct, member by member; an unknown key is an
/// error naming it. Members not given keep their values.
template <class S>
void assign_members(S& s, py::handle dict, const json::Path& p) {
  if (!PyDict_Check(dict.ptr())) fail_expected(p, "dict", dict);
  auto d = py::reinterpret_borrow<py::dict>(dict);
  std::size_t matched = 0;
  for_each_member<S>([&](const char* name, auto pointer) {
    PyObject* v = PyDict_GetItemString(d.ptr(), name);  // borrowed; null when absent
    if (!v) v = PyDict_GetItemString(d.ptr(), py_attr_name(name).c_str());
    if (!v) return;
    ++matched;
    using M = std::remove_cvref_t<decltype(s.*pointer)>;
    M value{};
    py_codec<M>::from(v, value, p.field(name));
    s.*pointer = std::move(value);
  });
  if (matched != d.size()) {
    for (auto [k, v] : d) {
      if (!PyUnicode_Check(k.ptr())) fail_expected(p, "str keys", k);
      std::string key = str_from_py(k, p);
      bool known = false;
      for_each_member<S>([&](const char* name, auto) {
        known = known || key == name || key == py_attr_name(name);
      });
      if (!known) json::fail_at(p.field(key), "unknown field");
    }
  }
}

template <class S>
struct py_codec<S, std::enable_if_t<DescribedStruct<S>>> {
  static py::object to(const S& v) {
    if (bound_type(typeid(S))) return py::cast(v);
    py::dict out;  // a nested struct no class was bound for: a dict of typed values
    for_each_member<S>([&](const char* name, auto pointer) {
      using M = std::remove_cvref_t<decltype(v.*pointer)>;
      out[name] = py_codec<M>::to(v.*pointer);
    });
    return out;
  }
  static void from(py::handle h, S& out, const json::Path& p) {
    py::handle c = bound_type(typeid(S));
    if (c && py::isinstance(h, c)) {
      out = py::cast<const S&>(h);
      return;
    }
    out = S{};
    assign_members(out, h, p);
  }
  static std::string annotation() {
    py::handle c = bound_type(typeid(S));
    return c ? qualified_name(c) : "dict[str, typing.Any]";
  }
};

// ---- binding
// -------------------------------------------------------------------------------------

/// Creates the Python enum for a described enum E in `scope` (once; later calls return the class):
/// `class RoomType(str, enum.Enum)` whose members' values are the enumerator names, so
/// `room.type == "ward"` holds and members serialise as their names.
template <DescribedEnum E>
py::handle bind_enum(py::module_ scope, const char* name, const char* doc = nullptr) {
  if (py::handle c = bound_type(typeid(E))) return c;
  py::list members;
  // A name that is a Python keyword gets a trailing underscore (ScopeKind.global_); the value
  // stays the C++ name, which is what conversions look members up by.
  for (auto n : enum_names<E>())
    members.append(py::make_tuple(py_attr_name(std::string(n).c_str()), std::string(n)));
  py::module_ enum_mod = py::module_::import("enum");
  py::dict kw;
  kw["module"] = public_module(scope);
  kw["type"] = py::module_::import("builtins").attr("str");
  py::object cls = enum_mod.attr("Enum")(name, members, **kw);
  // Members print as their names (str(RoomType.ward) == "ward"), as the JSON form does.
  cls.attr("__str__") = py::module_::import("builtins").attr("str").attr("__str__");
  cls.attr("__doc__") = doc ? py::str(doc) : py::str(std::string("houqin enum ") + name);
  scope.attr(name) = cls;
  set_bound_type(typeid(E), cls);
  return cls.release();  // the registry keeps the reference for the life of the process
}

/// Binds the enums among T's (nested) member types that have no class yet, in `scope`, named as
/// in C++ (the last component of the qualified name).
std::string short_type_name(std::string_view describe_name);

template <class T>
void bind_member_types(py::module_ scope);

template <class M>
void bind_member_type(py::module_ scope) {
  if constexpr (is_optional<M>::value) {
    bind_member_type<typename M::value_type>(scope);
  } else if constexpr (is_vector<M>::value) {
    bind_member_type<typename M::value_type>(scope);
  } else if constexpr (is_string_map<M>::value) {
    bind_member_type<typename M::mapped_type>(scope);
  } else if constexpr (DescribedEnum<M>) {
    bind_enum<M>(scope, short_type_name(boost::core::demangle(typeid(M).name())).c_str());
  } else if constexpr (DescribedStruct<M>) {
    bind_member_types<M>(scope);
  }
}

template <class T>
void bind_member_types(py::module_ scope) {
  for_each_member<T>([&](const char*, auto pointer) {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*pointer)>;
    bind_member_type<M>(scope);
  });
}

/// Gives a bound struct class the methods that need nothing of its C++ type, written once over
/// its Python face (__fields__, to_dict, from_dict): __repr__ ("Room(id=1, code='A101', ...)"),
/// __eq__ (same class and equal fields; NotImplemented otherwise), __copy__ and __deepcopy__ (a
/// new object from to_dict()). One instantiation serves every struct, where a lambda per struct
/// cost the compiler about as much as the struct's own properties.
void add_shared_methods(py::handle cls);

/// One member of S read and written through py_codec, as plain functions: the properties of a
/// struct's members then share one getter and one setter closure type (def_member<S>), where a
/// closure per member made pybind11 instantiate its call machinery twice per member.
template <class S, class D>
py::object member_get(const S& s) {
  using M = std::remove_cvref_t<decltype(s.*D::pointer)>;
  return py_codec<M>::to(s.*D::pointer);
}
template <class S, class D>
void member_set(S& s, py::handle v, const json::Path& p) {
  using M = std::remove_cvref_t<decltype(s.*D::pointer)>;
  M value{};
  py_codec<M>::from(v, value, p);
  s.*D::pointer = std::move(value);
}

/// The typed property `attr` of a bound struct class: get and set are member_get/member_set of
/// one member; errors name "<where>.<field>".
template <class S>
void def_member(py::class_<S>& cls, const std::string& attr, const char* field,
                const std::string& where, py::object (*get)(const S&),
                void (*set)(S&, py::handle, const json::Path&), const std::string& doc) {
  cls.def_property(
      attr.c_str(), [get](const S& s) { return get(s); },
      [set, where, field](S& s, py::handle v) {
        json::Path root{nullptr, {}, static_cast<std::size_t>(-1), where};
        set(s, v, root.field(field));
      },
      doc.c_str());
}

/// Binds a described struct S as the Python class `name` in `scope`. Attributes are typed
/// properties (assigning a wrong type or an unknown attribute raises), the constructor takes
/// keywords only, and to_dict()/from_dict() use the JSON form of include/houqin/core/json.hpp.
template <DescribedStruct S>
py::class_<S> bind_struct(py::module_ scope, const char* name, const char* doc) {
  bind_member_types<S>(scope);
  py::class_<S> cls(scope, name, doc);
  cls.attr("__module__") = public_module(scope);
  set_bound_type(typeid(S), cls);
  const std::string where = name;

  cls.def(py::init([where](const py::kwargs& kw) {
            S s{};
            assign_members(s, kw, json::Path{nullptr, {}, static_cast<std::size_t>(-1), where});
            return s;
          }),
          (std::string("A new ") + name +
           "; every member may be given by keyword, the rest keep their defaults.")
              .c_str());

  py::dict annotations;
  py::list fields;
  using Members = boost::describe::describe_members<S, boost::describe::mod_public>;
  boost::mp11::mp_for_each<Members>([&](auto d) {
    using D = decltype(d);
    using M = std::remove_cvref_t<decltype(std::declval<S&>().*D::pointer)>;
    const std::string attr = py_attr_name(D::name);
    annotations[py::str(attr)] = py::str(py_codec<M>::annotation());
    fields.append(py::str(attr));
    def_member<S>(cls, attr, D::name, where, &member_get<S, D>, &member_set<S, D>,
                  std::string(D::name) + ": " + py_codec<M>::annotation());
  });
  cls.attr("__annotations__") = annotations;
  cls.attr("__fields__") = py::tuple(fields);
  cls.attr("__match_args__") = py::tuple(fields);

  add_shared_methods(cls);
  cls.attr("__hash__") = py::none();  // mutable: not hashable
  cls.def(
      "to_dict", [](const S& s) { return json_to_py(json::to_json(s)); },
      "The JSON form as plain Python: enums as names, times as ISO-8601 text.");
  cls.def_static(
      "from_dict",
      [where](py::handle d) {
        json::Path root{nullptr, {}, static_cast<std::size_t>(-1), where};
        return json::from_json<S>(py_to_json(d, root), where);
      },
      py::arg("data"),
      "Parses the JSON form (as to_dict() gives it) strictly: unknown fields, wrong types and "
      "unknown enum names raise InvalidArgument naming the field.");
  cls.def(py::pickle([](const S& s) { return json_to_py(json::to_json(s)); },
                     [where](py::object d) {
                       json::Path root{nullptr, {}, static_cast<std::size_t>(-1), where};
                       return json::from_json<S>(py_to_json(d, root), where);
                     }));
  return cls;
}

}  // namespace houqin::python
