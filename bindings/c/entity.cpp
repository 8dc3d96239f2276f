// hq_entity_*: every exposed entity by name, JSON in and out, through the actor-checked generic
// entity API (houqin/protect/entities.hpp): permissions, audit and masking happen there.
#include <string>
#include <vector>

#include "capi.hpp"
#include "houqin/protect/entities.hpp"

using namespace houqin;
using capi::guard;
using capi::require;

namespace {

[[noreturn]] void not_found(std::string_view entity, std::int64_t id) {
  fail(ErrorCode::not_found, std::string(entity) + " " + std::to_string(id) + ": not found");
}

json::Json find(capi::StoreHandle& h, const auth::Actor& actor, const char* entity,
                const char* query_json) {
  json::Json query =
      query_json ? json::parse(query_json, "query") : json::Json(json::Json::object());
  std::lock_guard lock(h.mutex);
  return protect::find_entities(*h.store, actor, entity, query);
}

}  // namespace

extern "C" {

hq_status hq_entity_names(char** out_json, hq_store* store) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_entity_names", "out_json");
    capi::handle(store, "hq_entity_names");  // the names do not depend on the store yet
    *out_json = capi::copy_out(capi::dump(json::Json(protect::entity_names())));
  });
}

hq_status hq_entity_put(char** out_json, hq_store* store, const hq_actor* actor, const char* entity,
                        const char* json) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    auto& h = capi::handle(store, "hq_entity_put");
    const auto& who = capi::actor(actor, "hq_entity_put");
    require(entity, "hq_entity_put", "entity");
    require(json, "hq_entity_put", "json");
    auto value = json::parse(json, entity);
    json::Json stored;
    {
      std::lock_guard lock(h.mutex);
      stored = protect::put_entity(*h.store, who, entity, value);
    }
    if (out_json) *out_json = capi::copy_out(capi::dump(stored));
  });
}

hq_status hq_entity_get(char** out_json, hq_store* store, const hq_actor* actor, const char* entity,
                        int64_t id) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_entity_get", "out_json");
    auto& h = capi::handle(store, "hq_entity_get");
    const auto& who = capi::actor(actor, "hq_entity_get");
    require(entity, "hq_entity_get", "entity");
    json::Json value;
    {
      std::lock_guard lock(h.mutex);
      value = protect::get_entity(*h.store, who, entity, id);
    }
    *out_json = capi::copy_out(capi::dump(value));
  });
}

hq_status hq_entity_find(char** out_json, hq_store* store, const hq_actor* actor,
                         const char* entity, const char* query_json) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_entity_find", "out_json");
    auto& h = capi::handle(store, "hq_entity_find");
    const auto& who = capi::actor(actor, "hq_entity_find");
    require(entity, "hq_entity_find", "entity");
    *out_json = capi::copy_out(capi::dump(find(h, who, entity, query_json)));
  });
}

hq_status hq_entity_each(hq_store* store, const hq_actor* actor, const char* entity,
                         const char* query_json, hq_entity_each_cb callback, void* payload) {
  return guard([&] {
    auto& h = capi::handle(store, "hq_entity_each");
    const auto& who = capi::actor(actor, "hq_entity_each");
    require(entity, "hq_entity_each", "entity");
    require(reinterpret_cast<const void*>(callback), "hq_entity_each", "callback");
    // find() has released the store's lock when it returns: the callbacks run without it.
    json::Json result = find(h, who, entity, query_json);
    for (const auto& item : result["items"]) {
      std::string text = capi::dump(item);
      if (callback(text.c_str(), payload) != 0) break;
    }
    capi::clear_error();  // a callback's own failed calls are not this call's error
  });
}

hq_status hq_entity_remove(hq_store* store, const hq_actor* actor, const char* entity, int64_t id,
                           int64_t expected_version) {
  return guard([&] {
    auto& h = capi::handle(store, "hq_entity_remove");
    const auto& who = capi::actor(actor, "hq_entity_remove");
    require(entity, "hq_entity_remove", "entity");
    if (expected_version < 0)
      fail(ErrorCode::invalid_argument, "hq_entity_remove: expected_version " +
                                            std::to_string(expected_version) + " is negative");
    bool removed = false;
    {
      std::lock_guard lock(h.mutex);
      removed = protect::remove_entity(*h.store, who, entity, id,
                                       expected_version == HQ_ANY_VERSION
                                           ? std::nullopt
                                           : std::optional<std::int64_t>(expected_version));
    }
    if (!removed) not_found(entity, id);
  });
}

}  // extern "C"
