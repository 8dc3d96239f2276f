// The generic entity API with an actor: what hosts (the C ABI's hq_entity_*, Python) use to read
// and change any exposed entity by name and JSON (store::entities()). Each call is authorised by
// the type's EntityAccess; every change is audited with digests of before and after; personal
// fields come back masked unless the actor may see them, and every read that returns personal
// data is audited (which entity, which ids, masked or not), as PIPL Art 28 asks of health data.
#pragma once

#include <optional>
#include <string_view>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/store/registry.hpp"

namespace houqin::protect {

/// Names of every exposed entity type, sorted.
HOUQIN_EXPORT std::vector<std::string> entity_names();

/// The stored entity, or Error(not_found). Needs the type's read permission.
HOUQIN_EXPORT json::Json get_entity(store::Store& store, const auth::Actor& actor,
                                    std::string_view entity, Id id);

/// {"items": [...], "total": n} for a store::JsonQuery document (null: everything). Filtering
/// on a personal field is refused (sealed values cannot be compared).
HOUQIN_EXPORT json::Json find_entities(store::Store& store, const auth::Actor& actor,
                                       std::string_view entity, const json::Json& query);

/// Inserts (no id or id 0) or updates (the stored id and version) and returns the stored entity.
/// Needs the type's write permission; audited.
HOUQIN_EXPORT json::Json put_entity(store::Store& store, const auth::Actor& actor,
                                    std::string_view entity, const json::Json& value);

/// Deletes by id, and version when given; false when there was nothing to delete. Needs the
/// type's write permission; audited.
HOUQIN_EXPORT bool remove_entity(store::Store& store, const auth::Actor& actor,
                                 std::string_view entity, Id id,
                                 std::optional<std::int64_t> expected_version);

}  // namespace houqin::protect
