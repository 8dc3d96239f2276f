// Entities by name, with JSON in and out: the generic face that the C ABI (hq_entity_*) and the
// Python module build on, so neither needs a line of per-entity code. Each domain registers its
// entity types once; every operation is derived from the type's description.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/json.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::store {

/// A query as JSON: {"where": [{"column": "type", "op": "eq", "value": "ward"}],
///                   "order_by": [{"column": "code", "descending": true}], "limit": 20, "offset":
///                   40}
struct JsonFilter {
  std::string column;
  Op op = Op::eq;
  json::Json value;
};
struct JsonOrder {
  std::string column;
  bool descending = false;
};
struct JsonQuery {
  std::vector<JsonFilter> where;
  std::vector<JsonOrder> order_by;
  std::optional<std::int64_t> limit;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(JsonFilter, (), (column, op, value))
BOOST_DESCRIBE_STRUCT(JsonOrder, (), (column, descending))
BOOST_DESCRIBE_STRUCT(JsonQuery, (), (where, order_by, limit, offset))

/// Who may use an entity type through the generic, actor-checked entity API
/// (include/houqin/protect/entities.hpp). Permissions are "<domain>.<action>" names.
struct EntityAccess {
  std::string read;   // needed to read; "" lets any actor read (personal fields stay masked)
  std::string write;  // needed to insert, update and remove; "" makes the type read-only there
  /// Besides protect.unmask, the permission that shows personal fields unmasked (e.g.
  /// site.read_personal); "" for protect.unmask alone.
  std::string read_personal;
};

/// What can be done with one entity type, by name and JSON.
struct EntityOps {
  std::string name;  // the collection name, e.g. "rooms"
  const TableInfo* table = nullptr;
  EntityAccess access;
  /// Validates and inserts; returns the stored entity (with its id and version).
  std::function<json::Json(Store&, const json::Json&)> insert;
  std::function<std::optional<json::Json>(Store&, Id)> get;
  /// Updates with the optimistic version check; returns the entity with its new version.
  std::function<json::Json(Store&, const json::Json&)> update;
  std::function<bool(Store&, Id, std::optional<std::int64_t>)> remove;
  /// Returns {"items": [...], "total": n} where total counts all matches regardless of paging.
  std::function<json::Json(Store&, const json::Json& query)> find;
};

class EntityRegistry {
 public:
  template <Entity T>
  void add(EntityAccess access = {}) {
    EntityOps ops;
    ops.name = std::string(entity_traits<T>::collection);
    ops.table = &table_info<T>();
    ops.access = std::move(access);
    if (ops_.count(ops.name))
      fail(ErrorCode::already_exists, "entity collection '" + ops.name + "' is registered twice");
    ops.insert = [](Store& s, const json::Json& j) {
      auto v = json::from_json<T>(j, entity_traits<T>::collection);
      v.id = 0;
      Repository<T>(s).insert(v);
      return json::to_json(v);
    };
    ops.get = [](Store& s, Id id) -> std::optional<json::Json> {
      auto v = Repository<T>(s).get(id);
      if (!v) return std::nullopt;
      return json::to_json(*v);
    };
    ops.update = [](Store& s, const json::Json& j) {
      auto v = json::from_json<T>(j, entity_traits<T>::collection);
      Repository<T>(s).update(v);
      return json::to_json(v);
    };
    ops.remove = [](Store& s, Id id, std::optional<std::int64_t> version) {
      return Repository<T>(s).remove(id, version);
    };
    ops.find = [](Store& s, const json::Json& j) {
      auto q = json::from_json<JsonQuery>(j, "query");
      Query<T> query;
      for (const auto& f : q.where) query.where(f.column, f.op, f.value);
      for (const auto& o : q.order_by) query.order_by(o.column, o.descending);
      if (q.limit) query.limit(*q.limit);
      query.offset(q.offset);
      Repository<T> repo(s);
      json::Json items = json::Json::array();
      for (const auto& v : repo.find(query)) items.push_back(json::to_json(v));
      return json::Json{{"items", std::move(items)}, {"total", repo.count(query)}};
    };
    ops_[ops.name] = std::move(ops);
  }

  /// The operations of the named entity; Error(not_found) listing the known names otherwise.
  HOUQIN_EXPORT const EntityOps& at(std::string_view name) const;
  HOUQIN_EXPORT std::vector<std::string> names() const;

 private:
  std::map<std::string, EntityOps, std::less<>> ops_;
};

/// The entity types every domain exposes to hosts (the C ABI, Python), filled at load time by
/// expose<Ts...>() beside each domain's types. Tables a domain keeps behind its services
/// (accounts, sessions, the audit log) are not exposed.
HOUQIN_EXPORT EntityRegistry& entities();

template <Entity... Ts>
bool expose(const EntityAccess& access) {
  (entities().add<Ts>(access), ...);
  return true;
}

}  // namespace houqin::store
