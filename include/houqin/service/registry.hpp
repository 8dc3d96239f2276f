// Every service operation by name, with JSON in and JSON out: the one registry that the C ABI's
// hq_call, the Python module and any RPC host dispatch through, so a domain adds an operation in
// one place and every host gets it. Domains register their operations in a static initializer in
// the .cpp that implements the service:
//
//   [[maybe_unused]] const bool registered = service::define<ReportInput>(
//       "repair.report", "repair.report", "Report a fault; returns the new work order",
//       [](service::Context& ctx, const ReportInput& in) {
//         return WorkOrders(ctx.store).report(ctx.actor, in);   // authorised and audited inside
//       });
//
// call() refuses an actor that holds the registered permission in no scope before the input is
// read; the handler still does its own authorisation with the right scope (a department, a
// building) and its own audit through audit::audited(). Inputs are parsed with json::from_json, so
// unknown fields, wrong types and unknown enum values are refused with the field named before
// anything is touched. Each operation publishes the JSON Schema of its input and output, made
// from the same descriptions (docs/operations.md is generated from them).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/metrics.hpp"
#include "houqin/store/store.hpp"

namespace houqin::service {

/// The input of an operation that takes none ({}).
struct NoInput {};
BOOST_DESCRIBE_STRUCT(NoInput, (), ())

/// The output of an operation that returns nothing but success ({}).
struct NoOutput {};
BOOST_DESCRIBE_STRUCT(NoOutput, (), ())

/// What a handler gets. Services read the time from store.clock() and publish on store.events().
struct Context {
  store::Store& store;
  const auth::Actor& actor;
};

struct Operation {
  std::string name;        // "<domain>.<verb>", e.g. "repair.report"
  std::string permission;  // the permission it requires ("" when any signed-in actor may call it)
  std::string summary;     // one line: what it does and what it returns
  json::Json input;        // JSON Schema (draft 2020-12) of what it accepts
  json::Json output;       // JSON Schema of what it returns
  std::function<json::Json(Context&, const json::Json& input)> handler;
  /// Its latency histogram (houqin_operation_seconds{operation=...}), set by define().
  metrics::Histogram* latency = nullptr;
};

/// Adds an operation; Error(already_exists) when the name is taken, Error(invalid_argument) when
/// the name is not "<domain>.<verb>", the handler is empty or a schema is not an object. Returns
/// true (for static init). Domains use the typed define<In, Out> below, which makes the schemas.
HOUQIN_EXPORT bool define(Operation op);

namespace detail {
template <class F, class In>
using Result = std::invoke_result_t<F&, Context&, const In&>;
}

/// Typed form: the input is parsed as In (named by the operation in errors) and f(Context&,
/// const In&) returns an Out, or nothing (Out is then NoOutput, {}), or a json::Json already in
/// Out's shape (a document with personal fields masked for the actor); Out is deduced from f
/// unless f returns json::Json, which needs it named: define<In, WorkOrder>(...). The schemas
/// come from In and Out, so what an operation takes and gives is published from the same
/// description that parses and writes it.
template <class In, class Out = void, class F>
bool define(std::string name, std::string permission, std::string summary, F f) {
  using R = detail::Result<F, In>;
  static_assert(!(std::is_same_v<Out, void> && std::is_same_v<R, json::Json>),
                "a handler that returns json::Json must name its output type: define<In, Out>");
  using O = std::conditional_t<!std::is_same_v<Out, void>, Out,
                               std::conditional_t<std::is_void_v<R>, NoOutput, R>>;
  static_assert(std::is_void_v<R> || std::is_same_v<R, json::Json> || std::is_convertible_v<R, O>,
                "the handler's result is not the declared output type");
  Operation op{std::move(name),
               std::move(permission),
               std::move(summary),
               json::schema<In>(json::Direction::input),
               json::schema<O>(json::Direction::output),
               {}};
  op.handler = [f = std::move(f), where = op.name](Context& ctx, const json::Json& input) {
    auto in = json::from_json<In>(input, where);
    if constexpr (std::is_void_v<R>) {
      f(ctx, in);
      return json::Json::object();
    } else if constexpr (std::is_same_v<R, json::Json>) {
      return f(ctx, in);
    } else {
      return json::Json(json::to_json(static_cast<const O&>(f(ctx, in))));
    }
  };
  return define(std::move(op));
}

/// Records a refusal of call() (the audit layer sets it, so a refused call is on record as the
/// handler's own refusals are): store, actor, operation name and the error message. Must not throw.
using DenialRecorder = void (*)(store::Store& store, const auth::Actor& actor,
                                std::string_view operation, const std::string& message);
HOUQIN_EXPORT void set_denial_recorder(DenialRecorder recorder) noexcept;

/// The named operation, or Error(not_found) naming it and the domain's known operations.
HOUQIN_EXPORT const Operation& operation(std::string_view name);
/// Every operation, sorted by name.
HOUQIN_EXPORT std::vector<const Operation*> operations();

/// What every binding publishes of an operation: {"name", "permission", "summary", "input",
/// "output"}, the last two JSON Schemas (hq_operations, houqin.services, docs/operations.md).
HOUQIN_EXPORT json::Json describe(const Operation& op);

/// Looks the operation up and runs it. The input must be a JSON object (null is refused, as for
/// any required object). An actor that holds the operation's permission in no scope
/// is refused with Error(permission_denied) before the input is read (and the refusal is
/// audited, see set_denial_recorder); otherwise errors come from the lookup, the input parsing or
/// the service itself. Nothing is changed when one is thrown.
HOUQIN_EXPORT json::Json call(store::Store& store, const auth::Actor& actor, std::string_view name,
                              const json::Json& input);

}  // namespace houqin::service
