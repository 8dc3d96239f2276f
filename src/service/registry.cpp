#include "houqin/service/registry.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "houqin/core/error.hpp"
#include "houqin/store/store.hpp"

namespace houqin::service {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, Operation, std::less<>> by_name;
};

Registry& registry() {
  static Registry r;
  return r;
}

std::atomic<DenialRecorder> denial_recorder{nullptr};

bool well_formed(std::string_view name) {
  auto dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return false;
  for (char c : name)
    if (!(c == '.' || c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

/// Runs `attempt`, and again while it fails only because the store's connection was lost before
/// anything of it was committed (a PostgreSQL failover or restart, or a SQLite disk error before
/// the COMMIT, after which the SQLite connection is opened again): each new attempt reconnects,
/// after a pause of 50 ms growing to 250 ms (a refused connection costs little; a promoted
/// standby is found within a quarter second), for at most the store's failover_wait. A call inside
/// a caller's transaction is not retried (that transaction is gone; its owner must start over), nor
/// is one whose COMMIT was sent, since it may have committed.
template <class F>
json::Json run_retrying(store::Store& store, const Operation& op, F&& attempt) {
  const bool outermost = store.transaction_depth() == 0;
  const auto wait = store.failover_wait();
  std::optional<std::chrono::steady_clock::time_point> give_up;
  auto pause = std::chrono::milliseconds{50};
  for (;;) {
    const auto commits = store.commits_attempted();
    const auto generation = store.connection_generation();
    try {
      return attempt();
    } catch (const Error& e) {
      const bool lost = store.connection_lost() || store.connection_generation() != generation;
      if (!outermost || e.code() != ErrorCode::unavailable || !lost ||
          store.commits_attempted() != commits || wait.count() <= 0)
        throw;
      const auto now = std::chrono::steady_clock::now();
      if (!give_up) give_up = now + wait;
      if (now >= *give_up) throw;
      metrics::counter("houqin_operation_retries_total",
                       "Registry operations run again after the database connection was lost",
                       {{"operation", op.name}})
          .add();
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(pause, *give_up - now));
      pause = std::min(pause * 2, std::chrono::milliseconds{250});
    }
  }
}

}  // namespace

bool define(Operation op) {
  if (!well_formed(op.name))
    fail(ErrorCode::invalid_argument,
         "service operation name '" + op.name + "' is not \"<domain>.<verb>\" in lower case");
  if (!op.handler)
    fail(ErrorCode::invalid_argument, "service operation '" + op.name + "' has no handler");
  if (!op.input.is_object() || !op.output.is_object())
    fail(ErrorCode::invalid_argument,
         "service operation '" + op.name + "' needs an input and an output schema");
  op.latency = &metrics::histogram("houqin_operation_seconds",
                                   "Time of a registry operation, from any binding",
                                   {{"operation", op.name}});
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto name = op.name;
  if (!r.by_name.emplace(name, std::move(op)).second)
    fail(ErrorCode::already_exists, "service operation '" + name + "' is already defined");
  return true;
}

const Operation& operation(std::string_view name) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  if (auto it = r.by_name.find(name); it != r.by_name.end()) return it->second;
  // Name the operations of the same domain, so a typo is easy to fix.
  auto domain = name.substr(0, name.find('.') == std::string_view::npos ? 0 : name.find('.') + 1);
  std::string known;
  for (const auto& [n, op] : r.by_name)
    if (!domain.empty() && n.starts_with(domain)) known += (known.empty() ? "" : ", ") + n;
  fail(ErrorCode::not_found, "no service operation '" + std::string(name) + "'" +
                                 (known.empty() ? std::string(" (no operation in that domain)")
                                                : " (known: " + known + ")"));
}

void set_denial_recorder(DenialRecorder recorder) noexcept {
  denial_recorder.store(recorder);
}

std::vector<const Operation*> operations() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<const Operation*> out;
  for (const auto& [name, op] : r.by_name) out.push_back(&op);
  return out;
}

json::Json describe(const Operation& op) {
  return {{"name", op.name},
          {"permission", op.permission},
          {"summary", op.summary},
          {"input", op.input},
          {"output", op.output}};
}

json::Json call(store::Store& store, const auth::Actor& actor, std::string_view name,
                const json::Json& input) {
  const auto& op = operation(name);
  metrics::Timer timer(*op.latency);
  try {
    // The declared permission gates the call before its input is read; the handler then checks
    // it again in the scope of what it touches (a department, a building).
    if (!op.permission.empty() && !actor.holds(op.permission)) {
      try {
        actor.require(op.permission);
      } catch (const Error& e) {
        if (auto record = denial_recorder.load()) record(store, actor, op.name, e.what());
        throw;
      }
    }
    Context ctx{store, actor};
    return run_retrying(store, op, [&] { return op.handler(ctx, input); });
  } catch (const Error& e) {
    metrics::counter("houqin_operation_errors_total", "Registry operations that failed, by code",
                     {{"operation", op.name}, {"code", std::string(to_string(e.code()))}})
        .add();
    throw;
  }
}

}  // namespace houqin::service
