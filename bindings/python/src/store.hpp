// The Python Store and the generic entity binding on top of describe.hpp: bind_entity<T> makes a
// stored entity a Python class and registers its typed store operations by collection name, so
// Store.put/get/find/count/remove work for every bound entity without per-entity code.
//
// Threads: a Store is one connection, used by one thread at a time. Every call releases the GIL
// first and then takes the handle's mutex, never the other way round, so a thread waiting for the
// store never holds the GIL and callbacks into Python (which take the GIL) cannot deadlock.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "describe.hpp"
#include "houqin/core/actor.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::python {

struct StoreHandle {
  std::shared_ptr<const Clock> clock;   // a ManualClock given at open (outlives `store`), or null
  std::unique_ptr<store::Store> store;  // null once closed
  std::string url;
  std::mutex mutex;

  /// The open store; Error(failed_precondition) after close().
  store::Store& get();
};
using StorePtr = std::shared_ptr<StoreHandle>;

/// The options houqin.Store(url, key_file=, keys_env=, busy_timeout_ms=, clock=) opens with:
/// keys from the file, else from the environment variable when it is set.
store::StoreOptions store_options(py::handle key_file, const std::string& keys_env,
                                  int busy_timeout_ms, const ManualClock* clock);
/// Opens a store as houqin.Store(url, key_file=, keys_env=, migrate=, busy_timeout_ms=, clock=)
/// does (keys from the file or the environment variable; the clock shared with the handle).
StorePtr open_store(const std::string& url, py::handle key_file, const std::string& keys_env,
                    bool migrate, int busy_timeout_ms, std::shared_ptr<ManualClock> clock);

/// Runs f(Store&) with the GIL released and the handle locked. f must not touch Python objects
/// (take a gil_scoped_acquire in callbacks that do).
template <class F>
auto with_store(StoreHandle& h, F&& f) {
  py::gil_scoped_release nogil;
  std::lock_guard lock(h.mutex);
  return f(h.get());
}

/// A query given from Python, already checked: the JSON form of store::JsonQuery.
using QueryJson = json::Json;

/// The store operations of one bound entity type, type-erased.
struct EntityBinding {
  std::string collection;
  std::string table;
  py::handle cls;
  /// Inserts (id 0) or updates the object in place; returns it.
  std::function<py::object(StoreHandle&, py::handle)> put;
  /// Inserts all in one transaction; sets their ids.
  std::function<void(StoreHandle&, py::handle)> put_many;
  std::function<py::object(StoreHandle&, Id)> get;  // None when absent
  std::function<py::list(StoreHandle&, const QueryJson&)> find;
  std::function<std::int64_t(StoreHandle&, const QueryJson&)> count;
  std::function<bool(StoreHandle&, Id, std::optional<std::int64_t>)> remove;
};

void add_entity_binding(EntityBinding binding);
/// By collection name ("rooms") or class; Error(not_found) listing the known names.
const EntityBinding& entity_binding(py::handle name_or_class);
std::vector<std::string> entity_names();

template <Entity T>
store::Query<T> make_query(const QueryJson& j) {
  auto q = json::from_json<store::JsonQuery>(j, "query");
  store::Query<T> query;
  for (const auto& f : q.where) query.where(f.column, f.op, f.value);
  for (const auto& o : q.order_by) query.order_by(o.column, o.descending);
  if (q.limit) query.limit(*q.limit);
  query.offset(q.offset);
  return query;
}

/// Binds entity T as the class `name` in `scope` (see bind_struct) with class attributes
/// `collection` and `table`, and registers its store operations.
template <Entity T>
py::class_<T> bind_entity(py::module_ scope, const char* name, const char* doc) {
  auto cls = bind_struct<T>(scope, name, doc);
  cls.attr("collection") = py::str(std::string(entity_traits<T>::collection));
  cls.attr("table") = py::str(std::string(entity_traits<T>::table));
  EntityBinding b;
  b.collection = entity_traits<T>::collection;
  b.table = entity_traits<T>::table;
  b.cls = cls;
  b.put = [](StoreHandle& h, py::handle obj) {
    T& target = py::cast<T&>(obj);
    T value = target;  // the Python object may change under another thread while we work
    with_store(h, [&](store::Store& s) {
      store::Repository<T> repo(s);
      if (value.id == 0)
        repo.insert(value);
      else
        repo.update(value);
    });
    target = std::move(value);  // the stored state: id, version and anything insert settled
    return py::reinterpret_borrow<py::object>(obj);
  };
  b.put_many = [](StoreHandle& h, py::handle objs) {
    std::vector<T*> targets;
    std::vector<T> values;
    for (py::handle o : py::reinterpret_borrow<py::iterable>(objs)) {
      targets.push_back(&py::cast<T&>(o));  // the list keeps the objects alive
      values.push_back(*targets.back());
    }
    for (const T& v : values)
      if (v.id != 0)
        fail(ErrorCode::invalid_argument, std::string(entity_traits<T>::collection) + " id " +
                                              std::to_string(v.id) +
                                              ": put_many inserts new entities only (id 0)");
    with_store(h, [&](store::Store& s) { store::Repository<T>(s).insert_many(values); });
    for (std::size_t i = 0; i < values.size(); ++i) {
      *targets[i] = std::move(values[i]);
    }
  };
  b.get = [](StoreHandle& h, Id id) -> py::object {
    auto v = with_store(h, [&](store::Store& s) { return store::Repository<T>(s).get(id); });
    if (!v) return py::none();
    return py::cast(std::move(*v));
  };
  b.find = [](StoreHandle& h, const QueryJson& q) {
    auto query = make_query<T>(q);
    auto rows = with_store(h, [&](store::Store& s) { return store::Repository<T>(s).find(query); });
    py::list out(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) out[i] = py::cast(std::move(rows[i]));
    return out;
  };
  b.count = [](StoreHandle& h, const QueryJson& q) {
    auto query = make_query<T>(q);
    return with_store(h, [&](store::Store& s) { return store::Repository<T>(s).count(query); });
  };
  b.remove = [](StoreHandle& h, Id id, std::optional<std::int64_t> version) {
    return with_store(h,
                      [&](store::Store& s) { return store::Repository<T>(s).remove(id, version); });
  };
  add_entity_binding(std::move(b));
  return cls;
}

/// Binds every entity of a type list in `scope`, each under its C++ name.
template <Entity... Ts>
void bind_entities(py::module_ scope) {
  (bind_entity<Ts>(
       scope, short_type_name(boost::core::demangle(typeid(Ts).name())).c_str(),
       (std::string("Stored entity, collection '") + std::string(entity_traits<Ts>::collection) +
        "', table '" + std::string(entity_traits<Ts>::table) + "'.")
           .c_str()),
   ...);
}

/// The store behind a Python Store argument.
StoreHandle& store_arg(py::handle store);

/// houqin.auth.Actor: who is acting, plus the session token when it came from a login.
struct PyActor {
  auth::Actor actor;
  std::optional<std::string> token;
  bool must_change_password = false;
};
/// The actor behind a Python Actor argument (TypeError for anything else).
const auth::Actor& actor_arg(py::handle actor);

}  // namespace houqin::python
