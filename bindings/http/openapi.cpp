// The OpenAPI 3.1 document of the HTTP binding, made from the registry: every operation's JSON
// Schemas (draft 2020-12, which OpenAPI 3.1 uses as is) with their $defs lifted into
// components/schemas, and the fixed routes' structs described like any other.
#include <map>
#include <string>

#include "houqin/core/error.hpp"
#include "houqin/core/library.hpp"
#include "houqin/http/api.hpp"
#include "houqin/service/registry.hpp"

namespace houqin::http {

namespace {

constexpr std::string_view defs_prefix = "#/$defs/";
const std::string components_prefix = "#/components/schemas/";

using Names = std::map<std::string, std::string, std::less<>>;

/// Points "#/$defs/X" at the component X was given.
void rewrite_refs(json::Json& j, const Names& names) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it->is_string()) {
        auto ref = it->get<std::string>();
        if (!ref.starts_with(defs_prefix)) continue;
        auto name = ref.substr(defs_prefix.size());
        auto found = names.find(name);
        *it = components_prefix + (found == names.end() ? name : found->second);
      } else {
        rewrite_refs(*it, names);
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) rewrite_refs(e, names);
  }
}

/// The schema with its $defs moved to `components`: one entry per described struct and
/// direction. A struct's input and output schemas can differ (required members, read-only
/// fields); the second one seen is named "<Name>.input" or "<Name>.output".
json::Json lift(json::Json schema, json::Json& components, std::string_view direction) {
  Names names;
  json::Json defs = schema.contains("$defs") ? schema["$defs"] : json::Json::object();
  // Names first (a definition refers to others), then the definitions with their refs rewritten.
  for (auto& [name, def] : defs.items()) {
    std::string chosen = name;
    if (components.contains(chosen)) {
      json::Json probe = def;
      Names same;
      for (auto& [n, d] : defs.items()) {
        (void)d;
        same[n] = n;
      }
      rewrite_refs(probe, same);
      if (components[chosen] != probe) chosen = name + "." + std::string(direction);
    }
    names[name] = chosen;
  }
  for (auto& [name, def] : defs.items()) {
    json::Json d = def;
    rewrite_refs(d, names);
    const auto& chosen = names[name];
    auto found = components.find(chosen);
    if (found == components.end())
      components[chosen] = std::move(d);
    else if (*found != d)
      fail(ErrorCode::internal, "openapi: two different schemas are named " + chosen);
  }
  schema.erase("$defs");
  schema.erase("$schema");
  rewrite_refs(schema, names);
  return schema;
}

json::Json problem_responses() {
  return {{"default",
           {{"description", "An error: RFC 9457 problem+json with houqin's stable error code"},
            {"content",
             {{"application/problem+json",
               {{"schema", {{"$ref", components_prefix + "Problem"}}}}}}}}}};
}

json::Json json_body(const json::Json& schema) {
  return {{"application/json", {{"schema", schema}}}};
}

template <class T>
json::Json output_schema(json::Json& components) {
  return lift(json::schema<T>(json::Direction::output), components, "output");
}

}  // namespace

json::Json openapi() {
  json::Json components = json::Json::object();
  json::Json paths = json::Json::object();
  components["Problem"] = output_schema<Problem>(components);
  auto login_in = lift(json::schema<LoginInput>(json::Direction::input), components, "input");
  auto login_out = output_schema<LoginOutput>(components);
  auto session = output_schema<SessionInfo>(components);
  json::Json anonymous = json::Json::array();  // security: [] -- no credentials needed

  paths["/api/v1/auth/login"]["post"] = {
      {"operationId", "auth.login_http"},
      {"summary",
       "Sign in: a session cookie (HttpOnly, SameSite=Strict) and its CSRF token, or "
       "with bearer: true the token in the body"},
      {"security", anonymous},
      {"requestBody", {{"required", true}, {"content", json_body(login_in)}}},
      {"responses", problem_responses()}};
  paths["/api/v1/auth/login"]["post"]["responses"]["200"] = {{"description", "Signed in"},
                                                             {"content", json_body(login_out)}};
  paths["/api/v1/auth/logout"]["post"] = {{"operationId", "auth.logout_http"},
                                          {"summary", "End the session"},
                                          {"responses", problem_responses()}};
  paths["/api/v1/auth/logout"]["post"]["responses"]["200"] = {{"description", "Signed out"}};
  paths["/api/v1/auth/session"]["get"] = {
      {"operationId", "auth.session_http"},
      {"summary", "Who the request acts as, its permissions and its CSRF token"},
      {"responses", problem_responses()}};
  paths["/api/v1/auth/session"]["get"]["responses"]["200"] = {{"description", "The caller"},
                                                              {"content", json_body(session)}};

  auto intake_in = lift(json::schema<IntakeInput>(json::Direction::input), components, "input");
  auto intake_out = output_schema<IntakeOutput>(components);
  paths["/api/v1/intake"]["post"] = {
      {"operationId", "repair.intake_http"},
      {"summary",
       "Report a repair from a room's QR code without an account (rate limited per "
       "address and per room; only these fields)"},
      {"security", anonymous},
      {"requestBody", {{"required", true}, {"content", json_body(intake_in)}}},
      {"responses", problem_responses()}};
  paths["/api/v1/intake"]["post"]["responses"]["200"] = {{"description", "The work order reported"},
                                                         {"content", json_body(intake_out)}};

  json::Json entity_param = {
      {"name", "entity"}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}};
  paths["/api/v1/entities/{entity}"]["get"] = {
      {"operationId", "entities.find_http"},
      {"summary",
       "Entities of one type, filtered: ?column=value, column[op]=value (ne, lt, le, "
       "gt, ge, in, contains, is_null, not_null), order=-a,b, limit, offset"},
      {"parameters", json::Json::array({entity_param})},
      {"responses", problem_responses()}};
  paths["/api/v1/entities/{entity}"]["get"]["responses"]["200"] = {
      {"description", "{\"items\": [...], \"total\": n}"},
      {"content", json_body({{"type", "object"}})}};
  paths["/api/v1/entities/{entity}/{id}"]["get"] = {
      {"operationId", "entities.get_http"},
      {"summary", "One entity by id"},
      {"parameters", json::Json::array({entity_param,
                                        {{"name", "id"},
                                         {"in", "path"},
                                         {"required", true},
                                         {"schema", {{"type", "integer"}, {"minimum", 1}}}}})},
      {"responses", problem_responses()}};
  paths["/api/v1/entities/{entity}/{id}"]["get"]["responses"]["200"] = {
      {"description", "The entity"}, {"content", json_body({{"type", "object"}})}};

  for (const auto* op : service::operations()) {
    auto dot = op->name.find('.');
    auto path = "/api/v1/" + op->name.substr(0, dot) + "/" + op->name.substr(dot + 1);
    json::Json post = {
        {"operationId", op->name},
        {"summary", op->summary},
        {"tags", json::Json::array({op->name.substr(0, dot)})},
        {"x-permission", op->permission},
        {"requestBody",
         {{"required", true}, {"content", json_body(lift(op->input, components, "input"))}}},
        {"responses", problem_responses()}};
    post["responses"]["200"] = {{"description", "Done"},
                                {"content", json_body(lift(op->output, components, "output"))}};
    paths[path]["post"] = std::move(post);
  }
  for (auto& [path, item] : paths.items())
    for (auto& [method, op] : item.items()) {
      (void)method;
      (void)path;
      if (!op.contains("security"))
        op["security"] = {{{"cookie", json::Json::array()}}, {{"bearer", json::Json::array()}}};
    }

  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "houqin"},
        {"version", std::string(version_string())},
        {"description",
         "Hospital logistics: every operation of the service registry, with JSON "
         "in and out. A POST made with the session cookie needs X-CSRF-Token."}}},
      {"jsonSchemaDialect", "https://json-schema.org/draft/2020-12/schema"},
      {"paths", std::move(paths)},
      {"components",
       {{"schemas", std::move(components)},
        {"securitySchemes",
         {{"cookie", {{"type", "apiKey"}, {"in", "cookie"}, {"name", std::string(session_cookie)}}},
          {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
}

}  // namespace houqin::http
