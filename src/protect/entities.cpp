#include "houqin/protect/entities.hpp"

#include "houqin/audit/call.hpp"
#include "houqin/protect/protect.hpp"

namespace houqin::protect {
namespace {

const store::EntityOps& ops_of(std::string_view entity) {
  return store::entities().at(entity);
}

void require_write(audit::Call& call, const store::EntityOps& ops) {
  if (ops.access.write.empty())
    fail(ErrorCode::failed_precondition,
         ops.name + " cannot be changed through the entity API; use its domain's services");
  call.require(ops.access.write);
}

bool unmasked(const auth::Actor& actor, const store::EntityOps& ops) {
  return actor.can("protect.unmask") ||
         (!ops.access.read_personal.empty() && actor.can(ops.access.read_personal));
}

/// Reads run as audited calls: quiet (only a failure is recorded) unless they return personal
/// data, which is recorded with the ids shown and whether it was unmasked. A table without
/// personal data is read in a read-only transaction: the success of such a read writes nothing,
/// so readers never queue for the write lock.
template <class F>
json::Json entity_read(store::Store& store, const auth::Actor& actor, const store::EntityOps& ops,
                       F&& read) {
  auto body = [&](audit::Call& call) {
    call.target(ops.table->name, std::nullopt);
    if (!ops.access.read.empty()) call.require(ops.access.read);
    return read(call);
  };
  if (ops.table->has_personal) return audit::audited(store, actor, "entity.read", body);
  return audit::audited_read(store, actor, "entity.read", body);
}

void record_personal_read(audit::Call& call, const store::EntityOps& ops, const json::Json& rows,
                          bool shown, std::optional<Id> id) {
  if (!ops.table->has_personal || rows.empty()) {
    call.quiet();
    return;
  }
  std::string ids;
  auto add = [&](const json::Json& row) {
    if (row.contains("id")) ids += (ids.empty() ? "" : ",") + row["id"].dump();
  };
  if (rows.is_array())
    for (const auto& r : rows) add(r);
  else
    add(rows);
  call.record(ops.table->name, id, std::nullopt, std::nullopt,
              std::string(shown ? "personal data shown unmasked" : "personal data masked") +
                  "; ids " + ids);
}

}  // namespace

std::vector<std::string> entity_names() {
  return store::entities().names();
}

json::Json get_entity(store::Store& store, const auth::Actor& actor, std::string_view entity,
                      Id id) {
  const auto& ops = ops_of(entity);
  return entity_read(store, actor, ops, [&](audit::Call& call) {
    call.target(ops.table->name, id);
    auto value = ops.get(store, id);
    if (!value) fail(ErrorCode::not_found, ops.name + " " + std::to_string(id) + ": not found");
    const bool shown = unmasked(actor, ops);
    if (ops.table->has_personal && !shown) protect::mask_rows(*ops.table, *value);
    record_personal_read(call, ops, *value, shown, id);
    return *value;
  });
}

json::Json find_entities(store::Store& store, const auth::Actor& actor, std::string_view entity,
                         const json::Json& query) {
  const auto& ops = ops_of(entity);
  return entity_read(store, actor, ops, [&](audit::Call& call) {
    auto result = ops.find(store, query.is_null() ? json::Json::object() : query);
    const bool shown = unmasked(actor, ops);
    if (ops.table->has_personal && !shown) protect::mask_rows(*ops.table, result["items"]);
    record_personal_read(call, ops, result["items"], shown, std::nullopt);
    return result;
  });
}

json::Json put_entity(store::Store& store, const auth::Actor& actor, std::string_view entity,
                      const json::Json& value) {
  const auto& ops = ops_of(entity);
  // An integer id other than 0 names a stored entity; anything else is a new one (a malformed id
  // is reported by the decoder, with its path).
  auto id_it = value.is_object() ? value.find("id") : value.end();
  const bool update = value.is_object() && id_it != value.end() && id_it->is_number_integer() &&
                      id_it->get<Id>() != 0;
  return audit::audited(
      store, actor, update ? "entity.update" : "entity.insert", [&](audit::Call& call) {
        call.target(ops.table->name, update ? std::optional<Id>(id_it->get<Id>()) : std::nullopt);
        require_write(call, ops);
        std::optional<json::Json> before;
        if (update) before = ops.get(store, id_it->get<Id>());
        auto stored = update ? ops.update(store, value) : ops.insert(store, value);
        call.record(ops.table->name, stored["id"].get<Id>(), before, stored);
        if (ops.table->has_personal && !unmasked(actor, ops))
          protect::mask_rows(*ops.table, stored);
        return stored;
      });
}

bool remove_entity(store::Store& store, const auth::Actor& actor, std::string_view entity, Id id,
                   std::optional<std::int64_t> expected_version) {
  const auto& ops = ops_of(entity);
  return audit::audited(store, actor, "entity.remove", [&](audit::Call& call) {
    call.target(ops.table->name, id);
    require_write(call, ops);
    auto before = ops.get(store, id);
    bool removed = ops.remove(store, id, expected_version);
    if (removed)
      call.record(ops.table->name, id, before, std::nullopt);
    else
      call.quiet();
    return removed;
  });
}

}  // namespace houqin::protect
