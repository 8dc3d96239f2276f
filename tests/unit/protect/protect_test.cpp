// Key rotation, masked exports, retention and the integrity checker, on every backend.
#include "houqin/protect/protect.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/audit.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::testing_visits {
/// A test entity with personal data and a time: what a patient-facing record looks like.
struct Visit {
  Id id = 0;
  std::int64_t version = 0;
  std::string patient_name;
  std::optional<std::string> bed;
  Timestamp at;
};
BOOST_DESCRIBE_STRUCT(Visit, (), (id, version, patient_name, bed, at))
}  // namespace houqin::testing_visits

template <>
struct houqin::entity_traits<houqin::testing_visits::Visit> {
  static constexpr std::string_view table = "test_visit";
  static constexpr std::string_view collection = "visits";
  static constexpr std::array personal{Personal{"patient_name", Mask::name},
                                       Personal{"bed", Mask::text}};
};

namespace houqin {
namespace {

using store::Repository;
using testing::expect_error;
using testing_visits::Visit;

[[maybe_unused]] const bool visit_registered = store::register_tables<Visit>("test");

class ProtectTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> open_with_hospital() {
    auto s = pf.open(GetParam());
    if (!s) return s;
    std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
    site::import_hospital(*s, json::Json::parse(in));
    return s;
  }
  static store::TableInfo raw_staff() { return store::as_stored(store::table_info<site::Staff>()); }
  static std::vector<std::string> raw_phones(store::Store& s) {
    std::vector<std::string> out;
    auto t = raw_staff();
    auto c = t.column_index("phone");
    s.select_rows(t, {}, [&](std::span<const store::Cell> row) {
      if (!row[c].null) out.push_back(row[c].s);
    });
    return out;
  }
};

TEST_P(ProtectTest, RotateKeysResealsEverythingUnderTheActiveKey) {
  auto s = open_with_hospital();
  HQ_REQUIRE_STORE(s);
  auto phones = raw_phones(*s);
  ASSERT_GT(phones.size(), 10u);
  for (const auto& p : phones) ASSERT_EQ(p.rfind("hq1:test1:", 0), 0u);
  auto before = Repository<site::Staff>(*s).find();

  // Legacy plaintext (a column that became personal later) is sealed by rotation too.
  auto raw = raw_staff();
  std::vector<store::Cell> row;
  ASSERT_TRUE(s->get_row(raw, before[0].id, row));
  row[raw.column_index("phone")].s = "13800000000";
  ASSERT_EQ(s->update_row(raw, row, row[1].i), 1);
  expect_error([&] { Repository<site::Staff>(*s).require(before[0].id); }, ErrorCode::data_loss,
               "site_staff.phone of row " + std::to_string(before[0].id) + ": not sealed");

  auto ring = std::make_shared<protect::Keyring>();
  ring->add("test1", std::string(32, '\x5a'));
  ring->add("test2", std::string(32, '\x33'));  // now active
  store::StoreOptions o;
  o.keys = ring;
  o.clock = &pf.clock;
  std::unique_ptr<store::Store> s2 =
      GetParam() == "sqlite_memory" ? nullptr : store::Store::open(pf.fx.url(), o);
  if (!s2) GTEST_SKIP() << "needs a second connection with the new keyring";
  auto report = protect::rotate_keys(*s2, pf.actor("secadmin"));
  EXPECT_EQ(report.resealed, static_cast<std::int64_t>(phones.size()));
  EXPECT_EQ(report.current, 0);
  for (const auto& p : raw_phones(*s2)) EXPECT_EQ(p.rfind("hq1:test2:", 0), 0u) << p;
  auto after = Repository<site::Staff>(*s2).find();
  ASSERT_EQ(after.size(), before.size());
  EXPECT_EQ(after[0].phone, "13800000000");
  for (std::size_t i = 1; i < after.size(); ++i) {
    EXPECT_EQ(after[i].phone, before[i].phone);
    EXPECT_EQ(after[i].version, before[i].version) << "re-sealing is not a business change";
  }
  EXPECT_EQ(protect::rotate_keys(*s2, pf.actor("secadmin")).resealed, 0) << "idempotent";
  // The old key alone no longer opens them, and says which key is needed.
  expect_error([&] { Repository<site::Staff>(*s).find(); }, ErrorCode::failed_precondition,
               "site_staff.phone of row");
  expect_error([&] { protect::rotate_keys(*s2, pf.actor("sysadmin")); },
               ErrorCode::permission_denied, "user:sysadmin lacks protect.rotate_keys");
}

TEST_P(ProtectTest, ExportsMaskPersonalDataUnlessTheActorMayUnmask) {
  auto s = open_with_hospital();
  HQ_REQUIRE_STORE(s);
  auto plain = site::export_hospital(*s);
  auto masked = site::export_hospital(*s, pf.actor("sysadmin"));
  auto clerk = pf.user_with("clerk", "phone_desk", {"protect.unmask"});
  auto clear = site::export_hospital(*s, clerk);
  int compared = 0;
  for (std::size_t i = 0; i < plain["staff"].size(); ++i) {
    const auto& p = plain["staff"][i]["phone"];
    if (!p.is_string()) continue;
    ++compared;
    EXPECT_EQ(masked["staff"][i]["phone"], protect::mask(p.get<std::string>(), Mask::phone));
    EXPECT_NE(masked["staff"][i]["phone"], p);
    EXPECT_EQ(clear["staff"][i]["phone"], p);
  }
  EXPECT_GT(compared, 10);
  EXPECT_EQ(masked["staff"][0]["name"], plain["staff"][0]["name"]) << "only personal fields";
  audit::Filter f;
  f.action = "site.export";
  auto log = audit::query(*s, pf.actor("auditor"), f);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].detail, "hospital exported with personal data masked");
  EXPECT_EQ(log[1].detail, "hospital exported with personal data unmasked");
  EXPECT_EQ(log[1].actor, "user:clerk");
}

TEST_P(ProtectTest, RetentionErasesOrAnonymisesOnlyWhatIsOldEnough) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  store::create_table<Visit>(*s);
  Repository<Visit> visits(*s);
  for (int days : {400, 200, 10}) {
    Visit v{0, 0, "张三丰", "12床", pf.clock.now() - std::chrono::hours(24 * days)};
    visits.insert(v);
  }
  auto admin = pf.actor("sysadmin");
  auto r = protect::apply_retention(
      *s, admin,
      {{"test_visit", "at", std::chrono::days(180), protect::RetentionAction::anonymise}});
  EXPECT_EQ(r.anonymised, 2);
  auto all = visits.find();
  EXPECT_EQ(all[0].patient_name, "*");
  EXPECT_FALSE(all[0].bed);
  EXPECT_EQ(all[1].patient_name, "*");
  EXPECT_EQ(all[2].patient_name, "张三丰");
  EXPECT_EQ(all[2].bed, "12床");
  r = protect::apply_retention(
      *s, admin, {{"test_visit", "at", std::chrono::days(365), protect::RetentionAction::erase}});
  EXPECT_EQ(r.erased, 1);
  EXPECT_EQ(visits.count(), 2);

  protect::set_minimum_retention("test_visit", std::chrono::days(3 * 365));
  expect_error(
      [&] {
        protect::apply_retention(
            *s, admin,
            {{"test_visit", "at", std::chrono::days(30), protect::RetentionAction::erase}});
      },
      ErrorCode::failed_precondition, "retention: test_visit must be kept at least 1095 days");
  protect::set_minimum_retention("test_visit", std::chrono::days(0));
  expect_error(
      [&] {
        protect::apply_retention(
            *s, admin,
            {{"audit_log", "time", std::chrono::days(30), protect::RetentionAction::erase}});
      },
      ErrorCode::failed_precondition, "retention: audit_log is never pruned");
  expect_error(
      [&] {
        protect::apply_retention(*s, admin,
                                 {{"test_visit", "patient_name", std::chrono::days(30),
                                   protect::RetentionAction::erase}});
      },
      ErrorCode::invalid_argument, "retention: test_visit.patient_name is not a timestamp or date");
  expect_error(
      [&] {
        protect::apply_retention(
            *s, pf.actor("auditor"),
            {{"test_visit", "at", std::chrono::days(30), protect::RetentionAction::erase}});
      },
      ErrorCode::permission_denied, "user:auditor lacks protect.retention");
  EXPECT_EQ(visits.count(), 2);
}

TEST_P(ProtectTest, IntegrityCheckerNamesTheRowsInvolved) {
  auto s = open_with_hospital();
  HQ_REQUIRE_STORE(s);
  auto admin = pf.actor("sysadmin");
  auto findings = protect::check_integrity(*s, admin);
  EXPECT_TRUE(findings.empty()) << findings.front().message;

  // Bad data as other tools leave it: foreign keys off, raw SQL.
  if (s->dialect() == store::Dialect::sqlite)
    s->execute("PRAGMA foreign_keys = OFF");
  else
    s->execute("SET session_replication_role = replica");
  auto room = Repository<site::Room>(*s).find().front();
  s->execute("DELETE FROM site_floor WHERE id = " + std::to_string(room.floor_id));
  s->execute(
      "INSERT INTO site_campus (version, code, name, address) VALUES (1, 'main ', 'dup', '')");
  auto floor = Repository<site::Floor>(*s).find().front();
  s->execute("UPDATE site_floor SET level = 150 WHERE id = " + std::to_string(floor.id));
  findings = protect::check_integrity(*s, admin);
  std::map<std::string, std::vector<protect::Finding>> by_check;
  for (const auto& f : findings) by_check[f.check].push_back(f);
  ASSERT_FALSE(by_check["dangling_reference"].empty());
  auto& d = by_check["dangling_reference"].front();
  EXPECT_EQ(d.table, "site_room");
  EXPECT_EQ(d.message, "site_room " + std::to_string(d.ids[0]) + ": floor_id " +
                           std::to_string(room.floor_id) + " names no site_floor row");
  ASSERT_EQ(by_check["duplicate_code"].size(), 1u);
  EXPECT_EQ(by_check["duplicate_code"][0].ids.size(), 2u);
  EXPECT_NE(by_check["duplicate_code"][0].message.find("'main '"), std::string::npos)
      << by_check["duplicate_code"][0].message;
  ASSERT_EQ(by_check["impossible_state"].size(), 1u);
  EXPECT_EQ(by_check["impossible_state"][0].ids, std::vector<Id>{floor.id});
  EXPECT_TRUE(by_check["event_log"].empty());  // the events the import wrote are well formed
  s->execute(
      "INSERT INTO houqin_event (version, type, aggregate, aggregate_id, time, actor, payload) "
      "VALUES (1, 'x.Made', 'no_such_table', 1, 0, '', '{}')");
  findings = protect::check_integrity(*s, admin);
  by_check.clear();
  for (const auto& f : findings) by_check[f.check].push_back(f);
  ASSERT_EQ(by_check["event_log"].size(), 1u);
  EXPECT_EQ(by_check["event_log"][0].table, "houqin_event");
  EXPECT_NE(by_check["event_log"][0].message.find("(no_such_table)"), std::string::npos);
  expect_error([&] { protect::check_integrity(*s, pf.actor("auditor")); },
               ErrorCode::permission_denied, "user:auditor lacks protect.integrity");
}

INSTANTIATE_TEST_SUITE_P(Backends, ProtectTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
