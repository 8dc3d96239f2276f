// Medical waste from the ward to the disposal company, on every backend: the whole chain with a
// two-party handover and a manifest, traced by code; steps out of order, a one-person handover,
// a weight outside the tolerance and a wrong manifest refused with nothing changed; storage past
// the limit escalating once per level, and the host reminding the configured staff.
#include "houqin/waste/tracker.hpp"

#include "../repair/fixture.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using store::Repository;
using testing::expect_error;
using waste::Category;
using waste::Stage;

class WasteTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> nurse, collector, storekeeper;
  std::vector<waste::BagStep> steps;
  Subscription sub;

  void SetUp() override {
    s = pf.open(GetParam());
    if (!s) return;
    site.build(*s);
    nurse =
        pf.user_with("nurse", "ward", {"waste.collect"}, auth::ScopeKind::department, site.ward);
    collector = pf.user_with("collector", "porter", {"waste.handover"});
    storekeeper = pf.user_with("keeper", "store", {"waste.handover", "waste.read"});
    sub = s->events().subscribe<waste::BagStep>([this](const auto& e) { steps.push_back(e); });
  }
  waste::Bag bag(double kg = 2.0, Category c = Category::infectious) {
    waste::RegisterInput in;
    in.category = c;
    in.department_id = site.ward;
    in.room_id = site.room_a101;
    in.weight_kg = kg;
    auto b = waste::Tracker(*s).register_bag(*nurse, in);
    waste::Tracker(*s).seal(*nurse, {b.code, true});
    return b;
  }
  std::int64_t step_rows() { return Repository<waste::Step>(*s).count(); }
};

TEST_P(WasteTest, TheWholeChainWithATwoPartyHandoverAndAManifestIsTracedByCode) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag(2.0);
  EXPECT_EQ(b.code.rfind("WB-20260302-", 0), 0u) << b.code;
  t.offer(*nurse, {b.code, true});
  t.collect(*collector, {b.code, 2.02, waste::WeightSource::app, std::nullopt, ""});
  t.intake(*storekeeper, {b.code, 2.01, waste::WeightSource::scale, site.room_b101, ""});
  auto man = t.open_manifest(
      *storekeeper, {"LD-2026-0001", Category::infectious, "绿洲医废处置", "HW-123", "沪A-12345"});
  t.outbound(*storekeeper, {b.code, man.id, 2.0, waste::WeightSource::scale, ""});
  man = t.transfer(*storekeeper, {man.id, "张师傅"});
  EXPECT_EQ(man.status, waste::ManifestStatus::transferred);
  EXPECT_EQ(man.bags, 1);
  auto tr = t.trace(b.code);
  EXPECT_EQ(tr.bag.stage, Stage::transferred);
  ASSERT_EQ(tr.steps.size(), 5u);
  EXPECT_EQ(tr.steps[0].stage, Stage::generated);
  EXPECT_EQ(tr.steps[1].stage, Stage::collected);
  EXPECT_EQ(tr.steps[1].actor, "user:nurse");  // both parties of the handover
  EXPECT_EQ(tr.steps[1].counterpart, "user:collector");
  EXPECT_EQ(tr.steps[2].room_id, site.room_b101);
  EXPECT_EQ(tr.steps[4].counterpart, "张师傅");
  EXPECT_EQ(steps.size(), 5u);  // one event per step, after commit
  auto totals =
      t.totals({testing::at("2026-03-01T00:00:00Z"), testing::at("2026-04-01T00:00:00Z")});
  ASSERT_EQ(totals.totals.size(), 1u);
  EXPECT_EQ(totals.totals[0].transferred, 1);
  EXPECT_DOUBLE_EQ(totals.totals[0].weight_kg, 2.0);
}

TEST_P(WasteTest, StepsOutOfOrderAndOnePersonHandoversAreRefusedChangingNothing) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag();
  const auto rows = step_rows();
  const auto version = t.trace(b.code).bag.version;
  expect_error(
      [&] {
        t.intake(*storekeeper, {b.code, 2.0, {}, std::nullopt, ""});
      },
      ErrorCode::failed_precondition,
      "waste bag " + b.code +
          ": storage intake needs stage collected, the bag is "
          "generated");
  expect_error(
      [&] {
        t.collect(*collector, {b.code, 2.0, {}, std::nullopt, ""});
      },
      ErrorCode::failed_precondition,
      "waste bag " + b.code + ": the ward has not offered it for collection");
  auto both = pf.user_with("both", "both", {"waste.collect", "waste.handover"});
  t.offer(both, {b.code, true});
  expect_error(
      [&] {
        t.collect(both, {b.code, 2.0, {}, std::nullopt, ""});
      },
      ErrorCode::failed_precondition, "waste bag " + b.code + ": the handover needs two people");
  EXPECT_EQ(step_rows(), rows);
  EXPECT_EQ(t.trace(b.code).bag.stage, Stage::generated);
  EXPECT_GT(t.trace(b.code).bag.version, version);  // only the offer was recorded
  // Another ward's nurse may not register for this ward; bad weights are named.
  auto other = pf.user_with("icu", "icu", {"waste.collect"}, auth::ScopeKind::department, site.icu);
  waste::RegisterInput in;
  in.department_id = site.ward;
  in.weight_kg = 1;
  expect_error([&] { t.register_bag(other, in); }, ErrorCode::permission_denied,
               "user:icu lacks waste.collect");
  in.weight_kg = 0;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "weight_kg: 0.000 kg is outside");
  in.weight_kg = 1;
  in.weight_source = waste::WeightSource::manual;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "weight: a manual weight needs a note");
  in.weight_source = waste::WeightSource::scale;
  in.kind = waste::ContainerKind::sharps_box;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "category: a sharps box holds sharps");
  waste::RegisterInput plain;
  plain.department_id = site.ward;
  plain.weight_kg = 1.0;
  auto unsealed = t.register_bag(*nurse, plain);
  expect_error(
      [&] {
        t.offer(*nurse, {unsealed.code, true});
      },
      ErrorCode::failed_precondition, "waste bag " + unsealed.code + " is not sealed");
  expect_error(
      [&] {
        t.seal(*nurse, {unsealed.code, false});
      },
      ErrorCode::invalid_argument, "at_three_quarters: a bag or box is sealed when 3/4 full");
}

TEST_P(WasteTest, AWeightOutsideTheToleranceBlocksIntakeUntilResolvedWithAReason) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag(2.0);
  t.collect(*nurse, *collector, {b.code, 2.10, waste::WeightSource::app, std::nullopt, ""});
  auto now = t.trace(b.code).bag;
  EXPECT_EQ(now.stage, Stage::collected);
  EXPECT_NE(now.weight_mismatch.find("collection weighed 2.100 kg against 2.000 kg, 5.0 % > 2.0 %"),
            std::string::npos)
      << now.weight_mismatch;
  expect_error(
      [&] {
        t.intake(*storekeeper, {b.code, 2.10, {}, std::nullopt, ""});
      },
      ErrorCode::failed_precondition,
      "waste bag " + b.code + ": storage intake is blocked by a weight mismatch");
  expect_error(
      [&] {
        t.resolve(*storekeeper, {b.code, ""});
      },
      ErrorCode::invalid_argument, "reason: empty");
  t.resolve(*storekeeper, {b.code, "wet outer bag weighed with the collection box"});
  // Reconciled against the last weight (2.10): within the tolerance now.
  auto stored = t.intake(*storekeeper, {b.code, 2.11, {}, std::nullopt, ""});
  EXPECT_EQ(stored.stage, Stage::stored);
  EXPECT_TRUE(stored.weight_mismatch.empty());
  // A stricter tolerance from the rules applies to the next step.
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  waste::Rules r = t.rules();
  r.tolerance_pct = 0.1;
  t.save_rules(admin, r);
  auto man = t.open_manifest(*storekeeper, {"LD-1", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, {b.code, man.id, 2.2, {}, ""});
  EXPECT_FALSE(t.trace(b.code).bag.weight_mismatch.empty());
  expect_error(
      [&] {
        t.transfer(*storekeeper, {man.id, "driver"});
      },
      ErrorCode::failed_precondition,
      "waste bag " + b.code + ": transfer is blocked by a weight mismatch");
  r.keep_years = 2;
  expect_error([&] { t.save_rules(admin, r); }, ErrorCode::invalid_argument,
               "keep_years: 2 is below the 3 years required");
}

TEST_P(WasteTest, AManifestTakesOneCategory) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag(1.0, Category::pathological);
  t.collect(*nurse, *collector, {b.code, 1.0, {}, std::nullopt, ""});
  t.intake(*storekeeper, {b.code, 1.0, {}, std::nullopt, ""});
  auto man = t.open_manifest(*storekeeper, {"LD-9", Category::infectious, "co", "", ""});
  expect_error(
      [&] {
        t.outbound(*storekeeper, {b.code, man.id, 1.0, {}, ""});
      },
      ErrorCode::failed_precondition,
      "waste bag " + b.code + " (pathological) cannot go on manifest LD-9 (infectious)");
  expect_error(
      [&] {
        t.transfer(*storekeeper, {man.id, "driver"});
      },
      ErrorCode::failed_precondition, "manifest LD-9 has no bags");
  EXPECT_EQ(t.trace(b.code).bag.stage, Stage::stored);
}

TEST_P(WasteTest, StoragePastTheLimitEscalatesOncePerLevelAndTheHostTellsTheStaff) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  waste::Rules r = t.rules();
  r.handler_staff_id = site.elec1;
  r.logistics_head_staff_id = site.elec2;
  t.save_rules(admin, r);
  auto host = houqin::make_host(*s);
  host->run_once();
  auto b = bag();
  t.collect(*nurse, *collector, {b.code, 2.0, {}, std::nullopt, ""});
  t.intake(*storekeeper, {b.code, 2.0, {}, std::nullopt, ""});
  auto wiring = wiring::actor();
  EXPECT_EQ(t.check_overdue(wiring).overdue, 0);
  pf.clock.advance(std::chrono::hours(48));
  auto c = t.check_overdue(wiring);
  EXPECT_EQ(c.stored, 1);
  EXPECT_EQ(c.overdue, 1);
  EXPECT_EQ(c.escalated, 1);
  EXPECT_EQ(t.check_overdue(wiring).escalated, 0);  // level 1 was sent
  pf.clock.advance(std::chrono::hours(12));
  EXPECT_EQ(t.check_overdue(wiring).escalated, 1);  // level 2
  for (int i = 0; i < 5; ++i) host->run_once();
  std::vector<notify::Message> overdue;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "waste_overdue") overdue.push_back(m);
  ASSERT_EQ(overdue.size(), 2u);
  EXPECT_EQ(overdue[0].recipient_staff_id, site.elec1);
  EXPECT_EQ(overdue[1].recipient_staff_id, site.elec2);
  EXPECT_EQ(t.trace(b.code).bag.overdue_level, 2);
}

TEST_P(WasteTest, ScannedThroughTheRegistryWithALabelTheLawAsksFor) {
  HQ_REQUIRE_STORE(s);
  auto b = service::call(*s, *nurse, "waste.register",
                         {{"category", "sharps"},
                          {"kind", "sharps_box"},
                          {"department_id", site.ward},
                          {"weight_kg", 0.8},
                          {"double_bagged", true}});
  EXPECT_EQ(b["code"].get<std::string>().rfind("SB-", 0), 0u);
  testing::expect_error(
      [&] {
        service::call(
            *s, *nurse, "waste.register",
            {{"category", "radioactive"}, {"department_id", site.ward}, {"weight_kg", 1}});
      },
      ErrorCode::invalid_argument, "waste.register");
  auto reader = pf.user_with("reader", "reader", {"waste.read"});
  auto l = service::call(*s, reader, "waste.label", {{"code", b["code"]}});
  EXPECT_EQ(l["title"], "医疗废物 损伤性废物");
  EXPECT_EQ(l["code"], b["code"]);
  EXPECT_EQ(l["fields"][1]["value"], "Ward 1");
  EXPECT_EQ(l["fields"][4]["value"], "隔离 双层");
  auto tr = service::call(*s, reader, "waste.trace", {{"code", b["code"]}});
  EXPECT_EQ(tr["steps"].size(), 1u);
  testing::expect_error(
      [&] {
        service::call(*s, reader, "waste.trace", {{"code", "WB-none"}});
      },
      ErrorCode::not_found, "waste bag WB-none not found");
}

TEST_P(WasteTest, TheReportCountsByPeriodDepartmentAndCategoryAsJsonCsvAndHtml) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto a = bag(2.0);
  bag(1.0, Category::pathological);
  pf.clock.advance(std::chrono::hours(24));
  auto c = bag(3.0);
  t.collect(*nurse, *collector, {a.code, 2.0, {}, std::nullopt, ""});
  t.intake(*storekeeper, {a.code, 2.0, {}, std::nullopt, ""});
  auto man = t.open_manifest(*storekeeper, {"LD-7", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, {a.code, man.id, 2.0, {}, ""});
  t.transfer(*storekeeper, {man.id, "driver"});
  t.collect(*nurse, *collector, {c.code, 3.0, {}, std::nullopt, ""});
  t.intake(*storekeeper, {c.code, 3.0, {}, std::nullopt, ""});
  pf.clock.advance(std::chrono::hours(49));
  waste::ReportInput in;
  in.from = testing::at("2026-03-01T00:00:00Z");
  in.to = testing::at("2026-04-01T00:00:00Z");
  in.period = waste::Period::day;
  auto r = t.report(in);
  ASSERT_EQ(r.rows.size(), 3u);  // day 1: infectious, pathological; day 2: infectious
  EXPECT_EQ(r.rows[0].period, "2026-03-02");
  EXPECT_EQ(r.rows[0].department, "Ward 1");
  EXPECT_EQ(r.rows[0].transferred, 1);
  EXPECT_EQ(r.rows[2].period, "2026-03-03");
  EXPECT_EQ(r.bags, 3);
  EXPECT_DOUBLE_EQ(r.weight_kg, 6.0);
  EXPECT_DOUBLE_EQ(r.transferred_kg, 2.0);  // produced against handed over
  ASSERT_EQ(r.manifests.size(), 1u);
  ASSERT_EQ(r.overdue.size(), 1u);
  EXPECT_EQ(r.overdue[0].code, c.code);
  auto csv = waste::to_csv(r);
  EXPECT_EQ(csv.rfind("period,department_id,department,category,bags,weight_kg,transferred,"
                      "transferred_kg\r\n2026-03-02,",
                      0),
            0u)
      << csv;
  auto html = waste::to_html(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("LD-7"), std::string::npos);
  auto reader = pf.user_with("reader", "reader", {"waste.read"});
  auto doc =
      service::call(*s, reader, "waste.report_document",
                    {{"report", {{"from", "2026-03-01T00:00:00Z"}, {"to", "2026-04-01T00:00:00Z"}}},
                     {"format", "csv"}});
  EXPECT_EQ(doc["content_type"], "text/csv");
  EXPECT_NE(doc["data"].get<std::string>().find("\r\n2026-03,"), std::string::npos);
  in.to = in.from;
  expect_error([&] { t.report(in); }, ErrorCode::invalid_argument, "to: must be after from");
}

INSTANTIATE_TEST_SUITE_P(Backends, WasteTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
