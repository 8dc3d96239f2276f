// The HIS push (site.his_push): idempotent upsert by code, deactivation by a complete push, owners,
// all-or-nothing refusals, on every backend.
#include "houqin/site/his.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "../../support/auth.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using namespace houqin::store;
using json::Json;
using site::HisPush;

class HisPushTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    s = pf.open(GetParam());
    HQ_REQUIRE_STORE(s);
    admin.emplace(pf.user_with("editor", "site_editor", {"site.edit"}));
    site::Campus c{0, 0, "MAIN", "本部", ""};
    Repository<site::Campus>(*s).insert(c);
    site::Building b{0, 0, c.id, "A", "门诊楼", 5, 1};
    Repository<site::Building>(*s).insert(b);
    for (int level : {1, 2}) {
      site::Floor f{0, 0, b.id, level, "A-" + std::to_string(level), std::to_string(level) + "F"};
      Repository<site::Floor>(*s).insert(f);
    }
  }

  /// Two departments (the child listed before its parent), two staff, two rooms.
  static HisPush payload() {
    HisPush p;
    p.departments = {
        {"SURG-1", "普外一科", site::DepartmentKind::clinical, "SURG", "8001", true},
        {"SURG", "外科", site::DepartmentKind::clinical, std::nullopt, std::nullopt, true}};
    p.staff = {{"E1001", "张三", "SURG-1", "护士长", "13800000001", {"nursing"}},
               {"E1002", "李四", "SURG", "主任", std::nullopt, {}}};
    p.rooms = {{"A-1-0101", "诊室一", site::RoomType::outpatient, "A-1", "SURG", 0, 18.5},
               {"A-2-0201", "病房", site::RoomType::ward, "A-2", "SURG-1", 4, std::nullopt}};
    return p;
  }

  site::HisPushResult push(const HisPush& p) { return site::his_push(*s, *admin, p); }

  template <class T, class K>
  T row(K T::*key, const std::string& code) {
    auto r = Repository<T>(*s).find_one(Query<T>().where(key, Op::eq, code));
    if (!r) throw std::runtime_error("no row " + code);
    return *r;
  }

  std::int64_t pushed_events() {
    return Repository<StoredEvent>(*s).count(
        Query<StoredEvent>().where(&StoredEvent::type, Op::eq, std::string("site.HisPushed")));
  }

  /// Expects `f` to throw an Error with exactly `message` and the site model left as it was.
  template <class F>
  void expect_refused(F f, ErrorCode code, const std::string& message) {
    auto before = site::export_hospital(*s);
    auto events = pushed_events();
    try {
      f();
      ADD_FAILURE() << "accepted; expected " << message;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), code) << e.what();
      EXPECT_EQ(std::string(e.what()), message);
    }
    EXPECT_EQ(site::export_hospital(*s), before) << "the store changed";
    EXPECT_EQ(Repository<site::ExternalRef>(*s).count(), refs_before_);
    EXPECT_EQ(pushed_events(), events);
  }

  testing::PlatformFixture pf;
  std::unique_ptr<Store> s;
  std::optional<auth::Actor> admin;
  std::int64_t refs_before_ = 0;
};

TEST_P(HisPushTest, CreatesEverythingAndASecondPushChangesNothing) {
  auto r = push(payload());
  EXPECT_EQ(r.source, "HIS");
  EXPECT_EQ(r.changes, 6);
  EXPECT_EQ(r.departments.created, (std::vector<std::string>{"SURG", "SURG-1"})) << "parent first";
  EXPECT_EQ(r.staff.counts.created, 2);
  EXPECT_EQ(r.rooms.counts.created, 2);
  auto surg = row(&site::Department::code, "SURG");
  auto child = row(&site::Department::code, "SURG-1");
  EXPECT_EQ(child.parent_id, surg.id);
  EXPECT_EQ(child.phone, "8001");
  auto e1001 = row(&site::Staff::employee_no, "E1001");
  EXPECT_EQ(e1001.department_id, child.id);
  EXPECT_EQ(e1001.phone, "13800000001");
  auto room = row(&site::Room::code, "A-1-0101");
  EXPECT_EQ(room.department_id, surg.id);
  EXPECT_EQ(room.area_m2, 18.5);
  EXPECT_TRUE(room.active);
  EXPECT_EQ(pushed_events(), 1);

  auto again = push(payload());
  EXPECT_EQ(again.changes, 0);
  for (const auto* k : {&again.departments, &again.staff, &again.rooms}) {
    EXPECT_EQ(k->counts.unchanged, 2);
    EXPECT_TRUE(k->created.empty() && k->updated.empty() && k->reactivated.empty() &&
                k->deactivated.empty());
  }
  EXPECT_EQ(row(&site::Department::code, "SURG-1").version, child.version) << "no version bump";
  EXPECT_EQ(row(&site::Staff::employee_no, "E1001").version, e1001.version);
  EXPECT_EQ(row(&site::Room::code, "A-1-0101").version, room.version);
  EXPECT_EQ(pushed_events(), 1) << "a push that changes nothing publishes nothing";
  // The event carries the counts.
  auto events = read_events(*s, 0, 1000);
  auto it = std::find_if(events.begin(), events.end(),
                         [](const auto& e) { return e.type == "site.HisPushed"; });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->payload["changes"], 6);
  EXPECT_EQ(it->payload["staff"]["created"], 2);
}

TEST_P(HisPushTest, AChangedFieldIsAnUpdateNamingIt) {
  push(payload());
  auto before = row(&site::Staff::employee_no, "E1001");
  auto p = payload();
  p.staff[0].title = "主管护师";
  p.staff[0].department_code = "SURG";
  p.rooms[1].beds = 6;
  auto r = push(p);
  EXPECT_EQ(r.changes, 2);
  ASSERT_EQ(r.staff.updated.size(), 1u);
  EXPECT_EQ(r.staff.updated[0].code, "E1001");
  EXPECT_EQ(r.staff.updated[0].fields, (std::vector<std::string>{"department_code", "title"}));
  ASSERT_EQ(r.rooms.updated.size(), 1u);
  EXPECT_EQ(r.rooms.updated[0].fields, (std::vector<std::string>{"beds"}));
  EXPECT_EQ(r.staff.counts.unchanged, 1);
  auto after = row(&site::Staff::employee_no, "E1001");
  EXPECT_EQ(after.title, "主管护师");
  EXPECT_EQ(after.version, before.version + 1);
}

TEST_P(HisPushTest, AVanishedRecordIsDeactivatedAndReactivatedWhenItComesBack) {
  push(payload());
  auto p = payload();
  p.staff.pop_back();
  p.rooms.pop_back();
  p.complete = false;
  auto partial = push(p);
  EXPECT_EQ(partial.changes, 0) << "a partial push deactivates nothing";
  EXPECT_TRUE(row(&site::Staff::employee_no, "E1002").active);

  p.complete = true;
  auto r = push(p);
  EXPECT_EQ(r.staff.deactivated, (std::vector<std::string>{"E1002"}));
  EXPECT_EQ(r.rooms.deactivated, (std::vector<std::string>{"A-2-0201"}));
  EXPECT_EQ(r.changes, 2);
  EXPECT_FALSE(row(&site::Staff::employee_no, "E1002").active) << "kept, inactive";
  EXPECT_FALSE(row(&site::Room::code, "A-2-0201").active);
  EXPECT_EQ(push(p).changes, 0) << "already inactive";

  auto back = payload();
  back.rooms[1].beds = 8;
  auto again = push(back);
  ASSERT_EQ(again.staff.reactivated.size(), 1u);
  EXPECT_EQ(again.staff.reactivated[0].code, "E1002");
  EXPECT_TRUE(again.staff.reactivated[0].fields.empty());
  ASSERT_EQ(again.rooms.reactivated.size(), 1u);
  EXPECT_EQ(again.rooms.reactivated[0].fields, (std::vector<std::string>{"beds"}));
  EXPECT_TRUE(row(&site::Room::code, "A-2-0201").active);

  // A department the source sends as inactive is an update of `active`.
  back.departments[0].active = false;
  auto off = push(back);
  ASSERT_EQ(off.departments.updated.size(), 1u);
  EXPECT_EQ(off.departments.updated[0].fields, (std::vector<std::string>{"active"}));
}

TEST_P(HisPushTest, RecordsMadeByHandOrByAnotherSourceAreNotTouched) {
  site::Department own{0, 0, "LOGI", "后勤处", site::DepartmentKind::logistics, {}, {}, true};
  Repository<site::Department>(*s).insert(own);
  site::Staff clerk{0, 0, "H0001", "王五", own.id, "文员", std::nullopt, {}, true};
  Repository<site::Staff>(*s).insert(clerk);
  push(payload());
  auto other = payload();
  other.source = "HRP";
  other.departments = {};
  other.staff = {{"P0001", "赵六", "SURG", "药师", std::nullopt, {}}};
  other.rooms = {};
  EXPECT_EQ(site::his_push(*s, *admin, other).staff.counts.created, 1);

  auto r = push(HisPush{});  // HIS says: nothing at all
  EXPECT_EQ(r.departments.counts.deactivated, 2);
  EXPECT_EQ(r.staff.counts.deactivated, 2);
  EXPECT_EQ(r.rooms.counts.deactivated, 2);
  EXPECT_TRUE(row(&site::Department::code, "LOGI").active);
  EXPECT_EQ(row(&site::Department::code, "LOGI").version, own.version);
  EXPECT_TRUE(row(&site::Staff::employee_no, "H0001").active);
  EXPECT_TRUE(row(&site::Staff::employee_no, "P0001").active) << "HRP's, not HIS's";

  // A code another source owns is refused; a hand-made one is adopted.
  auto steal = payload();
  steal.staff.push_back({"P0001", "赵六", "SURG", "药师", std::nullopt, {}});
  refs_before_ = Repository<site::ExternalRef>(*s).count();
  expect_refused([&] { push(steal); }, ErrorCode::failed_precondition,
                 "staff[2] (P0001).employee_no: belongs to source \"HRP\"");
  auto adopt = payload();
  adopt.staff.push_back({"H0001", "王五", "LOGI", "文员", std::nullopt, {}});
  auto a = push(adopt);
  EXPECT_EQ(a.staff.counts.unchanged, 1);
  EXPECT_EQ(push(HisPush{}).staff.deactivated,
            (std::vector<std::string>{"E1001", "E1002", "H0001"}))
      << "adopted: HIS owns it now";
}

TEST_P(HisPushTest, ABadRecordRefusesThePushAndStoresNothing) {
  push(payload());
  refs_before_ = Repository<site::ExternalRef>(*s).count();
  auto p = payload();
  p.staff[0].title = "changed before the bad record";
  p.staff[1].department_code = "X";
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "staff[1] (E1002).department_code: no department with code \"X\"");

  p = payload();
  p.rooms.push_back({"A-9-0001", "x", site::RoomType::office, "A-9", std::nullopt, 0, {}});
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "rooms[2] (A-9-0001).floor_code: no floor with code \"A-9\"");

  p = payload();
  p.departments[1].parent_code = "SURG-1";
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "departments[0] (SURG-1).parent_code: departments form a cycle");

  p = payload();
  p.rooms[0].beds = 9999;
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "rooms[0] (A-1-0101).beds: 9999 is outside 0..500");

  p = payload();
  p.staff.push_back(p.staff[0]);
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "staff[2] (E1001).employee_no: duplicate code (also staff[0])");

  p = payload();
  p.departments[0].code = "bad code";
  expect_refused([&] { push(p); }, ErrorCode::invalid_argument,
                 "departments[0] (bad code).code: 'bad code' may hold only letters, digits, "
                 "'-', '_' and '.'");
}

TEST_P(HisPushTest, TheRegistryRefusesUnknownFieldsAndActorsWithoutThePermission) {
  Json in = {{"source", "HIS"},
             {"departments", {{{"code", "D1"}, {"name", "科室"}, {"colour", "red"}}}}};
  try {
    service::call(*s, *admin, "site.his_push", in);
    ADD_FAILURE() << "accepted an unknown field";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("departments[0].colour"), std::string::npos) << e.what();
  }
  auto reader = pf.user_with("reader", "reader", {"site.read_personal"});
  in["departments"][0].erase("colour");
  try {
    service::call(*s, reader, "site.his_push", in);
    ADD_FAILURE() << "a reader pushed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::permission_denied) << e.what();
  }
  EXPECT_EQ(Repository<site::Department>(*s).count(), 0);
  auto out = service::call(*s, *admin, "site.his_push", in);
  EXPECT_EQ(out["departments"]["created"], Json::array({"D1"}));
  EXPECT_EQ(out["changes"], 1);
}

TEST_P(HisPushTest, TheSampleHospitalArrivesAsOnePushAndAgainAsNoChange) {
  std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
  const auto doc = Json::parse(in);
  // The buildings and floors are the hospital's own; the HIS sends the rest by code.
  Json model = {{"format", "houqin.hospital"}};
  for (const char* c : {"campuses", "buildings", "floors"}) model[c] = doc[c];
  for (auto& f : model["floors"]) f["code"] = "S-" + f["code"].get<std::string>();
  for (auto& b : model["buildings"]) b["code"] = "S" + b["code"].get<std::string>();
  for (auto& c : model["campuses"]) c["code"] = "S-" + c["code"].get<std::string>();
  site::import_hospital(*s, model);
  std::map<Id, std::string> dept_code, floor_code;
  for (const auto& d : doc["departments"]) dept_code[d["id"]] = d["code"];
  for (const auto& f : doc["floors"]) floor_code[f["id"]] = "S-" + f["code"].get<std::string>();
  HisPush p;
  for (const auto& d : doc["departments"]) {
    site::PushedDepartment x{
        d["code"],
        d["name"],
        json::from_json<site::DepartmentKind>(d["kind"]),
        std::nullopt,
        d["phone"].is_null() ? std::nullopt : std::optional<std::string>(d["phone"]),
        d["active"]};
    if (!d["parent_id"].is_null()) x.parent_code = dept_code.at(d["parent_id"]);
    p.departments.push_back(x);
  }
  for (const auto& m : doc["staff"])
    p.staff.push_back({m["employee_no"], m["name"], dept_code.at(m["department_id"]), m["title"],
                       m["phone"].is_null() ? std::nullopt : std::optional<std::string>(m["phone"]),
                       m["skills"]});
  for (const auto& r : doc["rooms"])
    p.rooms.push_back(
        {r["code"], r["name"], json::from_json<site::RoomType>(r["type"]),
         floor_code.at(r["floor_id"]),
         r["department_id"].is_null()
             ? std::nullopt
             : std::optional<std::string>(dept_code.at(r["department_id"])),
         r["beds"], r["area_m2"].is_null() ? std::nullopt : std::optional<double>(r["area_m2"])});
  auto first = push(p);
  EXPECT_EQ(first.departments.counts.created, static_cast<std::int64_t>(doc["departments"].size()));
  EXPECT_EQ(first.staff.counts.created, static_cast<std::int64_t>(doc["staff"].size()));
  EXPECT_EQ(first.rooms.counts.created, static_cast<std::int64_t>(doc["rooms"].size()));
  std::int64_t beds = 0;
  for (const auto& r : doc["rooms"]) beds += r["beds"].get<std::int64_t>();
  EXPECT_EQ(site::summarize(*s).beds, beds);
  EXPECT_EQ(site::summarize(*s).active_staff, site::summarize(*s).staff)
      << "pushed staff are active";
  auto again = push(p);
  EXPECT_EQ(again.changes, 0);
  EXPECT_EQ(again.rooms.counts.unchanged, static_cast<std::int64_t>(doc["rooms"].size()));
}

TEST_P(HisPushTest, RoomsStoredBeforeTheActiveColumnStayActive) {
  // A database from before site 2: site_room without `active`, one room in it.
  testing::BackendFixture fx;
  auto old = fx.open(GetParam());
  ASSERT_TRUE(old);
  auto all = site::migrations();
  const std::vector<Migration> first{all.front()};
  migrate(*old, first);
  old->execute("ALTER TABLE site_room DROP COLUMN active");
  old->execute("DELETE FROM houqin_migrations WHERE domain = 'site' AND number = 2");
  old->execute("INSERT INTO site_campus (version, code, name, address) VALUES (1, 'C', 'c', '')");
  old->execute(
      "INSERT INTO site_building (version, campus_id, code, name, floors_above, floors_below) "
      "SELECT 1, id, 'B', 'b', 1, 0 FROM site_campus");
  old->execute(
      "INSERT INTO site_floor (version, building_id, level, code, name) "
      "SELECT 1, id, 1, 'B-1', '1F' FROM site_building");
  old->execute(
      "INSERT INTO site_room (version, floor_id, code, name, type, beds) "
      "SELECT 1, id, 'B-1-01', 'r', 'office', 0 FROM site_floor");
  migrate(*old, all);
  auto r = Repository<site::Room>(*old).find();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].active);
}

INSTANTIATE_TEST_SUITE_P(Backends, HisPushTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
