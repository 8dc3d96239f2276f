// hq_call, hq_operations, hq_operation: every registered service operation by name, with the
// JSON Schemas of what it takes and returns.
#include "capi.hpp"
#include "houqin/service/registry.hpp"

using namespace houqin;
using capi::guard;
using capi::require;

extern "C" {

hq_status hq_call(char** out_json, hq_store* store, const hq_actor* actor, const char* operation,
                  const char* input_json) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    auto& h = capi::handle(store, "hq_call");
    const auto& who = capi::actor(actor, "hq_call");
    require(operation, "hq_call", "operation");
    json::Json input =
        input_json ? json::parse(input_json, operation) : json::Json(json::Json::object());
    json::Json result;
    {
      std::lock_guard lock(h.mutex);
      result = service::call(*h.store, who, operation, input);
    }
    if (out_json) *out_json = capi::copy_out(capi::dump(result));
  });
}

hq_status hq_operations(char** out_json) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_operations", "out_json");
    json::Json list = json::Json::array();
    for (const auto* op : service::operations()) list.push_back(service::describe(*op));
    *out_json = capi::copy_out(capi::dump(list));
  });
}

hq_status hq_operation(char** out_json, const char* operation) {
  if (out_json) *out_json = nullptr;
  return guard([&] {
    require(out_json, "hq_operation", "out_json");
    require(operation, "hq_operation", "operation");
    *out_json = capi::copy_out(capi::dump(service::describe(service::operation(operation))));
  });
}

}  // extern "C"
