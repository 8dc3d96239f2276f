// Backup and restore on every backend: round trips, SQLite -> PostgreSQL -> SQLite with equal
// data, a consistent backup while another connection keeps writing, and corrupt, truncated or
// foreign files refused with the target left exactly as it was.
#include "houqin/protect/backup.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using store::Repository;
using testing::expect_error;

std::map<std::string, protect::TableSummary> summaries(store::Store& s) {
  std::map<std::string, protect::TableSummary> out;
  for (const auto& e : store::catalog())
    if (e.domain != "store" && s.table_exists(e.table->name))
      out[e.table->name] = protect::summarize_table(s, *e.table);
  return out;
}

/// Business tables only: the audit log grows with every backup and restore.
std::map<std::string, protect::TableSummary> business(
    std::map<std::string, protect::TableSummary> all) {
  all.erase("audit_log");
  all.erase("audit_head");
  all.erase("auth_session");  // logging in to restore opens sessions
  all.erase("auth_user");     // ... and records last logins
  return all;
}

class BackupTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name)
      if (c == '/') c = '_';
    dir_ = std::filesystem::temp_directory_path() /
           ("houqin-backup-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<store::Store> open_with_hospital(testing::PlatformFixture& pf,
                                                   const std::string& backend) {
    auto s = pf.open(backend);
    if (!s) return s;
    std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
    site::import_hospital(*s, json::Json::parse(in));
    return s;
  }
  std::filesystem::path file(const std::string& name) { return dir_ / name; }
  std::filesystem::path dir_;
  testing::PlatformFixture pf;
};

TEST_P(BackupTest, RoundTripRestoresEveryTableAsItWas) {
  auto s = open_with_hospital(pf, GetParam());
  HQ_REQUIRE_STORE(s);
  auto admin = pf.actor("sysadmin");
  std::vector<std::string> seen;
  auto m =
      protect::backup(*s, admin, file("a.hqb"),
                      [&](std::string_view t, std::size_t, std::size_t) { seen.emplace_back(t); });
  EXPECT_FALSE(seen.empty()) << "progress is reported";
  EXPECT_EQ(m.tables.at("site_room").rows, 292);
  EXPECT_EQ(m.tables.at("site_staff").rows, 83);
  auto before = business(summaries(*s));
  for (const auto& [name, sum] : before)
    EXPECT_EQ(m.tables.at(name).checksum, sum.checksum) << name;

  // Change things, then restore.
  site::Campus extra{0, 0, "EXTRA", "Extra", ""};
  Repository<site::Campus>(*s).insert(extra);
  s->execute("DELETE FROM site_shift_assignment");
  auto dep = Repository<site::Department>(*s).find().front();
  dep.name = "Renamed";
  Repository<site::Department>(*s).update(dep);
  ASSERT_NE(business(summaries(*s)), before);
  protect::restore(*s, admin, file("a.hqb"));
  EXPECT_EQ(business(summaries(*s)), before);
  auto v = audit::verify_chain(*s);
  EXPECT_TRUE(v.ok) << v.problem;
  audit::Filter f;
  f.action = "protect.restore";
  EXPECT_EQ(audit::query(*s, pf.actor("auditor"), f).size(), 1u) << "the restore is on the chain";
  // New rows get fresh ids after a restore (PostgreSQL's sequences were moved on).
  site::Campus next{0, 0, "NEXT", "Next", ""};
  EXPECT_NO_THROW(Repository<site::Campus>(*s).insert(next));
  // Sealed personal data came back sealed and still opens.
  auto staff = Repository<site::Staff>(*s).find();
  EXPECT_TRUE(
      std::any_of(staff.begin(), staff.end(), [](const auto& st) { return st.phone.has_value(); }));
}

TEST_P(BackupTest, TheManifestIsStoredAndEncodedFromItsDescription) {
  auto s = open_with_hospital(pf, GetParam());
  HQ_REQUIRE_STORE(s);
  auto admin = pf.actor("sysadmin");
  auto m = protect::backup(*s, admin, file("m.hqb"));
  // Read back from the file member by member: what backup() returned.
  auto again = protect::verify_backup(file("m.hqb"));
  EXPECT_EQ(json::to_json(again), json::to_json(m));
  EXPECT_EQ(again.created_at, m.created_at);
  EXPECT_EQ(again.dialect, s->dialect() == store::Dialect::sqlite ? "sqlite" : "postgresql");
  auto j = json::to_json(m);
  EXPECT_EQ(j["format_version"], 1);
  EXPECT_EQ(j["created_at"], format_timestamp(m.created_at));
  EXPECT_EQ(j["tables"]["site_room"]["rows"], 292);
  EXPECT_EQ(j["tables"]["site_room"]["checksum"].get<std::string>().size(), 64u);
  EXPECT_EQ(json::from_json<protect::Manifest>(j).tables, m.tables);
  EXPECT_EQ(json::conforms(json::schema<protect::Manifest>(json::Direction::output), j), "");

  // A key a newer writer added is left alone; a value that does not decode is named.
  std::filesystem::copy_file(file("m.hqb"), file("newer.hqb"));
  std::filesystem::copy_file(file("m.hqb"), file("bad.hqb"));
  std::filesystem::copy_file(file("m.hqb"), file("v2.hqb"));
  {
    // The rows carry the members' names and the text forms of format 1.
    auto v2 = store::Store::open("sqlite:" + file("v2.hqb").string());
    v2->execute("UPDATE houqin_backup_meta SET value = '2' WHERE key = 'format_version'");
    v2->execute("PRAGMA journal_mode = DELETE");
    auto raw = store::Store::open("sqlite:" + file("newer.hqb").string());
    raw->execute(
        "INSERT INTO houqin_backup_meta (version, key, value) VALUES (1, 'compression', 'none')");
    raw->execute("PRAGMA journal_mode = DELETE");
    auto bad = store::Store::open("sqlite:" + file("bad.hqb").string());
    bad->execute("UPDATE houqin_backup_meta SET value = 'soon' WHERE key = 'created_at'");
    bad->execute("PRAGMA journal_mode = DELETE");
  }
  EXPECT_EQ(json::to_json(protect::verify_backup(file("newer.hqb"))), j);
  expect_error([&] { protect::verify_backup(file("bad.hqb")); }, ErrorCode::data_loss,
               "backup " + file("bad.hqb").string() + ": unreadable (created_at: 'soon' is not");
  expect_error(
      [&] { protect::verify_backup(file("v2.hqb")); }, ErrorCode::failed_precondition,
      "backup " + file("v2.hqb").string() + ": format 2 is newer than this houqin reads (1)");
}

TEST_P(BackupTest, CorruptTruncatedOrForeignFilesAreRefusedAndNothingChanges) {
  auto s = open_with_hospital(pf, GetParam());
  HQ_REQUIRE_STORE(s);
  auto admin = pf.actor("sysadmin");
  protect::backup(*s, admin, file("good.hqb"));
  expect_error([&] { protect::backup(*s, admin, file("good.hqb")); }, ErrorCode::already_exists,
               "backup " + file("good.hqb").string() + ": the file exists");
  auto size = std::filesystem::file_size(file("good.hqb"));
  std::string bytes(size, '\0');
  std::ifstream(file("good.hqb"), std::ios::binary)
      .read(bytes.data(), static_cast<std::streamsize>(size));

  // Half a file, as an interrupted copy leaves it.
  std::ofstream(file("truncated.hqb"), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(size / 2));
  // One bit flipped inside stored data (a knowledge article's text), as a bad disk leaves it.
  std::string flipped = bytes;
  auto at = flipped.find("1.0MPa");
  ASSERT_NE(at, std::string::npos);
  flipped[at + 2] = static_cast<char>(flipped[at + 2] ^ 0x01);
  std::ofstream(file("flipped.hqb"), std::ios::binary)
      .write(flipped.data(), static_cast<std::streamsize>(size));
  std::ofstream(file("foreign.hqb")) << "this is not a backup\n";

  site::Campus marker{0, 0, "MARK", "Marker", ""};
  Repository<site::Campus>(*s).insert(marker);
  auto before = summaries(*s);
  for (const char* name : {"truncated.hqb", "flipped.hqb", "foreign.hqb"}) {
    expect_error([&] { protect::restore(*s, admin, file(name)); }, ErrorCode::data_loss,
                 "backup " + file(name).string() + ": ");
    expect_error([&] { protect::verify_backup(file(name)); }, ErrorCode::data_loss,
                 "backup " + file(name).string() + ": ");
    auto after = summaries(*s);
    after.erase("audit_log");  // the failed attempt is on the log
    after.erase("audit_head");
    auto expected = before;
    expected.erase("audit_log");
    expected.erase("audit_head");
    EXPECT_EQ(after, expected) << name << ": the store changed";
  }
  expect_error([&] { protect::restore(*s, admin, file("missing.hqb")); }, ErrorCode::not_found,
               "backup " + file("missing.hqb").string() + ": no such file");
  // A backup whose rows were edited after it was made: the manifest catches it.
  std::filesystem::copy_file(file("good.hqb"), file("edited.hqb"));
  {
    auto raw = store::Store::open("sqlite:" + file("edited.hqb").string());
    raw->execute("UPDATE site_room SET beds = beds + 1 WHERE id = 3");
    raw->execute("PRAGMA journal_mode = DELETE");
  }
  expect_error(
      [&] { protect::verify_backup(file("edited.hqb")); }, ErrorCode::data_loss,
      "backup " + file("edited.hqb").string() + ": table site_room does not match its checksum");
  // Without protect.restore: denied, audited, unchanged.
  auto op = pf.user_with("operator", "dispatcher", {"repair.dispatch"});
  expect_error([&] { protect::restore(*s, op, file("good.hqb")); }, ErrorCode::permission_denied,
               "user:operator lacks protect.restore");
  EXPECT_TRUE(protect::verify_backup(file("good.hqb")).tables.count("site_room"));
  // A target with a schema the backup does not have.
  s->execute(
      "INSERT INTO houqin_migrations (version, domain, number, description, applied_at) "
      "VALUES (1, 'site', 99, 'future', 0)");
  expect_error([&] { protect::restore(*s, admin, file("good.hqb")); },
               ErrorCode::failed_precondition,
               "restore: the target has site migration 99, the backup does not");
}

TEST_P(BackupTest, ConsistentWhileAnotherConnectionKeepsWriting) {
  auto s = open_with_hospital(pf, GetParam());
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  auto admin = pf.actor("sysadmin");
  auto writer_actor = auth::Actor::service("writer", {"site.edit"});
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    store::StoreOptions o;
    o.keys = testing::test_keyring();
    auto w = store::Store::open(pf.fx.url(), o);
    for (int i = 0; i < 5000 && !stop; ++i) {  // bounded: stops by itself
      audit::audited(*w, writer_actor, "site.edit", [&](audit::Call& call) {
        site::Campus c{0, 0, "W" + std::to_string(i), "Written", ""};
        Repository<site::Campus>(*w).insert(c);
        call.record("site_campus", c.id, std::nullopt, json::to_json(c));
      });
      ++written;
    }
  });
  while (written < 20) std::this_thread::yield();
  auto m = protect::backup(*s, admin, file("live.hqb"));
  int at_backup = written;
  stop = true;
  writer.join();
  EXPECT_GT(written, 20);
  auto checked = protect::verify_backup(file("live.hqb"));  // chain and counts agree
  // Every campus in the backup has its audit record in the backup: one snapshot.
  auto campuses = m.tables.at("site_campus").rows - 2;  // the sample's two campuses
  EXPECT_GE(campuses, 20);
  EXPECT_LE(campuses, at_backup + 1);
  auto restored_into = pf.fx.url();
  protect::restore(*s, admin, file("live.hqb"));
  audit::Filter f;
  f.actor = "service:writer";
  f.limit = 100000;
  EXPECT_EQ(static_cast<std::int64_t>(audit::query(*s, pf.actor("auditor"), f).size()), campuses);
  EXPECT_EQ(Repository<site::Campus>(*s).count(), campuses + 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, BackupTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

// A process killed while it verified or restored a backup leaves its scratch copy in the
// temporary folder (the crash campaign left 500 of them, 2.4 MB each, in one run); the next
// verification removes those of processes that are gone and leaves the others alone.
TEST(BackupScratch, CopiesLeftByDeadProcessesAreRemovedByTheNextOne) {
  testing::PlatformFixture pf;
  auto s = pf.open("sqlite_memory");
  auto admin = pf.actor("sysadmin");
  const auto tmp = std::filesystem::temp_directory_path();
  const auto dir = tmp / ("houqin-scratch-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  protect::backup(*s, admin, dir / "b.hqb");

  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  auto scratch = [&](const std::string& owner, const std::string& suffix) {
    auto path = tmp / ("houqin-restore-" + owner + "-0123456789abcdef.sqlite" + suffix);
    std::ofstream(path) << "left behind";
    return path;
  };
  const auto gone = scratch(std::to_string(dead), "");
  const auto gone_wal = scratch(std::to_string(dead), "-wal");
  const auto alive = scratch(std::to_string(::getppid()), "");  // ctest, or the shell: running
  const auto unnamed = tmp / "houqin-restore-0123456789abcdef.sqlite";
  std::ofstream(unnamed) << "not named by a process";
  const auto absurd = scratch("99999999999999999999999999", "");  // no pid: skipped, no error

  protect::verify_backup(dir / "b.hqb");
  EXPECT_FALSE(std::filesystem::exists(gone));
  EXPECT_FALSE(std::filesystem::exists(gone_wal));
  EXPECT_TRUE(std::filesystem::exists(alive));
  EXPECT_TRUE(std::filesystem::exists(unnamed));
  EXPECT_TRUE(std::filesystem::exists(absurd));
  // Its own copy is gone, too (removed when the verification ended).
  for (const auto& e : std::filesystem::directory_iterator(tmp))
    EXPECT_NE(
        e.path().filename().string().rfind("houqin-restore-" + std::to_string(::getpid()) + "-", 0),
        0u)
        << e.path();
  for (const auto& p : {alive, unnamed, absurd}) std::filesystem::remove(p);
  std::filesystem::remove_all(dir);
}

// SQLite -> PostgreSQL -> SQLite: the same data at every step.
TEST(BackupAcrossBackends, SqliteToPostgresqlAndBackGivesEqualData) {
  testing::PlatformFixture a, b, c;
  auto sa = a.open("sqlite_file");
  std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
  site::import_hospital(*sa, json::Json::parse(in));
  auto sb = b.open("postgresql");
  HQ_REQUIRE_STORE(sb);
  auto sc = c.open("sqlite_memory");
  auto dir = std::filesystem::temp_directory_path() / ("houqin-xb-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);

  auto m1 = protect::backup(*sa, a.actor("sysadmin"), dir / "1.hqb");
  auto admin_b = b.actor("sysadmin");
  protect::restore(*sb, admin_b, dir / "1.hqb");
  auto m2 = protect::backup(*sb, admin_b, dir / "2.hqb");
  EXPECT_EQ(m2.dialect, "postgresql");
  auto admin_c = c.actor("sysadmin");
  protect::restore(*sc, admin_c, dir / "2.hqb");
  auto m3 = protect::backup(*sc, admin_c, dir / "3.hqb");
  for (const auto& [name, t] : m1.tables) {
    if (name.rfind("audit_", 0) == 0) continue;
    EXPECT_EQ(m2.tables.at(name).checksum, t.checksum) << name << " SQLite -> PostgreSQL";
    EXPECT_EQ(m3.tables.at(name).checksum, t.checksum) << name << " PostgreSQL -> SQLite";
  }
  // The audit log carried over: the first records are the same ones, plus the restores.
  EXPECT_GT(m3.tables.at("audit_log").rows, m1.tables.at("audit_log").rows);
  EXPECT_TRUE(audit::verify_chain(*sc).ok);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace houqin
