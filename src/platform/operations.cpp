// The platform's own operations: the technical recovery drill, which needs every domain's
// migrations (for the scratch store) and so sits above them all.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "houqin/audit/call.hpp"
#include "houqin/emergency/emergency.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/migration.hpp"

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

}  // namespace houqin
