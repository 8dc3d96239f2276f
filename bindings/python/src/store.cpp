// houqin.Store: open by URL (keys from a key file or HOUQIN_KEYS), migrate the whole platform,
// transactions, and put/get/find/count/remove of every bound entity by class or collection name.
#include "store.hpp"

#include <cmath>
#include <cstdlib>
#include <map>

#include "houqin/platform.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/store/migration.hpp"
#include "module.hpp"

namespace houqin::python {

namespace {

std::map<std::string, EntityBinding, std::less<>>& bindings() {
  static std::map<std::string, EntityBinding, std::less<>> map;
  return map;
}

std::string known_names() {
  std::string out;
  for (const auto& [name, b] : bindings()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

/// The JSON query for find/count from Python arguments: `where` as (column, op, value) or
/// (column, value) tuples or dicts, `order_by` as "code" / "-code" or a list of them, keyword
/// arguments as equality filters (None: IS NULL).
QueryJson make_query_json(py::handle where, py::handle order_by, py::handle limit,
                          std::int64_t offset, const py::kwargs& equals) {
  json::Path root{nullptr, {}, static_cast<std::size_t>(-1), "query"};
  json::Json q = json::Json::object();
  json::Json conditions = json::Json::array();
  static const std::map<std::string, std::string, std::less<>> symbols{
      {"==", "eq"}, {"!=", "ne"}, {"<", "lt"}, {"<=", "le"}, {">", "gt"}, {">=", "ge"}};
  if (!where.is_none()) {
    json::Path wp = root.field("where");
    if (!py::isinstance<py::list>(where) && !py::isinstance<py::tuple>(where))
      fail_expected(wp, "list of (column, op, value)", where);
    std::size_t i = 0;
    for (py::handle c : py::reinterpret_borrow<py::iterable>(where)) {
      json::Path cp = wp.element(i++);
      if (PyDict_Check(c.ptr())) {
        conditions.push_back(py_to_json(c, cp));
        continue;
      }
      if (!PyTuple_Check(c.ptr()) && !PyList_Check(c.ptr()))
        fail_expected(cp, "(column, op, value) tuple", c);
      auto t = py::reinterpret_borrow<py::sequence>(c);
      if (t.size() != 2 && t.size() != 3) json::fail_at(cp, "expected 2 or 3 items");
      json::Json cond = json::Json::object();
      cond["column"] = py_to_json(t[0], cp.field("column"));
      if (t.size() == 2) {
        cond["op"] = "eq";
        cond["value"] = py_to_json(t[1], cp.field("value"));
      } else {
        std::string op = py::str(t[1]);
        if (auto s = symbols.find(op); s != symbols.end()) op = s->second;
        cond["op"] = op;
        cond["value"] = py_to_json(t[2], cp.field("value"));
      }
      conditions.push_back(std::move(cond));
    }
  }
  for (auto [k, v] : equals) {
    std::string column = py::str(k);
    if (v.is_none())
      conditions.push_back({{"column", column}, {"op", "is_null"}, {"value", nullptr}});
    else
      conditions.push_back(
          {{"column", column}, {"op", "eq"}, {"value", py_to_json(v, root.field(column))}});
  }
  q["where"] = std::move(conditions);
  json::Json orders = json::Json::array();
  auto add_order = [&](py::handle o, const json::Path& p) {
    if (!PyUnicode_Check(o.ptr())) fail_expected(p, "column name (\"-name\" for descending)", o);
    std::string s = o.cast<std::string>();
    bool desc = !s.empty() && s[0] == '-';
    orders.push_back({{"column", desc ? s.substr(1) : s}, {"descending", desc}});
  };
  if (!order_by.is_none()) {
    json::Path op = root.field("order_by");
    if (PyUnicode_Check(order_by.ptr())) {
      add_order(order_by, op);
    } else {
      std::size_t i = 0;
      for (py::handle o : py::reinterpret_borrow<py::iterable>(order_by))
        add_order(o, op.element(i++));
    }
  }
  q["order_by"] = std::move(orders);
  if (!limit.is_none())
    q["limit"] = int_from_py(limit, root.field("limit"), 0, std::numeric_limits<long long>::max());
  if (offset < 0) json::fail_at(root.field("offset"), "must not be negative");
  q["offset"] = offset;
  return q;
}

}  // namespace

store::StoreOptions store_options(py::handle key_file, const std::string& keys_env,
                                  int busy_timeout_ms, const ManualClock* clock) {
  store::StoreOptions options;
  options.clock = clock;
  if (busy_timeout_ms < 0)
    fail(ErrorCode::invalid_argument,
         "busy_timeout_ms " + std::to_string(busy_timeout_ms) + " is negative");
  options.busy_timeout = std::chrono::milliseconds(busy_timeout_ms);
  std::optional<std::string> file;
  if (!key_file.is_none()) file = py::str(py::module_::import("os").attr("fspath")(key_file));
  py::gil_scoped_release nogil;
  if (file) {
    options.keys = protect::Keyring::from_file(*file);
  } else if (const char* k = keys_env.empty() ? nullptr : std::getenv(keys_env.c_str()); k && *k) {
    options.keys = protect::Keyring::from_env(keys_env.c_str());
  }
  return options;
}

StorePtr open_store(const std::string& url, py::handle key_file, const std::string& keys_env,
                    bool migrate, int busy_timeout_ms, std::shared_ptr<ManualClock> clock) {
  auto options = store_options(key_file, keys_env, busy_timeout_ms, clock.get());
  auto h = std::make_shared<StoreHandle>();
  h->clock = std::move(clock);
  {
    py::gil_scoped_release nogil;
    h->store = store::Store::open(url, options);
    h->url = h->store->url();
    if (migrate) {
      auto m = houqin::migrations();
      store::migrate(*h->store, m);
    }
  }
  return h;
}

namespace {

struct PyTransaction {
  StorePtr h;
  bool open = false;
};

}  // namespace

store::Store& StoreHandle::get() {
  if (!store) fail(ErrorCode::failed_precondition, "store " + url + " is closed");
  return *store;
}

void add_entity_binding(EntityBinding binding) {
  auto name = binding.collection;
  bindings().insert_or_assign(std::move(name), std::move(binding));
}

const EntityBinding& entity_binding(py::handle key) {
  std::string name;
  if (PyUnicode_Check(key.ptr())) {
    name = key.cast<std::string>();
  } else if (PyType_Check(key.ptr()) && py::hasattr(key, "collection")) {
    name = py::str(key.attr("collection"));
  } else if (py::hasattr(key, "collection") && py::hasattr(key, "__fields__")) {
    name = py::str(key.attr("collection"));
  } else {
    fail(ErrorCode::invalid_argument,
         "entity: expected a collection name or an entity class, got " + type_name(key));
  }
  auto it = bindings().find(name);
  if (it == bindings().end())
    fail(ErrorCode::not_found, "entity '" + name + "' is not known (known: " + known_names() + ")");
  return it->second;
}

std::vector<std::string> entity_names() {
  std::vector<std::string> out;
  for (const auto& [name, b] : bindings()) out.push_back(name);
  return out;
}

StoreHandle& store_arg(py::handle store) {
  return *store.cast<StorePtr>();
}

void init_store(py::module_& m) {
  py::class_<ManualClock, std::shared_ptr<ManualClock>>(m, "ManualClock", R"doc(
Time that moves only when told to, for Store(..., clock=...): SLA timers, report times and every
timestamp a service writes read it, so a script can run a week of repair work in a second.

    clock = houqin.ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    store = houqin.Store("sqlite::memory:", migrate=True, clock=clock)
    clock.advance(minutes=25)
)doc")
      .def(py::init([](py::handle start) {
             return std::make_shared<ManualClock>(timestamp_from_py(
                 start, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "start"}));
           }),
           py::arg("start"), "Starts at `start` (an aware datetime or ISO-8601 text).")
      .def(
          "now", [](const ManualClock& c) { return timestamp_to_py(c.now()); },
          "The clock's time (a datetime in UTC).")
      .def(
          "set",
          [](ManualClock& c, py::handle t) {
            c.set(timestamp_from_py(t, json::Path{nullptr, {}, static_cast<std::size_t>(-1), "t"}));
          },
          py::arg("t"), "Sets the time (it may go backwards: tests only).")
      .def(
          "advance",
          [](ManualClock& c, py::handle delta, double seconds, double minutes, double hours,
             double days) {
            double s = seconds + 60 * minutes + 3600 * hours + 86400 * days;
            if (!delta.is_none()) s += delta.attr("total_seconds")().cast<double>();
            if (s < 0) fail(ErrorCode::invalid_argument, "advance: negative duration");
            c.advance(std::chrono::microseconds(static_cast<std::int64_t>(std::llround(s * 1e6))));
            return timestamp_to_py(c.now());
          },
          py::arg("delta") = py::none(), py::kw_only(), py::arg("seconds") = 0.0,
          py::arg("minutes") = 0.0, py::arg("hours") = 0.0, py::arg("days") = 0.0,
          "Moves the time forward by a timedelta and/or seconds, minutes, hours, days; returns "
          "the new time.")
      .def("__repr__", [](const ManualClock& c) {
        return "houqin.ManualClock(" + py::str(timestamp_to_py(c.now())).cast<std::string>() + ")";
      });

  py::class_<StoreHandle, StorePtr> cls(m, "Store", R"doc(
A connection to a houqin database: SQLite (embedded) or PostgreSQL (shared server).

    with houqin.Store("sqlite:hospital.db", migrate=True) as store:
        rooms = store.find(houqin.site.Room, type="icu", order_by="code")

One Store is used by one thread at a time (calls from several threads are serialised); open one
per thread for parallel work. Every call releases the GIL while the database works.
)doc");
  cls.def(py::init(&open_store), py::arg("url"), py::kw_only(), py::arg("key_file") = py::none(),
          py::arg("keys_env") = "HOUQIN_KEYS", py::arg("migrate") = false,
          py::arg("busy_timeout_ms") = 5000, py::arg("clock") = nullptr,
          R"doc(Opens `sqlite:PATH`, `sqlite::memory:` or `postgresql://...`.

Personal data (staff phones, ...) is sealed at rest with keys from `key_file` (lines
"<id> <base64 of 32 bytes>", the last one active) or, without one, from the environment variable
`keys_env` (HOUQIN_KEYS) when it is set. `migrate=True` brings the whole platform's schema up to
date (as migrate() does). Raises InvalidArgument for an unknown scheme, Unavailable when the
database cannot be opened. `clock` (a houqin.ManualClock) is the time every service on this store
reads (SLA, timestamps): scripts and notebooks replay days of work in seconds with it.)doc");
  cls.def_property_readonly(
      "now", [](StoreHandle& h) { return timestamp_to_py(h.get().clock().now()); },
      "The store's clock now (a datetime in UTC): the system clock, or the ManualClock given.");
  cls.def_property_readonly(
      "url", [](const StoreHandle& h) { return h.url; },
      "The URL it was opened with, any password replaced by ***.");
  cls.def_property_readonly(
      "dialect",
      [](StoreHandle& h) {
        return h.get().dialect() == store::Dialect::sqlite ? "sqlite" : "postgresql";
      },
      "\"sqlite\" or \"postgresql\".");
  cls.def_property_readonly(
      "closed", [](const StoreHandle& h) { return !h.store; }, "True after close().");
  cls.def(
      "close",
      [](StoreHandle& h) {
        py::gil_scoped_release nogil;
        std::lock_guard lock(h.mutex);
        h.store.reset();
      },
      "Closes the connection (waiting for a call in another thread to finish). Idempotent.");
  cls.def("__enter__", [](StorePtr h) { return h; });
  cls.def("__exit__", [](StoreHandle& h, py::handle, py::handle, py::handle) {
    py::gil_scoped_release nogil;
    std::lock_guard lock(h.mutex);
    h.store.reset();
  });
  cls.def("__repr__", [](const StoreHandle& h) {
    return "houqin.Store('" + h.url + "'" + (h.store ? "" : ", closed") + ")";
  });
  cls.def(
      "migrate",
      [](StoreHandle& h) {
        return with_store(h, [](store::Store& s) {
          auto all = houqin::migrations();
          return store::migrate(s, all);
        });
      },
      "Applies every domain's pending schema migrations; returns how many ran.");
  cls.def(
      "applied_migrations",
      [](StoreHandle& h) {
        auto applied = with_store(h, [](store::Store& s) { return store::applied_migrations(s); });
        return py_codec<std::vector<store::AppliedMigration>>::to(applied);
      },
      "The migrations recorded in this database, as dicts (domain, version, description, "
      "applied_at).");
  cls.def(
      "execute",
      [](StoreHandle& h, const std::string& sql) {
        with_store(h, [&](store::Store& s) { s.execute(sql); });
      },
      py::arg("sql"),
      "Runs one SQL statement without parameters or results (DDL, PRAGMA). For administrators: "
      "it bypasses services, permissions and audit.");

  py::class_<PyTransaction>(m, "Transaction",
                            "A transaction on a Store: commits when the with-block ends normally, "
                            "rolls back when it raises. Nested transactions are savepoints.")
      .def(
          "__enter__",
          [](PyTransaction& t) {
            with_store(*t.h, [](store::Store& s) { s.begin(); });
            t.open = true;
            return &t;
          },
          py::return_value_policy::reference)
      .def("__exit__", [](PyTransaction& t, py::handle type, py::handle, py::handle) {
        if (!t.open) return false;
        t.open = false;
        bool ok = type.is_none();
        with_store(*t.h, [&](store::Store& s) {
          if (ok)
            s.commit();
          else
            s.rollback();
        });
        return false;
      });
  cls.def(
      "transaction",
      [](StorePtr h) {
        return PyTransaction{std::move(h), false};
      },
      "A context manager: `with store.transaction(): ...` makes the calls inside one "
      "transaction.");

  // ---- entities ----
  cls.def(
      "put",
      [](StoreHandle& h, py::handle entity, py::handle data) -> py::object {
        const auto& b = entity_binding(entity);
        bool by_name = PyUnicode_Check(entity.ptr()) || PyType_Check(entity.ptr());
        if (by_name && data.is_none())
          fail(ErrorCode::invalid_argument, "put " + b.table + ": data: expected dict or " +
                                                qualified_name(b.cls) + ", got NoneType");
        if (!by_name) {
          if (!data.is_none())
            fail(ErrorCode::invalid_argument,
                 "put: data: give data only with a collection name or class, not with an object");
          return b.put(h, entity);
        }
        if (py::isinstance(data, b.cls)) return b.put(h, data);
        // put("rooms", {...}): a new object from the dict, then the typed path.
        py::object obj = b.cls.attr("from_dict")(data);
        return b.put(h, obj);
      },
      py::arg("entity"), py::arg("data") = py::none(),
      R"doc(Inserts an entity whose id is 0, or updates it (with the optimistic version check).

The object is updated in place (id, version) and returned. `put("rooms", {...})` makes the entity
from a dict first. Raises InvalidArgument (validation), AlreadyExists (a unique key), Conflict (the
row changed since it was read), NotFound (updating a removed row).)doc");
  cls.def(
      "put_many",
      [](StoreHandle& h, const py::list& entities) {
        if (entities.empty()) return;
        entity_binding(entities[0]).put_many(h, entities);
      },
      py::arg("entities"),
      "Inserts new entities of one type in one transaction (all or nothing); sets their ids.");
  cls.def(
      "get",
      [](StoreHandle& h, py::handle entity, Id id) { return entity_binding(entity).get(h, id); },
      py::arg("entity"), py::arg("id"),
      "The entity with this id (entity: a class like houqin.site.Room or a collection name like "
      "\"rooms\"), or None.");
  cls.def(
      "require",
      [](StoreHandle& h, py::handle entity, Id id) {
        const auto& b = entity_binding(entity);
        py::object v = b.get(h, id);
        if (v.is_none())
          fail(ErrorCode::not_found, b.table + " " + std::to_string(id) + ": not found");
        return v;
      },
      py::arg("entity"), py::arg("id"), "Like get(), but raises NotFound when absent.");
  cls.def(
      "find",
      [](StoreHandle& h, py::handle entity, py::handle where, py::handle order_by, py::handle limit,
         std::int64_t offset, const py::kwargs& equals) {
        const auto& b = entity_binding(entity);
        return b.find(h, make_query_json(where, order_by, limit, offset, equals));
      },
      py::arg("entity"), py::arg("where") = py::none(), py::kw_only(),
      py::arg("order_by") = py::none(), py::arg("limit") = py::none(), py::arg("offset") = 0,
      R"doc(Entities matching every condition, as a list.

    store.find(Room, type=RoomType.icu)                       # equality by keyword
    store.find("rooms", [("beds", ">=", 4), ("code", "contains", "A-3")], order_by="-beds", limit=10)

`where` items are (column, op, value) or (column, value) tuples; ops: eq ne lt le gt ge (or
== != < <= > >=), in (a list), contains (substring), is_null, not_null. Values are bound
parameters, never SQL text. Unknown columns or ops raise InvalidArgument naming them.)doc");
  cls.def(
      "count",
      [](StoreHandle& h, py::handle entity, py::handle where, const py::kwargs& equals) {
        return entity_binding(entity).count(
            h, make_query_json(where, py::none(), py::none(), 0, equals));
      },
      py::arg("entity"), py::arg("where") = py::none(),
      "How many entities match (the same conditions as find()).");
  cls.def(
      "remove",
      [](StoreHandle& h, py::handle entity, std::optional<Id> id,
         std::optional<std::int64_t> version) {
        const auto& b = entity_binding(entity);
        if (!id) {
          if (PyUnicode_Check(entity.ptr()) || PyType_Check(entity.ptr()))
            fail(ErrorCode::invalid_argument, "remove: give an id with a class or collection name");
          id = entity.attr("id").cast<Id>();
          if (!version) version = entity.attr("version").cast<std::int64_t>();
        }
        return b.remove(h, *id, version);
      },
      py::arg("entity"), py::arg("id") = py::none(), py::kw_only(), py::arg("version") = py::none(),
      R"doc(Deletes an entity: remove(room) (checks its version) or remove(Room, id[, version=n]).
Returns False when there was no such row; raises Conflict when the version is stale.)doc");
  m.def("entity_names", &entity_names, "The collection names of every bound entity, sorted.");
  m.def(
      "entity_class", [](const std::string& name) { return entity_binding(py::str(name)).cls; },
      py::arg("collection"), "The Python class of a collection (\"rooms\" -> houqin.site.Room).");
}

}  // namespace houqin::python
