// Medical waste from the ward to the disposal company, on every backend: the whole chain with a
// two-party handover and a manifest, traced by code; steps out of order, a one-person handover,
// a weight outside the tolerance and a wrong manifest refused with nothing changed; storage past
// the limit escalating once per level (later in a cold store), and the host reminding the
// configured staff; gaps in the chain (unsealed, uncollected, unstored, untransferred) reported
// once each; weights read from a Modbus scale, a dead scale refused; the people in records older
// than the retention anonymised and everything else kept.
#include "houqin/waste/tracker.hpp"

#include "../repair/fixture.hpp"
#include "houqin/drivers/simulator.hpp"
#include "houqin/notify/model.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using store::Repository;
using testing::expect_error;
using waste::Category;
using waste::Stage;

waste::StepInput st(std::string code, double kg, waste::WeightSource source = {},
                    std::optional<Id> room = std::nullopt) {
  waste::StepInput in;
  in.code = std::move(code);
  in.weight_kg = kg;
  in.weight_source = source;
  in.room_id = room;
  return in;
}
waste::OutboundInput out(std::string code, Id manifest, double kg,
                         waste::WeightSource source = {}) {
  waste::OutboundInput in;
  in.code = std::move(code);
  in.manifest_id = manifest;
  in.weight_kg = kg;
  in.weight_source = source;
  return in;
}

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
  t.collect(*collector, st(b.code, 2.02, waste::WeightSource::app, std::nullopt));
  t.intake(*storekeeper, st(b.code, 2.01, waste::WeightSource::scale, site.room_b101));
  auto man = t.open_manifest(
      *storekeeper, {"LD-2026-0001", Category::infectious, "绿洲医废处置", "HW-123", "沪A-12345"});
  t.outbound(*storekeeper, out(b.code, man.id, 2.0, waste::WeightSource::scale));
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
  expect_error([&] { t.intake(*storekeeper, st(b.code, 2.0, {}, std::nullopt)); },
               ErrorCode::failed_precondition,
               "waste bag " + b.code +
                   ": storage intake needs stage collected, the bag is "
                   "generated");
  expect_error([&] { t.collect(*collector, st(b.code, 2.0, {}, std::nullopt)); },
               ErrorCode::failed_precondition,
               "waste bag " + b.code + ": the ward has not offered it for collection");
  auto both = pf.user_with("both", "both", {"waste.collect", "waste.handover"});
  t.offer(both, {b.code, true});
  expect_error([&] { t.collect(both, st(b.code, 2.0, {}, std::nullopt)); },
               ErrorCode::failed_precondition,
               "waste bag " + b.code + ": the handover needs two people");
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
               "weight_kg: missing; give the weight, or a scale_point_id");
  in.weight_kg = -1;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "weight_kg: -1.000 kg is outside");
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
  t.collect(*nurse, *collector, st(b.code, 2.10, waste::WeightSource::app, std::nullopt));
  auto now = t.trace(b.code).bag;
  EXPECT_EQ(now.stage, Stage::collected);
  EXPECT_NE(now.weight_mismatch.find("collection weighed 2.100 kg against 2.000 kg, 5.0 % > 2.0 %"),
            std::string::npos)
      << now.weight_mismatch;
  expect_error([&] { t.intake(*storekeeper, st(b.code, 2.10, {}, std::nullopt)); },
               ErrorCode::failed_precondition,
               "waste bag " + b.code + ": storage intake is blocked by a weight mismatch");
  expect_error(
      [&] {
        t.resolve(*storekeeper, {b.code, ""});
      },
      ErrorCode::invalid_argument, "reason: empty");
  t.resolve(*storekeeper, {b.code, "wet outer bag weighed with the collection box"});
  // Reconciled against the last weight (2.10): within the tolerance now.
  auto stored = t.intake(*storekeeper, st(b.code, 2.11, {}, std::nullopt));
  EXPECT_EQ(stored.stage, Stage::stored);
  EXPECT_TRUE(stored.weight_mismatch.empty());
  // A stricter tolerance from the rules applies to the next step.
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  waste::Rules r = t.rules();
  r.tolerance_pct = 0.1;
  t.save_rules(admin, r);
  auto man = t.open_manifest(*storekeeper, {"LD-1", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, out(b.code, man.id, 2.2, {}));
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

TEST_P(WasteTest, AWeightIsNeverEditedOnlyCorrectedWithAReasonThatKeepsTheOldFigure) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag(12.0);  // the scale was not tared
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  expect_error(
      [&] {
        t.correct_weight(*nurse, {b.code, 2.0, "not tared"});
      },
      ErrorCode::permission_denied, "user:nurse lacks waste.configure");
  expect_error(
      [&] {
        t.correct_weight(admin, {b.code, 2.0, ""});
      },
      ErrorCode::invalid_argument, "reason: empty");
  auto fixed = t.correct_weight(admin, {b.code, 2.0, "scale not tared: 10 kg box"});
  EXPECT_DOUBLE_EQ(fixed.weight_kg, 2.0);
  auto tr = t.trace(b.code);
  ASSERT_EQ(tr.steps.size(), 2u);
  EXPECT_DOUBLE_EQ(*tr.steps[0].weight_kg, 12.0);  // the capture stays as it was
  EXPECT_EQ(tr.steps[1].note,
            "weight corrected from 12.000 kg to 2.000 kg: scale not tared: 10 kg box");
  EXPECT_EQ(tr.steps[1].actor, "user:boss");
  EXPECT_DOUBLE_EQ(*tr.steps[1].weight_kg, 2.0);
  // Collection reconciles against the corrected weight.
  auto c = t.collect(*nurse, *collector, st(b.code, 2.01));
  EXPECT_TRUE(c.weight_mismatch.empty()) << c.weight_mismatch;
  // Not once the company has signed for it.
  t.intake(*storekeeper, st(b.code, 2.0));
  auto man = t.open_manifest(*storekeeper, {"LD-C", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, out(b.code, man.id, 2.0));
  t.transfer(*storekeeper, {man.id, "driver"});
  expect_error(
      [&] {
        t.correct_weight(admin, {b.code, 2.5, "late"});
      },
      ErrorCode::failed_precondition, "waste bag " + b.code + " is transferred");
}

TEST_P(WasteTest, AManifestTakesOneCategory) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto b = bag(1.0, Category::pathological);
  t.collect(*nurse, *collector, st(b.code, 1.0, {}, std::nullopt));
  t.intake(*storekeeper, st(b.code, 1.0, {}, std::nullopt));
  auto man = t.open_manifest(*storekeeper, {"LD-9", Category::infectious, "co", "", ""});
  expect_error([&] { t.outbound(*storekeeper, out(b.code, man.id, 1.0, {})); },
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
  t.collect(*nurse, *collector, st(b.code, 2.0, {}, std::nullopt));
  t.intake(*storekeeper, st(b.code, 2.0, {}, std::nullopt));
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
  t.collect(*nurse, *collector, st(a.code, 2.0, {}, std::nullopt));
  t.intake(*storekeeper, st(a.code, 2.0, {}, std::nullopt));
  auto man = t.open_manifest(*storekeeper, {"LD-7", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, out(a.code, man.id, 2.0, {}));
  t.transfer(*storekeeper, {man.id, "driver"});
  t.collect(*nurse, *collector, st(c.code, 3.0, {}, std::nullopt));
  t.intake(*storekeeper, st(c.code, 3.0, {}, std::nullopt));
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
  // A range holding some of the bags (read by scanning the table on SQLite: more than a quarter
  // of them) counts only those; a range holding none, read through the index, counts none.
  in.from = testing::at("2026-03-02T16:00:00Z");  // local 3 March
  in.to = testing::at("2026-03-03T16:00:00Z");
  auto part = t.report(in);
  EXPECT_EQ(part.bags, 1);
  EXPECT_DOUBLE_EQ(part.weight_kg, 3.0);
  ASSERT_EQ(part.rows.size(), 1u);
  EXPECT_EQ(part.rows[0].period, "2026-03-03");
  in.from = testing::at("2026-01-01T00:00:00Z");
  in.to = testing::at("2026-02-01T00:00:00Z");
  auto none = t.report(in);
  EXPECT_EQ(none.bags, 0);
  EXPECT_TRUE(none.rows.empty());
  in.to = in.from;
  expect_error([&] { t.report(in); }, ErrorCode::invalid_argument, "to: must be after from");
}

TEST_P(WasteTest, AWeightIsReadFromAModbusScaleAndADeadScaleIsRefusedChangingNothing) {
  HQ_REQUIRE_STORE(s);
  drivers::Simulator sim({.clock = &pf.clock});
  drivers::Point scale;
  scale.name = "store_scale";
  scale.register_type = drivers::RegisterType::holding_register;
  scale.address = 10;
  scale.data_type = drivers::DataType::float32;
  scale.unit = "kg";
  scale.kind = drivers::PointKind::weight;
  sim.add_unit(3, {scale});
  sim.start();
  drivers::Device dev;
  dev.name = "waste_store_scale";
  dev.host = "127.0.0.1";
  dev.port = sim.port();
  dev.unit_id = 3;
  dev.response_timeout_ms = 200;
  Repository<drivers::Device>(*s).insert(dev);
  scale.device_id = dev.id;
  Repository<drivers::Point>(*s).insert(scale);
  drivers::Point other = scale;
  other.id = 0;
  other.name = "store_temperature";
  other.address = 20;
  other.kind = drivers::PointKind::cable_temperature;
  Repository<drivers::Point>(*s).insert(other);

  waste::Tracker t(*s);
  const double expected = static_cast<float>(drivers::simulated_value(scale, 3, pf.clock.now()));
  waste::RegisterInput in;
  in.department_id = site.ward;
  in.scale_point_id = scale.id;
  auto b = t.register_bag(*nurse, in);
  EXPECT_NEAR(b.weight_kg, expected, 1e-6);
  EXPECT_GT(b.weight_kg, 1.0);
  EXPECT_EQ(b.weight_source, waste::WeightSource::scale);
  EXPECT_EQ(b.scale_point_id, scale.id);
  t.seal(*nurse, {b.code, true});
  auto step = st(b.code, 0);
  step.scale_point_id = scale.id;
  auto collected = t.collect(*nurse, *collector, step);  // the same bag, the same reading
  EXPECT_TRUE(collected.weight_mismatch.empty());
  auto tr = t.trace(b.code);
  ASSERT_EQ(tr.steps.size(), 2u);
  EXPECT_EQ(tr.steps[1].scale_point_id, scale.id);
  EXPECT_NEAR(*tr.steps[1].weight_kg, expected, 1e-6);

  // Not a scale, a weight given twice, a manual source with a scale: named, nothing stored.
  const auto bags = Repository<waste::Bag>(*s).count();
  in.scale_point_id = other.id;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "scale_point_id: point store_temperature is a cable_temperature point, not a "
               "scale");
  in.scale_point_id = scale.id;
  in.weight_kg = 2;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::invalid_argument,
               "weight_kg: given with scale_point_id");
  in.weight_kg = 0;
  in.scale_point_id = 999999;
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::not_found,
               "scale_point_id: point 999999 is not in the point map");
  // A scale that does not answer: unavailable, naming it; the bag stays where it was.
  in.scale_point_id = scale.id;
  sim.set_fault(3, {.silent = true});
  expect_error([&] { t.register_bag(*nurse, in); }, ErrorCode::unavailable,
               "scale store_scale (waste_store_scale, tcp 127.0.0.1:");
  step.code = b.code;
  try {
    t.intake(*storekeeper, step);
    ADD_FAILURE() << "a silent scale was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(e.what()).find(") did not answer: comm_fail: "), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Repository<waste::Bag>(*s).count(), bags);
  EXPECT_EQ(t.trace(b.code).bag.stage, Stage::collected);
  sim.clear_faults();
  EXPECT_EQ(t.intake(*storekeeper, step).stage, Stage::stored);
}

TEST_P(WasteTest, AColdStoreKeepsLongerAndOnlyIntakeGoesCold) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto warm = bag();
  auto cold = bag();
  for (const auto& code : {warm.code, cold.code})
    t.collect(*nurse, *collector, st(code, 2.0, {}, std::nullopt));
  auto in = st(cold.code, 2.0, {}, site.room_b101);
  in.cold = true;
  expect_error(
      [&] {
        auto c = in;
        c.code = bag().code;
        t.collect(*nurse, *collector, c);
      },
      ErrorCode::invalid_argument, "cold: a bag goes into a cold store at storage intake only");
  EXPECT_TRUE(t.intake(*storekeeper, in).cold_stored);
  EXPECT_FALSE(t.intake(*storekeeper, st(warm.code, 2.0, {}, site.room_b101)).cold_stored);
  auto wiring = wiring::actor();
  pf.clock.advance(std::chrono::hours(50));
  auto c = t.check_overdue(wiring);
  EXPECT_EQ(c.stored, 2);
  EXPECT_EQ(c.overdue, 1);  // the warm one: 50 h > 48 h; the cold one has 72 h
  EXPECT_EQ(t.trace(cold.code).bag.overdue_level, 0);
  pf.clock.advance(std::chrono::hours(22));
  EXPECT_EQ(t.check_overdue(wiring).overdue, 2);
  EXPECT_EQ(t.trace(cold.code).bag.overdue_level, 1);
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  auto r = t.rules();
  EXPECT_EQ(r.cold_storage_limit_hours, 72);
  r.cold_storage_limit_hours = 0;
  expect_error([&] { t.save_rules(admin, r); }, ErrorCode::invalid_argument,
               "cold_storage_limit_hours: outside 1..720");
  r.cold_storage_limit_hours = 72;
  r.intake_within_hours = 0;
  expect_error([&] { t.save_rules(admin, r); }, ErrorCode::invalid_argument,
               "intake_within_hours: outside 1..720");
}

TEST_P(WasteTest, GapsInTheChainAreFoundAndReportedOnceEachAndTheHostTellsTheHandler) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto admin = pf.user_with("boss", "boss", {"waste.configure"});
  auto r = t.rules();
  r.handler_staff_id = site.elec1;
  t.save_rules(admin, r);
  auto host = houqin::make_host(*s);
  host->run_once();
  std::vector<waste::ChainGap> gaps;
  auto gap_sub = s->events().subscribe<waste::ChainGap>([&](const auto& e) { gaps.push_back(e); });
  waste::RegisterInput plain;
  plain.department_id = site.ward;
  plain.weight_kg = 1.0;
  auto open_bag = t.register_bag(*nurse, plain);  // never sealed, never collected
  auto sealed = bag();                            // sealed, never collected
  auto in_transit = bag();                        // collected, never taken into storage
  t.collect(*nurse, *collector, st(in_transit.code, 2.0, {}, std::nullopt));
  auto shipped = bag();  // sent out, never received by the company
  t.collect(*nurse, *collector, st(shipped.code, 2.0, {}, std::nullopt));
  t.intake(*storekeeper, st(shipped.code, 2.0, {}, std::nullopt));
  auto man = t.open_manifest(*storekeeper, {"LD-3", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, out(shipped.code, man.id, 2.0, {}));
  auto wiring = wiring::actor();
  auto c = t.check_overdue(wiring);
  EXPECT_EQ(c.reported, 0);  // nothing is late yet

  pf.clock.advance(std::chrono::hours(3));
  c = t.check_overdue(wiring);
  EXPECT_EQ(c.not_stored, 1);
  EXPECT_EQ(c.reported, 1);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0].code, in_transit.code);
  EXPECT_EQ(gaps[0].anomaly, waste::Anomaly::not_stored);
  EXPECT_EQ(gaps[0].limit_hours, 2);

  pf.clock.advance(std::chrono::hours(22));  // 25 h
  c = t.check_overdue(wiring);
  EXPECT_EQ(c.unsealed, 1);
  EXPECT_EQ(c.not_collected, 2);  // the open bag and the sealed one
  EXPECT_EQ(c.not_stored, 1);     // still, but reported already
  EXPECT_EQ(c.not_transferred, 1);
  EXPECT_EQ(c.reported, 4);  // open bag: unsealed and not collected; sealed; shipped
  EXPECT_EQ(t.check_overdue(wiring).reported, 0);
  EXPECT_EQ(t.trace(open_bag.code).bag.anomaly, waste::Anomaly::not_collected);
  EXPECT_EQ(t.trace(shipped.code).bag.anomaly, waste::Anomaly::not_transferred);
  for (int i = 0; i < 5; ++i) host->run_once();
  std::vector<notify::Message> told;
  for (auto& m : Repository<notify::Message>(*s).find())
    if (m.template_name == "waste_gap") told.push_back(m);
  EXPECT_EQ(told.size(), 5u);
  for (const auto& m : told) EXPECT_EQ(m.recipient_staff_id, site.elec1);
  // Collected at last: the bag's gap stays on record and no new one is reported for it.
  t.collect(*nurse, *collector, st(sealed.code, 2.0, {}, std::nullopt));
  t.intake(*storekeeper, st(sealed.code, 2.0, {}, std::nullopt));
  EXPECT_EQ(t.check_overdue(wiring).not_collected, 1);
}

TEST_P(WasteTest, RecordsOlderThanTheRetentionLoseTheirPeopleAndKeepTheirFigures) {
  HQ_REQUIRE_STORE(s);
  waste::Tracker t(*s);
  auto old = bag(2.5);
  t.collect(*nurse, *collector, st(old.code, 2.5, {}, std::nullopt));
  t.intake(*storekeeper, st(old.code, 2.5, {}, std::nullopt));
  auto man = t.open_manifest(*storekeeper, {"LD-OLD", Category::infectious, "co", "", ""});
  t.outbound(*storekeeper, out(old.code, man.id, 2.5, {}));
  t.transfer(*storekeeper, {man.id, "王师傅"});
  pf.clock.advance(std::chrono::days(3 * 365));
  auto recent = bag(1.5);
  auto keeper = pf.user_with("dpo", "dpo", {"protect.retention"});
  auto none = t.apply_retention(keeper);  // three years less the leap day: nothing yet
  EXPECT_EQ(none.bags, 0);
  EXPECT_EQ(none.steps, 0);
  pf.clock.advance(std::chrono::days(2));
  auto r = t.apply_retention(keeper);
  EXPECT_EQ(r.bags, 1);
  EXPECT_EQ(r.steps, 5);
  EXPECT_EQ(r.manifests, 1);
  auto tr = t.trace(old.code);
  EXPECT_EQ(tr.bag.producer, "*");
  EXPECT_DOUBLE_EQ(tr.bag.weight_kg, 2.5);  // the figures stay
  EXPECT_EQ(tr.bag.stage, Stage::transferred);
  for (const auto& st : tr.steps) {
    EXPECT_EQ(st.actor, "*");
    EXPECT_TRUE(st.counterpart.empty() || st.counterpart == "*") << st.counterpart;
  }
  EXPECT_EQ(Repository<waste::Manifest>(*s).require(man.id).receiver, "*");
  EXPECT_EQ(t.trace(recent.code).bag.producer, "user:nurse");
  EXPECT_EQ(t.apply_retention(keeper).bags, 0);  // done once
  expect_error([&] { t.apply_retention(*nurse); }, ErrorCode::permission_denied,
               "user:nurse lacks protect.retention");
  // No rule may keep waste records shorter than three years.
  expect_error(
      [&] {
        protect::apply_retention(
            *s, keeper,
            {{"waste_step", "at", std::chrono::days(365), protect::RetentionAction::anonymise}});
      },
      ErrorCode::failed_precondition, "retention: waste_step must be kept at least 1095 days");
}

INSTANTIATE_TEST_SUITE_P(Backends, WasteTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
