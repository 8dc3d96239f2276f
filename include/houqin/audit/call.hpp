// One authorised, audited service call. Every domain service wraps its operations in audited():
//
//   return audited(store, actor, "repair.dispatch", [&](Call& call) {
//     call.require("repair.dispatch", {.department_id = order.department_id});
//     ... change things ...
//     call.record("repair_work_order", order.id, before_json, after_json);
//     return order;
//   });
//
// The work and its audit records commit together. When the work throws, it is rolled back and one
// record of the attempt (outcome denied for permission_denied, failed otherwise, with the error's
// message) is appended in a transaction of its own, so denied attempts are never lost.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "houqin/audit/audit.hpp"

namespace houqin::audit {

class HOUQIN_EXPORT Call {
 public:
  Call(store::Store& store, const auth::Actor& actor, std::string action);
  store::Store& store() const noexcept { return store_; }
  const auth::Actor& actor() const noexcept { return actor_; }
  const std::string& action() const noexcept { return action_; }

  /// Error(permission_denied) unless the actor may; the denial is audited by audited().
  void require(std::string_view permission, const auth::Scope& target = {});
  /// Appends a success record for one changed (or, for personal data, read) entity.
  void record(std::string_view entity, std::optional<Id> id,
              const std::optional<json::Json>& before = std::nullopt,
              const std::optional<json::Json>& after = std::nullopt, std::string detail = {});
  bool recorded() const noexcept { return recorded_ > 0 || quiet_; }
  /// A read that changes nothing and touches no personal data: record only a failure.
  void quiet() noexcept { quiet_ = true; }
  /// The entity the failure record should name, when known before the work failed.
  void target(std::string_view entity, std::optional<Id> id);

  /// Used by audited(): appends the record of a failed attempt.
  void record_failure(Outcome outcome, const std::string& detail) noexcept;

 private:
  store::Store& store_;
  const auth::Actor& actor_;
  std::string action_;
  std::string entity_;
  std::optional<Id> entity_id_;
  int recorded_ = 0;
  bool quiet_ = false;
};

/// Runs f(Call&) in a transaction of the given kind with its audit records (audited() and
/// audited_read() below).
template <class Tx, class F>
auto audited_in(store::Store& store, const auth::Actor& actor, std::string action, Tx kind, F&& f) {
  Call call(store, actor, std::move(action));
  try {
    auto tx = kind(store);
    if constexpr (std::is_void_v<decltype(f(call))>) {
      f(call);
      if (!call.recorded()) call.record({}, std::nullopt);
      tx->commit();
    } else {
      auto result = f(call);
      if (!call.recorded()) call.record({}, std::nullopt);
      tx->commit();
      return result;
    }
  } catch (const Error& e) {
    call.record_failure(
        e.code() == ErrorCode::permission_denied ? Outcome::denied : Outcome::failed, e.what());
    throw;
  } catch (const std::exception& e) {
    call.record_failure(Outcome::failed, e.what());
    throw;
  }
}

/// Runs f(Call&) in a transaction with its audit records; see the header comment.
template <class F>
auto audited(store::Store& store, const auth::Actor& actor, std::string action, F&& f) {
  return audited_in(
      store, actor, std::move(action),
      [](store::Store& s) { return std::make_unique<store::Transaction>(s); }, std::forward<F>(f));
}

/// audited() for a call that only reads and is quiet when it succeeds (Call::quiet(); a failure
/// is still recorded, after the rollback): a read-only transaction, so such calls never wait
/// for the write lock or for each other. f must not write, nor record anything but a failure.
template <class F>
auto audited_read(store::Store& store, const auth::Actor& actor, std::string action, F&& f) {
  return audited_in(
      store, actor, std::move(action),
      [](store::Store& s) {
        return std::make_unique<store::Transaction>(s, store::Transaction::read_only);
      },
      std::forward<F>(f));
}

}  // namespace houqin::audit
