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
// anything is touched.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/store/store.hpp"

namespace houqin::service {

/// The input of an operation that takes none ({}).
struct NoInput {};
BOOST_DESCRIBE_STRUCT(NoInput, (), ())

/// What a handler gets. Services read the time from store.clock() and publish on store.events().
struct Context {
  store::Store& store;
  const auth::Actor& actor;
};

struct Operation {
  std::string name;        // "<domain>.<verb>", e.g. "repair.report"
  std::string permission;  // the permission it requires ("" when any signed-in actor may call it)
  std::string summary;     // one line: what it does and what it returns
  std::function<json::Json(Context&, const json::Json& input)> handler;
};

/// Adds an operation; Error(already_exists) when the name is taken, Error(invalid_argument) when
/// the name is not "<domain>.<verb>" or the handler is empty. Returns true (for static init).
HOUQIN_EXPORT bool define(Operation op);

/// Typed form: the input is parsed as In (named by the operation in errors) and the result of
/// f(Context&, const In&) is converted with json::to_json (void gives {}).
template <class In, class F>
bool define(std::string name, std::string permission, std::string summary, F f) {
  Operation op{std::move(name), std::move(permission), std::move(summary), {}};
  op.handler = [f = std::move(f), where = op.name](Context& ctx, const json::Json& input) {
    auto in = json::from_json<In>(input.is_null() ? json::Json::object() : input, where);
    if constexpr (std::is_void_v<decltype(f(ctx, in))>) {
      f(ctx, in);
      return json::Json::object();
    } else {
      return json::Json(json::to_json(f(ctx, in)));
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

/// Looks the operation up and runs it. An actor that holds the operation's permission in no scope
/// is refused with Error(permission_denied) before the input is read (and the refusal is
/// audited, see set_denial_recorder); otherwise errors come from the lookup, the input parsing or
/// the service itself. Nothing is changed when one is thrown.
HOUQIN_EXPORT json::Json call(store::Store& store, const auth::Actor& actor, std::string_view name,
                              const json::Json& input);

}  // namespace houqin::service
