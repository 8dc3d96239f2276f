// The crash campaign (issue 23; docs/reliability.md, "The crash campaign"). A child process works
// on one store -- telemetry ingest, work orders reported and moved on, an event consumer's
// reactions, backups, restores into a second store, key rotation -- and is killed with SIGKILL at
// a random moment, again and again (HOUQIN_CRASH_POINTS, 200 by default, within
// HOUQIN_CRASH_SECONDS). The child tells the parent, through a pipe, each thing it was told was
// done. After every kill the parent checks:
// - every acknowledged sample is there, once, in order;
// - every acknowledged work order and transition is there, and every transition has its event;
// - no reaction is lost or doubled (reactions and the consumer's checkpoint commit together);
// - the audit chain verifies, sealed values open, and (every tenth kill) the integrity checks pass;
// - every backup file verifies or is refused, and every acknowledged one verifies;
// - the restore target holds exactly one whole backup (or what it held before any restore).
// HOUQIN_CRASH_SEED repeats a campaign; the seed is printed.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "../support/backends.hpp"
#include "../unit/repair/fixture.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/host/consumer.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/repair/events.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/telemetry/storage.hpp"
#include "houqin/waste/tracker.hpp"

namespace houqin::crash {

/// A reaction: one row per handling of an event (no unique key, so a doubled reaction shows).
struct Reaction {
  Id id = 0;
  std::int64_t version = 0;
  Id event_id = 0;
};
BOOST_DESCRIBE_STRUCT(Reaction, (), (id, version, event_id))

}  // namespace houqin::crash

template <>
struct houqin::entity_traits<houqin::crash::Reaction> {
  static constexpr std::string_view table = "crash_reaction";
  static constexpr std::string_view collection = "crash_reactions";
};

namespace houqin {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using store::Repository;
using telemetry::Micros;

constexpr Micros t0 = 1'767'225'600'000'000, second = 1'000'000;
constexpr Id points_n = 8;
constexpr std::int64_t per_batch = 5;  // instants per telemetry batch

enum class Kind : std::int32_t { samples, report, transition, backup, restore, rotation, bag };
struct AckRecord {
  Kind kind = Kind::samples;
  std::int32_t pad = 0;
  std::int64_t a = 0, b = 0;
};

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

/// Two keys; which one seals alternates from child to child, so rotations have work to do.
std::shared_ptr<protect::Keyring> keyring(bool b_active) {
  auto ring = std::make_shared<protect::Keyring>();
  ring->add("ka", std::string(32, 'a'));
  ring->add("kb", std::string(32, 'b'));
  ring->set_active(b_active ? "kb" : "ka");
  return ring;
}

auth::Actor actor() {
  return auth::Actor::service(
      "crash", {"repair.report", "repair.dispatch", "repair.work", "protect.backup",
                "protect.restore", "protect.rotate_keys", "protect.integrity", "waste.collect",
                "waste.handover", "waste.read"});
}

std::vector<telemetry::PointStorage> points() {
  std::vector<telemetry::PointStorage> out;
  for (Id p = 1; p <= points_n; ++p) out.push_back({p, 0.01, "gas"});
  return out;
}

telemetry::Sample sample(Id p, std::int64_t k) {
  return {p, t0 + k * second, static_cast<double>(p * 1000 + k % 997) / 100,
          telemetry::quality_good, telemetry::Flag::pass};
}

/// Batch b: instants [b * per_batch, (b + 1) * per_batch) of every point.
std::vector<telemetry::Sample> batch(std::int64_t b) {
  std::vector<telemetry::Sample> out;
  for (std::int64_t k = b * per_batch; k < (b + 1) * per_batch; ++k)
    for (Id p = 1; p <= points_n; ++p) out.push_back(sample(p, k));
  return out;
}

telemetry::SampleStoreOptions sample_options(const fs::path& wal) {
  telemetry::SampleStoreOptions o;
  o.wal_dir = wal;
  o.max_block_bytes = 64;
  o.write_batch_bytes = 1 << 10;
  return o;
}

/// Every backup file in `dir` that verifies, by name, with its manifest; files that are refused
/// (a backup cut by the kill) are removed. Another refusal than a damaged file fails the test.
std::map<std::string, protect::Manifest> check_backups(const fs::path& dir) {
  std::map<std::string, protect::Manifest> ok;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".partial") {  // a backup cut before its rename: never one
      fs::remove(e.path());
      continue;
    }
    try {
      ok.emplace(e.path().filename().string(), protect::verify_backup(e.path()));
    } catch (const Error& err) {
      EXPECT_TRUE(err.code() == ErrorCode::data_loss || err.code() == ErrorCode::invalid_argument ||
                  err.code() == ErrorCode::failed_precondition)
          << e.path() << ": " << err.what();
      fs::remove(e.path());
    }
  }
  return ok;
}

/// The summary of every table a restore replaces (the catalogue but the store's own tables: the
/// event log, the migrations), the audit log's excepted (a restore appends itself to it).
std::map<std::string, protect::TableSummary> summaries(store::Store& s) {
  std::map<std::string, protect::TableSummary> out;
  for (const auto& e : store::catalog())
    if (e.domain != "store" && e.table->name != "audit_log" && e.table->name != "audit_head")
      out[e.table->name] = protect::summarize_table(s, *e.table);
  for (const auto& e : store::raw_catalog())
    out[e.table->name] = protect::summarize_raw_table(s, *e.table);
  return out;
}

bool holds(const std::map<std::string, protect::TableSummary>& got,
           const protect::Manifest& backup) {
  for (const auto& [name, summary] : got) {
    auto it = backup.tables.find(name);
    if (it == backup.tables.end() || !(it->second == summary)) return false;
  }
  return true;
}

class CrashCampaign : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite_memory")
      GTEST_SKIP() << "an in-memory database dies with its process";
    main_ = main_fx_.open(GetParam(), {.keys = keyring(true)});
    HQ_REQUIRE_STORE(main_);
    target_ = target_fx_.open(GetParam(), {.keys = keyring(true)});
    auto m = houqin::migrations();
    store::migrate(*main_, m);
    store::migrate(*target_, m);
    site_.build(*main_);
    store::create_table<crash::Reaction>(*main_);
    dir_ = fs::temp_directory_path() / ("houqin-crash-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "backups");
    pristine_ = summaries(*target_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  /// The child: works until killed (or for 3 s), acknowledging on `ack`.
  [[noreturn]] void work(int generation, std::uint64_t seed, int ack) {
    try {
      auto ring = keyring(generation % 2 == 1);
      auto st = store::Store::open(main_fx_.url(), {.keys = ring});
      std::mt19937_64 rng(seed);
      auto send = [&](Kind k, std::int64_t a, std::int64_t b) {
        AckRecord r{k, 0, a, b};
        if (::write(ack, &r, sizeof r) != sizeof r) ::_exit(4);
      };
      telemetry::SampleStore samples(*st, points(), sample_options(dir_ / "wal"));
      // Where the log and the blocks end (acknowledged or not: a batch may be in the log whose
      // acknowledgement the kill cut off).
      auto next =
          static_cast<std::int64_t>(samples.query(1, t0, t0 + 100'000'000 * second).size()) /
          per_batch;
      host::ConsumerOptions co;
      co.start_at = host::StartAt::beginning;
      host::Consumer reactions("crash.reaction", co);
      reactions.on_any([](std::string_view) { return true; },
                       [](host::Delivery& d) {
                         crash::Reaction r{0, 0, d.event.id};
                         Repository<crash::Reaction>(d.store).insert(r);
                       });
      repair::WorkOrders orders(*st);
      waste::Tracker tracker(*st);
      const auto collector = auth::Actor::service("collector", {"waste.handover"});
      std::optional<Id> manifest;  // this child's open one, opened when a bag goes out
      int manifests = 0;
      const auto who = actor();
      int backups = 0;
      const auto deadline = std::chrono::steady_clock::now() + 3s;
      while (std::chrono::steady_clock::now() < deadline) {
        switch (rng() % 14) {
          case 0:
          case 1:
          case 2:
            samples.append(batch(next));
            send(Kind::samples, next++, 0);
            break;
          case 3: {
            repair::ReportInput in;
            in.room_id = site_.room_a101;
            in.category = "electrical";
            in.description = "crash campaign";
            send(Kind::report, orders.report(who, in).id, 0);
            break;
          }
          case 4:
          case 5:
          case 6: {
            auto recent = Repository<repair::WorkOrder>(*st).find(
                store::Query<repair::WorkOrder>().order_by(&repair::WorkOrder::id, true).limit(4));
            if (recent.empty()) break;
            const auto& o = recent[rng() % recent.size()];
            using repair::Status;
            switch (o.status) {
              case Status::reported:
                orders.dispatch(who, {o.id, site_.elec1, ""});
                break;
              case Status::dispatched:
                orders.accept(who, {o.id, ""});
                break;
              case Status::accepted:
                orders.start(who, {o.id, ""});
                break;
              case Status::in_progress:
                orders.hold(who, {o.id, repair::HoldReason::vendor, "vendor visit"});
                break;
              case Status::on_hold:
                orders.resume(who, {o.id, ""});
                break;
              default:
                continue;
            }
            auto n = Repository<repair::TransitionRecord>(*st).count(
                store::Query<repair::TransitionRecord>().where(
                    &repair::TransitionRecord::work_order_id, store::Op::eq, o.id));
            send(Kind::transition, o.id, n);
            break;
          }
          case 7:
          case 8:
            reactions.poll(*st);
            break;
          case 9: {
            auto name =
                "g" + std::to_string(generation) + "-" + std::to_string(backups++) + ".hqbak";
            protect::backup(*st, who, dir_ / "backups" / name);
            send(Kind::backup, generation, backups - 1);
            break;
          }
          case 10: {
            std::optional<fs::path> latest;
            for (const auto& e : fs::directory_iterator(dir_ / "backups")) {
              if (e.path().extension() == ".partial") continue;
              try {
                protect::verify_backup(e.path());
                if (!latest || fs::last_write_time(e.path()) > fs::last_write_time(*latest))
                  latest = e.path();
              } catch (const Error&) {
              }
            }
            if (!latest) break;
            auto target = store::Store::open(target_fx_.url(), {.keys = ring});
            protect::restore(*target, who, *latest);
            send(Kind::restore, 0, 0);
            break;
          }
          case 11:
            protect::rotate_keys(*st, who);
            send(Kind::rotation, generation, 0);
            break;
          case 12:
          case 13: {
            // Waste handovers: a bag registered, or a recent one moved on by one step.
            auto recent = Repository<waste::Bag>(*st).find(
                store::Query<waste::Bag>().order_by(&waste::Bag::id, true).limit(4));
            Id bag = 0;
            if (recent.empty() || rng() % 3 == 0) {
              waste::RegisterInput in;
              in.department_id = site_.ward;
              in.category = waste::Category::infectious;
              in.weight_kg = 1.5;
              bag = tracker.register_bag(who, in).id;
            } else {
              const auto& b = recent[rng() % recent.size()];
              bag = b.id;
              waste::StepInput step;
              step.code = b.code;
              step.weight_kg = b.weight_kg;
              switch (b.stage) {
                case waste::Stage::generated:
                  if (!b.sealed_at)
                    tracker.seal(who, {b.code, true});
                  else
                    tracker.collect(who, collector, step);
                  break;
                case waste::Stage::collected:
                  tracker.intake(who, step);
                  break;
                case waste::Stage::stored: {
                  if (!manifest)
                    manifest = tracker
                                   .open_manifest(who, {"CR-" + std::to_string(generation) + "-" +
                                                            std::to_string(manifests++),
                                                        waste::Category::infectious, "绿洲医废处置",
                                                        "HW-1", "沪A-1"})
                                   .id;
                  waste::OutboundInput out;
                  out.code = b.code;
                  out.manifest_id = *manifest;
                  out.weight_kg = b.weight_kg;
                  tracker.outbound(who, out);
                  break;
                }
                case waste::Stage::outbound:
                  tracker.transfer(who, {*b.manifest_id, "张师傅"});
                  if (manifest == b.manifest_id)
                    manifest.reset();  // gone: the next bag needs a new one
                  break;
                default:
                  continue;
              }
            }
            auto steps = Repository<waste::Step>(*st).count(
                store::Query<waste::Step>().where(&waste::Step::bag_id, store::Op::eq, bag));
            send(Kind::bag, bag, steps);
            break;
          }
        }
      }
      ::_exit(0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      ::_exit(3);
    }
  }

  /// What the children were told, kept across kills.
  struct Acknowledged {
    std::int64_t batch = -1;                 // the last acknowledged telemetry batch
    std::map<Id, std::int64_t> transitions;  // per order: transitions it had when acknowledged
    std::map<Id, std::int64_t> bag_steps;    // per bag: steps it had when acknowledged
    std::set<std::string> backups;
    int restores = 0;
  };

  void verify(const Acknowledged& acked, bool deep, int point) {
    SCOPED_TRACE("after kill point " + std::to_string(point));
    auto& s = *main_;
    // Samples: every acknowledged one, once, in order (the store replays the child's log).
    {
      telemetry::SampleStore samples(s, points(), sample_options(dir_ / "wal"));
      for (Id p = 1; p <= points_n; ++p) {
        auto got = samples.query(p, t0, t0 + 100'000'000 * second);
        ASSERT_GE(static_cast<std::int64_t>(got.size()), (acked.batch + 1) * per_batch)
            << "point " << p;
        for (std::size_t k = 0; k < got.size(); ++k) {
          auto want = sample(p, static_cast<std::int64_t>(k));
          ASSERT_EQ(got.times[k], want.time) << "point " << p << " sample " << k;
          ASSERT_EQ(got.values[k], want.value) << "point " << p << " sample " << k;
        }
      }
    }
    // Work orders and their transitions; every transition has its event.
    std::map<Id, std::int64_t> transitions, events;
    for (const auto& t : Repository<repair::TransitionRecord>(s).find())
      ++transitions[t.work_order_id];
    auto all_events = Repository<store::StoredEvent>(s).find();
    for (const auto& e : all_events)
      if (e.type == json::schema_name<repair::WorkOrderEvent>()) ++events[e.aggregate_id];
    for (const auto& [id, n] : acked.transitions) {
      ASSERT_GE(transitions[id], n) << "work order " << id;
    }
    for (const auto& [id, n] : transitions)
      EXPECT_EQ(events[id], n) << "work order " << id << ": events against transitions";
    // Waste: every acknowledged step is there, and every step has its BagStep event.
    std::map<Id, std::int64_t> steps, bag_events;
    for (const auto& st : Repository<waste::Step>(s).find()) ++steps[st.bag_id];
    for (const auto& e : all_events)
      if (e.type == json::schema_name<waste::BagStep>()) ++bag_events[e.aggregate_id];
    for (const auto& [id, n] : acked.bag_steps) {
      ASSERT_GE(steps[id], n) << "bag " << id;
    }
    for (const auto& [id, n] : steps)
      EXPECT_EQ(bag_events[id], n) << "bag " << id << ": BagStep events against steps";
    // Reactions: none doubled, none lost up to the checkpoint, none beyond it.
    std::int64_t position = 0;
    for (const auto& c : host::consumer_states(s))
      if (c.name == "crash.reaction") position = c.position;
    std::map<Id, int> reacted;
    for (const auto& r : Repository<crash::Reaction>(s).find()) ++reacted[r.event_id];
    for (const auto& [event, n] : reacted) {
      EXPECT_EQ(n, 1) << "event " << event << " reacted to " << n << " times";
      EXPECT_LE(event, position) << "a reaction beyond the checkpoint";
    }
    for (const auto& e : all_events)
      if (e.id <= position) {
        EXPECT_EQ(reacted.count(e.id), 1u) << "event " << e.id << " lost";
      }
    // The audit chain, sealed values, and the integrity checks.
    auto chain = audit::verify_chain(s);
    EXPECT_TRUE(chain.ok) << chain.problem;
    auto nurse = Repository<site::Staff>(s).require(site_.nurse);
    EXPECT_EQ(nurse.phone, "13812345678");
    if (deep) {
      auto findings = protect::check_integrity(s, actor());
      EXPECT_TRUE(findings.empty()) << findings.front().check << ": " << findings.front().message;
      auto target_chain = audit::verify_chain(*target_);
      EXPECT_TRUE(target_chain.ok) << target_chain.problem;
    }
    // Backups: whole or refused; the acknowledged ones whole.
    auto whole = check_backups(dir_ / "backups");
    for (const auto& name : acked.backups)
      EXPECT_TRUE(whole.count(name)) << name << " was acknowledged but does not verify";
    whole.merge(manifests_);  // backups the campaign has removed since the target may hold
    manifests_ = whole;
    // The restore target: what it was, or one whole backup.
    auto now = summaries(*target_);
    bool one = now == pristine_;
    for (const auto& [name, manifest] : whole) one = one || holds(now, manifest);
    if (!one) {
      std::string why;
      for (const auto& [name, manifest] : whole)
        for (const auto& [table, summary] : now) {
          auto it = manifest.tables.find(table);
          if (it == manifest.tables.end() || !(it->second == summary))
            why += " " + name + ":" + table + "(" + std::to_string(summary.rows) + " rows)";
        }
      for (const auto& [table, summary] : now)
        if (!(pristine_.at(table) == summary)) why += " pristine:" + table;
      ADD_FAILURE() << "the restore target is neither as it was nor any whole backup;" << why;
    }
  }

  testing::BackendFixture main_fx_, target_fx_;
  std::unique_ptr<store::Store> main_, target_;
  testing::RepairSite site_;
  fs::path dir_;
  std::map<std::string, protect::TableSummary> pristine_;
  std::map<std::string, protect::Manifest> manifests_;  // every whole backup seen, by name
};

TEST_P(CrashCampaign, KillNineAnywhereLosesNothingAcknowledgedAndLeavesEverythingWhole) {
  const int want = env_int("HOUQIN_CRASH_POINTS", 200);
  const auto bound = std::chrono::seconds(env_int("HOUQIN_CRASH_SECONDS", 120));
  const auto seed = static_cast<std::uint64_t>(
      env_int("HOUQIN_CRASH_SEED", static_cast<int>(std::random_device{}() & 0x7fffffff)));
  std::printf("crash campaign on %s: seed %llu (HOUQIN_CRASH_SEED repeats it)\n",
              GetParam().c_str(), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  Acknowledged acked;
  std::map<Kind, int> counts;
  const auto start = std::chrono::steady_clock::now();
  int killed = 0;
  for (int point = 0; point < want && std::chrono::steady_clock::now() - start < bound; ++point) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const std::uint64_t child_seed = rng();
    std::fflush(nullptr);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      work(point, child_seed, fds[1]);
    }
    ::close(fds[1]);
    // Killed somewhere in its first 60 ms (opening the stores, replaying the log, or working: its
    // start takes 5-15 ms, a work step 1-10 ms), or one time in five within 400 ms, so that the
    // longer steps (a backup or a restore on PostgreSQL takes ~100 ms) are done, too.
    const auto window = rng() % 5 == 0 ? 400'000 : 60'000;
    const auto kill_at =
        std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % window);
    auto take = [&](const AckRecord& r) {
      ++counts[r.kind];
      switch (r.kind) {
        case Kind::samples:
          acked.batch = std::max(acked.batch, r.a);
          break;
        case Kind::report:
          acked.transitions.emplace(r.a, 0);
          break;
        case Kind::transition:
          acked.transitions[r.a] = std::max(acked.transitions[r.a], r.b);
          break;
        case Kind::backup:
          acked.backups.insert("g" + std::to_string(r.a) + "-" + std::to_string(r.b) + ".hqbak");
          break;
        case Kind::restore:
          ++acked.restores;
          break;
        case Kind::rotation:
          break;
        case Kind::bag:
          acked.bag_steps[r.a] = std::max(acked.bag_steps[r.a], r.b);
          break;
      }
    };
    AckRecord r;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          kill_at - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      if (::read(fds[0], &r, sizeof r) != sizeof r) break;  // the child ended by itself
      take(r);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    while (::read(fds[0], &r, sizeof r) == sizeof r) take(r);  // said before it died
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << "the child failed (status " << status << ") at kill point " << point;
    killed += WIFSIGNALED(status);
    verify(acked, point % 10 == 9, point);
    if (HasFailure()) return;
    // Keep the newest few backups: the directory would otherwise grow with the campaign.
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_ / "backups")) files.push_back(e.path());
    std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
      return fs::last_write_time(a) > fs::last_write_time(b);
    });
    for (std::size_t i = 3; i < files.size(); ++i) {
      acked.backups.erase(files[i].filename().string());
      fs::remove(files[i]);
    }
  }
  verify(acked, true, killed);
  std::printf(
      "%d kill points in %.1f s; acknowledged: %d batches, %d reports, %d transitions, %d "
      "waste steps, %d backups, %d restores, %d rotations\n",
      killed, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
      counts[Kind::samples], counts[Kind::report], counts[Kind::transition], counts[Kind::bag],
      counts[Kind::backup], counts[Kind::restore], counts[Kind::rotation]);
  EXPECT_GE(killed, want * 9 / 10) << "too few children were killed while working";
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashCampaign, ::testing::ValuesIn(testing::backends()),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace houqin
