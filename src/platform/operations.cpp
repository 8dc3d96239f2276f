// The platform's own operations: the technical recovery drill, which needs every domain's
// migrations (for the scratch store) and so sits above them all, and the failover drill.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include "houqin/audit/call.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

/// A scratch directory of its own, removed at the end whatever happens.
struct Scratch {
  std::filesystem::path dir;
  explicit Scratch(const std::string& base) {
    static std::atomic<unsigned> n{0};
    const auto root =
        base.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(base);
    dir = root / ("houqin-drill-" +
                  std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) +
                  "-" + std::to_string(n++));
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

[[maybe_unused]] const bool operations_registered[] = {
    service::define<RecoveryDrillInput>(
        "emergency.recovery_drill", "emergency.manage",
        "A technical drill of a recovery plan: back the store up, restore it into a scratch "
        "store, check its integrity there, and record the measured recovery time and outcome "
        "as a drill (also needs protect.backup, protect.restore, protect.integrity)",
        [](service::Context& c, const RecoveryDrillInput& in) {
          return recovery_drill(c.store, c.actor, in);
        }),
    service::define<FailoverDrillInput>(
        "emergency.failover_drill", "emergency.manage",
        "A technical drill of a database failover on PostgreSQL: write through the failover "
        "that the operator starts (e.g. patronictl switchover) within watch_seconds, measure "
        "the downtime, check that nothing acknowledged was lost, and record the drill",
        [](service::Context& c, const FailoverDrillInput& in) {
          return failover_drill(c.store, c.actor, in);
        }),
};

}  // namespace

emergency::Drill recovery_drill(store::Store& store, const auth::Actor& actor,
                                const RecoveryDrillInput& in) {
  for (const char* p :
       {"emergency.manage", "protect.backup", "protect.restore", "protect.integrity"})
    actor.require(p);
  emergency::Emergency em(store);
  const auto plan = em.plan(in.plan_code);  // Error(not_found) before any work
  Scratch scratch(in.scratch_dir);
  const auto file = scratch.dir / "backup.sqlite";
  std::vector<emergency::TimelineEntry> timeline;
  auto now = [&] { return store.clock().now(); };
  timeline.push_back({now(), "演练开始: 备份", actor.label()});
  const auto t0 = std::chrono::steady_clock::now();
  const auto manifest = protect::backup(store, actor, file);
  const double backup_s = seconds_since(t0);
  std::int64_t rows = 0;
  for (const auto& [_, t] : manifest.tables) rows += t.rows;
  timeline.push_back({now(),
                      "备份完成: " + std::to_string(manifest.tables.size()) + " tables, " +
                          std::to_string(rows) + " rows in " + secs(backup_s),
                      actor.label()});
  // The scratch store: the same keys (the backup keeps personal data sealed), the platform's
  // schema, then the restore, which checks every table's count and checksum first.
  store::StoreOptions options;
  options.clock = &store.clock();
  if (store.keyring())
    options.keys = std::shared_ptr<const store::Sealer>(store.keyring(), [](const auto*) {});
  std::string outcome;
  std::vector<protect::Finding> findings;
  {
    auto target =
        store::Store::open("sqlite:" + (scratch.dir / "scratch.sqlite").string(), options);
    auto m = migrations();
    store::migrate(*target, m);
    protect::restore(*target, actor, file);
    timeline.push_back(
        {now(), "恢复完成 (scratch store) in " + secs(seconds_since(t0)), actor.label()});
    findings = protect::check_integrity(*target, actor);
  }
  const double recovery_s = seconds_since(t0);
  outcome = findings.empty()
                ? "restored and verified: " + std::to_string(manifest.tables.size()) + " tables, " +
                      std::to_string(rows) + " rows, integrity checks clean"
                : "restored with " + std::to_string(findings.size()) +
                      " integrity findings, the first: " + findings.front().message;
  timeline.push_back({now(), "完整性检查: " + outcome, actor.label()});
  auto drill = em.schedule_drill(actor, {plan.code, emergency::DrillKind::technical, now()});
  emergency::RecordInput rec;
  rec.drill_id = drill.id;
  rec.participants = {actor.label()};
  rec.timeline = std::move(timeline);
  for (const auto& f : findings) rec.findings.push_back(f.check + " " + f.table + ": " + f.message);
  rec.recovery_seconds = recovery_s;
  rec.outcome = outcome;
  rec.evaluation = findings.empty() ? "passed" : "failed";
  return em.record_drill(actor, rec);
}

emergency::Drill failover_drill(store::Store& store, const auth::Actor& actor,
                                const FailoverDrillInput& in,
                                const std::function<void()>& trigger) {
  actor.require("emergency.manage");
  if (in.watch_seconds < 10 || in.watch_seconds > 600)
    fail(ErrorCode::invalid_argument,
         "watch_seconds: " + std::to_string(in.watch_seconds) + " is outside 10..600");
  if (in.target_seconds < 1 || in.target_seconds > 3600)
    fail(ErrorCode::invalid_argument,
         "target_seconds: " + std::to_string(in.target_seconds) + " is outside 1..3600");
  if (in.probe_interval_ms < 20 || in.probe_interval_ms > 1000)
    fail(ErrorCode::invalid_argument,
         "probe_interval_ms: " + std::to_string(in.probe_interval_ms) + " is outside 20..1000");
  if (store.dialect() != store::Dialect::postgresql)
    fail(ErrorCode::failed_precondition,
         "a failover drill needs PostgreSQL with a standby; SQLite has nothing to fail over to");
  emergency::Emergency em(store);
  const auto plan = em.plan(in.plan_code);  // Error(not_found) before any work
  auto drill =
      em.schedule_drill(actor, {plan.code, emergency::DrillKind::technical, store.clock().now()});
  store::Repository<emergency::Drill> rows(store);
  std::vector<emergency::TimelineEntry> timeline;
  std::vector<std::string> findings;
  auto note = [&](std::string what) {
    timeline.push_back({store.clock().now(), std::move(what), actor.label()});
  };
  using steady = std::chrono::steady_clock;
  const auto t0 = steady::now();
  const Timestamp wall0 = store.clock().now();
  // A timeline entry at the moment `t` (measured on the steady clock) on the store's clock.
  auto entry = [&](steady::time_point t, std::string what) {
    timeline.push_back({wall0 + std::chrono::duration_cast<Timestamp::duration>(t - t0),
                        std::move(what), actor.label()});
  };
  const auto deadline = t0 + std::chrono::seconds(in.watch_seconds);
  const auto interval = std::chrono::milliseconds(in.probe_interval_ms);
  note("演练开始: 每 " + std::to_string(in.probe_interval_ms) + " ms 写入一次 (probe writes)");

  // A probe writes the drill's row (its version goes up by one); after a failed one the row is
  // read back first, since a COMMIT cut off may have gone through. A stored version below the
  // last acknowledged one means acknowledged writes were lost.
  std::int64_t acked = drill.version;
  bool doubtful = false;
  std::int64_t lost = 0, probes = 0, failures = 0;
  std::optional<steady::time_point> down, up, triggered;
  std::string first_error;
  std::jthread trigger_thread;  // joined on every way out, an error's included
  std::string trigger_error;
  const auto generation = store.connection_generation();
  while (steady::now() < deadline && !(up && steady::now() > *up + 4 * interval)) {
    try {
      store::in_transaction(store, [&] {
        auto row = rows.get(drill.id);
        if (!row) fail(ErrorCode::data_loss, "the drill's own row is missing");
        if (row->version < acked || row->version > acked + (doubtful ? 1 : 0)) {
          lost = std::max<std::int64_t>(lost, acked - row->version);
          acked = row->version;  // go on from what is there; the loss is recorded
        }
        rows.update(*row);
        drill = *row;
      });
      acked = drill.version;
      doubtful = false;
      ++probes;
      if (down && !up) up = steady::now();
    } catch (const Error& e) {
      if (e.code() != ErrorCode::unavailable) throw;
      ++failures;
      doubtful = true;
      if (!down) {
        down = steady::now();
        first_error = e.what();
      }
    }
    if (trigger && !trigger_thread.joinable() && probes > 0) {
      triggered = steady::now();
      trigger_thread = std::jthread([&] {
        try {
          trigger();
        } catch (const std::exception& e) {
          trigger_error = e.what();
        }
      });
    }
    std::this_thread::sleep_for(interval);
  }
  if (trigger_thread.joinable()) trigger_thread.join();
  auto at = [&](steady::time_point t) {
    return secs(std::chrono::duration<double>(t - t0).count());
  };
  if (triggered) entry(*triggered, "触发故障切换 (trigger) at " + at(*triggered));
  if (!trigger_error.empty()) findings.push_back("the trigger failed: " + trigger_error);
  if (down) entry(*down, "首次写入失败 at " + at(*down) + ": " + first_error);
  std::optional<double> downtime;
  if (down && up) {
    downtime = std::chrono::duration<double>(*up - *down).count();
    entry(*up, "新主库首次写入成功 at " + at(*up) + ", 中断 " + secs(*downtime) + ", " +
                   std::to_string(store.connection_generation() - generation) + " reconnection(s)");
  }
  std::string outcome;
  if (!down) {
    outcome = "no failover seen within " + std::to_string(in.watch_seconds) + " s: every one of " +
              std::to_string(probes) + " writes succeeded";
    findings.push_back("no failover happened during the drill");
  } else if (!up) {
    outcome = "no write succeeded within " + std::to_string(in.watch_seconds) +
              " s after the database was lost";
    findings.push_back(outcome);
  } else {
    outcome = "failed over: writes were refused for " + secs(*downtime) + " (" +
              std::to_string(failures) + " failed of " + std::to_string(probes + failures) +
              " probes); " +
              (lost == 0 ? std::string("no acknowledged write lost")
                         : std::to_string(lost) + " acknowledged writes lost");
    if (*downtime > in.target_seconds)
      findings.push_back("downtime " + secs(*downtime) + " is over the plan's " +
                         std::to_string(in.target_seconds) + " s");
  }
  if (lost > 0)
    findings.push_back(std::to_string(lost) + " acknowledged writes missing on the new primary");
  note("演练结束: " + outcome);
  emergency::RecordInput rec;
  rec.drill_id = drill.id;
  rec.participants = {actor.label()};
  rec.timeline = std::move(timeline);
  rec.findings = findings;
  rec.recovery_seconds = downtime;
  rec.outcome = outcome;
  rec.evaluation = findings.empty() ? "passed" : "failed";
  return em.record_drill(actor, rec);
}

}  // namespace houqin
