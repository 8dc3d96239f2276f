// The equipment ledger: every lifecycle transition allowed and refused, transfers that move an
// asset, faults that take it down and bring it back, the archive, MTBF and MTTR against values
// computed by hand, permissions and the status/fault integrity check. Every backend.
#include "houqin/asset/ledger.hpp"

#include <gtest/gtest.h>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/protect/protect.hpp"
#include "houqin/service/registry.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using asset::AssetStatus;
using asset::EventKind;
using asset::Ledger;
using std::chrono::hours;
using store::Repository;
using testing::expect_error;

class LedgerTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  std::unique_ptr<store::Store> s;
  std::optional<auth::Actor> engineer;
  site::Department icu{0, 0, "ICU", "Intensive care", site::DepartmentKind::clinical, {}, {}, true};
  site::Department ward{0, 0, "W5", "Ward 5", site::DepartmentKind::clinical, {}, {}, true};

  bool open() {
    s = pf.open(GetParam());
    if (!s) return false;
    engineer = pf.user_with("engineer", "engineer", {"asset.edit"});
    Repository<site::Department>(*s).insert(icu);
    Repository<site::Department>(*s).insert(ward);
    return true;
  }
  asset::Asset make(const std::string& code, const std::string& category = "ventilator",
                    AssetStatus status = AssetStatus::procured) {
    asset::Asset a;
    a.code = code;
    a.name = "Ventilator " + code;
    a.category = category;
    a.model = "V500";
    a.manufacturer = "Draeger";
    a.serial = "SN-" + code;
    a.department_id = icu.id;
    a.purchase_date = parse_date("2025-01-10");
    a.purchase_price = 280000;
    a.warranty_end = parse_date("2028-01-09");
    a.status = status;
    return Ledger(*s).register_asset(*engineer, a);
  }
  asset::AssetEvent event(Id id, EventKind kind, std::optional<Id> room = {},
                          std::optional<Id> dept = {}) {
    return Ledger(*s).record_event(*engineer, {id, kind, std::nullopt, "", room, dept, {}});
  }
  AssetStatus status(Id id) { return Repository<asset::Asset>(*s).require(id).status; }
};

#define OPEN_OR_SKIP() \
  open();              \
  HQ_REQUIRE_STORE(s)

TEST_P(LedgerTest, LifecycleFollowsTheTransitionTable) {
  OPEN_OR_SKIP();
  auto a = make("V-001");
  EXPECT_EQ(a.status, AssetStatus::procured);
  // Not yet installed: cannot be accepted, calibrated, repaired or maintained.
  for (auto k :
       {EventKind::accepted, EventKind::calibrated, EventKind::repaired, EventKind::maintained})
    expect_error([&] { event(a.id, k); }, ErrorCode::failed_precondition,
                 "asset V-001 is procured: cannot be " + std::string(enum_name(k)));
  expect_error([&] { event(a.id, EventKind::procured); }, ErrorCode::failed_precondition,
               "procured is recorded when the asset is registered");
  event(a.id, EventKind::installed);
  EXPECT_EQ(status(a.id), AssetStatus::installed);
  expect_error([&] { event(a.id, EventKind::installed); }, ErrorCode::failed_precondition,
               "asset V-001 is installed: cannot be installed");
  event(a.id, EventKind::calibrated);
  EXPECT_EQ(status(a.id), AssetStatus::installed) << "calibration changes no status";
  event(a.id, EventKind::accepted);
  EXPECT_EQ(status(a.id), AssetStatus::in_service);
  expect_error([&] { event(a.id, EventKind::accepted); }, ErrorCode::failed_precondition,
               "asset V-001 is in_service: cannot be accepted");
  event(a.id, EventKind::maintained);
  event(a.id, EventKind::repaired);
  EXPECT_EQ(status(a.id), AssetStatus::in_service);
  auto scrap = event(a.id, EventKind::scrapped);
  EXPECT_EQ(scrap.status_before, AssetStatus::in_service);
  EXPECT_EQ(status(a.id), AssetStatus::scrapped);
  // Scrapping is final: nothing after it, not even a fault.
  for (auto k :
       {EventKind::installed, EventKind::accepted, EventKind::transferred, EventKind::repaired,
        EventKind::maintained, EventKind::calibrated, EventKind::scrapped})
    expect_error([&] { event(a.id, k, ward.id); }, ErrorCode::failed_precondition,
                 "asset V-001 is scrapped: no events after scrapping");
  expect_error(
      [&] {
        Ledger(*s).report_fault(*engineer, {a.id, {}, {}, "x", false});
      },
      ErrorCode::failed_precondition, "asset V-001 is scrapped: only an asset in service");
  auto archive = Ledger(*s).archive(a.id);
  ASSERT_EQ(archive.events.size(), 7u);
  EXPECT_EQ(archive.events.front().kind, EventKind::procured);
  EXPECT_EQ(archive.events.back().kind, EventKind::scrapped);
  EXPECT_EQ(archive.asset.status, AssetStatus::scrapped);
}

TEST_P(LedgerTest, EveryEventFromEveryStatusIsAllowedOrRefusedByTheTable) {
  OPEN_OR_SKIP();
  using S = AssetStatus;
  using K = EventKind;
  // Written out here, independently of asset::transitions(): rows are statuses, columns events
  // installed, accepted, transferred, repaired, maintained, calibrated, scrapped.
  const std::vector<std::pair<S, std::string>> expected = {
      {S::procured, "1010001"}, {S::installed, "0110011"},   {S::in_service, "0011111"},
      {S::down, "0011001"},     {S::maintenance, "0010101"}, {S::scrapped, "0000000"},
  };
  const K kinds[] = {K::installed,  K::accepted,   K::transferred, K::repaired,
                     K::maintained, K::calibrated, K::scrapped};
  const std::optional<S> after[] = {S::installed,  S::in_service, std::nullopt, S::in_service,
                                    S::in_service, std::nullopt,  S::scrapped};  // none: unchanged
  Ledger ledger(*s);
  int n = 0;
  for (const auto& [status, row] : expected) {
    for (std::size_t k = 0; k < 7; ++k) {
      auto code = "T-" + std::to_string(++n);
      auto a = make(code, "ventilator",
                    status == S::procured || status == S::installed ? S::procured : S::in_service);
      if (status == S::installed) event(a.id, K::installed);
      if (status == S::down) ledger.report_fault(*engineer, {a.id, {}, {}, "f", false});
      if (status == S::maintenance) ledger.report_fault(*engineer, {a.id, {}, {}, "m", true});
      if (status == S::scrapped) event(a.id, K::scrapped);
      ASSERT_EQ(this->status(a.id), status);
      const bool allowed = row[k] == '1';
      const auto kind = kinds[k];
      SCOPED_TRACE(std::string(enum_name(status)) + " + " + std::string(enum_name(kind)));
      if (allowed) {
        auto e = ledger.record_event(
            *engineer, {a.id,
                        kind,
                        {},
                        "",
                        {},
                        kind == K::transferred ? std::optional(ward.id) : std::nullopt,
                        {}});
        const auto want = after[k].value_or(status);
        EXPECT_EQ(e.status_after, want);
        EXPECT_EQ(this->status(a.id), want);
      } else {
        expect_error(
            [&] {
              ledger.record_event(*engineer,
                                  {a.id,
                                   kind,
                                   {},
                                   "",
                                   {},
                                   kind == K::transferred ? std::optional(ward.id) : std::nullopt,
                                   {}});
            },
            ErrorCode::failed_precondition, "asset " + code + " is ");
        EXPECT_EQ(this->status(a.id), status) << "a refused event changes nothing";
      }
    }
  }
  EXPECT_TRUE(protect::check_integrity(*s, pf.actor("sysadmin")).empty());
}

TEST_P(LedgerTest, TransfersMoveTheAssetAndEventsKeepTimeOrder) {
  OPEN_OR_SKIP();
  auto a = make("V-002", "ventilator", AssetStatus::in_service);
  EXPECT_EQ(a.status, AssetStatus::in_service) << "an existing device enters in service";
  auto t = event(a.id, EventKind::transferred, std::nullopt, ward.id);
  EXPECT_EQ(t.from_department_id, icu.id);
  EXPECT_EQ(t.to_department_id, ward.id);
  EXPECT_EQ(t.status_after, AssetStatus::in_service);
  EXPECT_EQ(Repository<asset::Asset>(*s).require(a.id).department_id, ward.id);
  expect_error([&] { event(a.id, EventKind::transferred, std::nullopt, ward.id); },
               ErrorCode::invalid_argument,
               "room_id, department_id: a transfer needs a new room or department");
  expect_error([&] { event(a.id, EventKind::calibrated, std::nullopt, icu.id); },
               ErrorCode::invalid_argument,
               "room_id, department_id: only installed and transferred events place an asset");
  auto past = pf.clock.now() - hours(1);
  expect_error(
      [&] {
        Ledger(*s).record_event(*engineer, {a.id, EventKind::calibrated, past, "", {}, {}, {}});
      },
      ErrorCode::invalid_argument, "at: " + format_timestamp(past) + " is before asset V-002");
  auto future = pf.clock.now() + hours(1);
  expect_error(
      [&] {
        Ledger(*s).record_event(*engineer, {a.id, EventKind::calibrated, future, "", {}, {}, {}});
      },
      ErrorCode::invalid_argument, "at: " + format_timestamp(future) + " is in the future");
  expect_error([&] { make("V-002"); }, ErrorCode::already_exists, "asset_asset");
  expect_error([&] { make("V-003", "ventilator", AssetStatus::down); }, ErrorCode::invalid_argument,
               "status: an asset enters the ledger procured");
}

TEST_P(LedgerTest, PermissionIsScopedByTheAssetDepartment) {
  OPEN_OR_SKIP();
  auto a = make("V-010", "ventilator", AssetStatus::in_service);
  auto icu_tech =
      pf.user_with("icutech", "icu_tech", {"asset.edit"}, auth::ScopeKind::department, icu.id);
  Ledger(*s).record_event(icu_tech, {a.id, EventKind::calibrated, {}, "", {}, {}, {}});
  expect_error(
      [&] {
        Ledger(*s).record_event(icu_tech, {a.id, EventKind::transferred, {}, "", {}, ward.id, {}});
      },
      ErrorCode::permission_denied,
      "user:icutech lacks asset.edit for department " + std::to_string(ward.id));
  EXPECT_EQ(Repository<asset::Asset>(*s).require(a.id).department_id, icu.id);
  auto nobody = pf.user_with("nobody", "nobody", {"inventory.issue"});
  expect_error(
      [&] {
        Ledger(*s).report_fault(nobody, {a.id, {}, {}, "x", false});
      },
      ErrorCode::permission_denied, "user:nobody lacks asset.edit");
  EXPECT_EQ(status(a.id), AssetStatus::in_service);
}

TEST_P(LedgerTest, FaultsTakeTheAssetDownAndTheirEndRestoresIt) {
  OPEN_OR_SKIP();
  auto a = make("V-020", "ventilator", AssetStatus::in_service);
  Ledger ledger(*s);
  pf.clock.advance(hours(10));
  auto f = ledger.report_fault(*engineer, {a.id, 501, {}, "alarm: low pressure", false});
  EXPECT_EQ(status(a.id), AssetStatus::down);
  EXPECT_EQ(f.work_order_id, 501);
  expect_error(
      [&] {
        ledger.report_fault(*engineer, {a.id, {}, {}, "again", false});
      },
      ErrorCode::failed_precondition, "asset V-020 already has open fault " + std::to_string(f.id));
  expect_error([&] { event(a.id, EventKind::maintained); }, ErrorCode::failed_precondition,
               "asset V-020 is down: cannot be maintained");
  expect_error([&] { event(a.id, EventKind::calibrated); }, ErrorCode::failed_precondition,
               "asset V-020 is down: cannot be calibrated");
  pf.clock.advance(hours(3));
  auto closed = ledger.close_work_order_faults(*engineer, {501, {}, "valve replaced"});
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].ended_at, pf.clock.now());
  EXPECT_EQ(status(a.id), AssetStatus::in_service);
  expect_error(
      [&] {
        ledger.close_fault(*engineer, {f.id, {}, ""});
      },
      ErrorCode::failed_precondition, "fault " + std::to_string(f.id) + " ended at");
  auto archive = ledger.archive(a.id);
  EXPECT_EQ(archive.events.back().kind, EventKind::repaired);
  EXPECT_EQ(archive.events.back().fault_id, f.id);
  EXPECT_EQ(archive.events.back().work_order_id, 501);

  // Planned downtime: maintenance, ended by a maintained event.
  auto m = ledger.report_fault(*engineer, {a.id, {}, {}, "annual service", true});
  EXPECT_EQ(status(a.id), AssetStatus::maintenance);
  expect_error([&] { event(a.id, EventKind::repaired); }, ErrorCode::failed_precondition,
               "asset V-020 is maintenance: cannot be repaired");
  pf.clock.advance(hours(1));
  auto done = event(a.id, EventKind::maintained);
  EXPECT_EQ(done.fault_id, m.id);
  EXPECT_EQ(status(a.id), AssetStatus::in_service);

  // Scrapping a broken device ends its fault.
  auto f2 = ledger.report_fault(*engineer, {a.id, {}, {}, "beyond repair", false});
  pf.clock.advance(hours(2));
  event(a.id, EventKind::scrapped);
  EXPECT_EQ(Repository<asset::Fault>(*s).require(f2.id).ended_at, pf.clock.now());
  EXPECT_TRUE(protect::check_integrity(*s, pf.actor("sysadmin")).empty());

  // A status that disagrees with the faults is an integrity finding.
  auto b = make("V-021", "ventilator", AssetStatus::in_service);
  s->execute("UPDATE asset_asset SET status = 'down' WHERE id = " + std::to_string(b.id));
  auto findings = protect::check_integrity(*s, pf.actor("sysadmin"));
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].ids.at(0), b.id);
  EXPECT_EQ(findings[0].message,
            "asset_asset " + std::to_string(b.id) + " (V-021): status down without an open fault");
}

TEST_P(LedgerTest, MtbfAndMttrMatchHandComputedValues) {
  OPEN_OR_SKIP();
  Ledger ledger(*s);
  const auto t0 = pf.clock.now();
  auto a = make("V-100", "ventilator", AssetStatus::in_service);  // accepted at t0
  auto b = make("V-101", "ventilator", AssetStatus::in_service);
  auto c = make("CH-1", "chiller", AssetStatus::in_service);
  auto fault = [&](const asset::Asset& x, int start_h, int end_h, bool planned = false) {
    pf.clock.set(t0 + hours(start_h));
    auto f = ledger.report_fault(*engineer, {x.id, {}, {}, "f", planned});
    pf.clock.set(t0 + hours(end_h));
    ledger.close_fault(*engineer, {f.id, {}, ""});
  };
  // Asset a over [t0, t0+1000h): failures 100-104 and 500-510, planned maintenance 700-702.
  // Asset b: one failure 200-206; a failure at 990 that is repaired after the period, at 1010.
  fault(a, 100, 104);
  fault(b, 200, 206);
  fault(a, 500, 510);
  fault(a, 700, 702, true);
  fault(b, 990, 1010);
  // The chiller: no failures.
  pf.clock.set(t0 + hours(1100));
  const auto from = t0, to = t0 + hours(1000);

  auto ra = ledger.reliability({a.id, std::nullopt, from, to});
  EXPECT_EQ(ra.failures, 2);
  EXPECT_EQ(ra.repairs, 2);
  EXPECT_DOUBLE_EQ(ra.downtime_hours, 14);
  EXPECT_DOUBLE_EQ(ra.planned_downtime_hours, 2);
  EXPECT_DOUBLE_EQ(ra.operating_hours, 984);  // 1000 - 14 - 2
  EXPECT_DOUBLE_EQ(*ra.mtbf_hours, 492);      // 984 / 2
  EXPECT_DOUBLE_EQ(*ra.mttr_hours, 7);        // (4 + 10) / 2
  EXPECT_DOUBLE_EQ(*ra.availability, 984.0 / 998.0);

  auto rb = ledger.reliability({b.id, std::nullopt, from, to});
  EXPECT_EQ(rb.failures, 2);
  EXPECT_EQ(rb.repairs, 1) << "the second repair ends after the period";
  EXPECT_DOUBLE_EQ(rb.downtime_hours, 6 + 10);  // 990-1000 clipped to the period
  EXPECT_DOUBLE_EQ(rb.operating_hours, 984);
  EXPECT_DOUBLE_EQ(*rb.mtbf_hours, 492);
  EXPECT_DOUBLE_EQ(*rb.mttr_hours, 6);

  auto cat = ledger.reliability({std::nullopt, std::string("ventilator"), from, to});
  EXPECT_EQ(cat.assets, 2);
  EXPECT_EQ(cat.failures, 4);
  EXPECT_DOUBLE_EQ(*cat.mtbf_hours, (984.0 + 984.0) / 4);
  EXPECT_DOUBLE_EQ(*cat.mttr_hours, (4.0 + 10 + 6) / 3);

  auto all = ledger.reliability_by_category(from, to);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].category, "chiller");
  EXPECT_EQ(all[0].failures, 0);
  EXPECT_FALSE(all[0].mtbf_hours.has_value()) << "no failures: MTBF undefined, not infinite";
  EXPECT_DOUBLE_EQ(*all[0].availability, 1.0);
  EXPECT_DOUBLE_EQ(all[1].operating_hours, cat.operating_hours);

  // The next period sees b's second repair (20 h) and the exposure ends at scrapping.
  pf.clock.set(t0 + hours(1500));
  event(b.id, EventKind::scrapped);
  auto later = ledger.reliability({b.id, std::nullopt, t0 + hours(1000), t0 + hours(2000)});
  EXPECT_EQ(later.failures, 0);
  EXPECT_EQ(later.repairs, 1);
  EXPECT_DOUBLE_EQ(*later.mttr_hours, 20);
  EXPECT_DOUBLE_EQ(later.exposure_hours, 500);
  EXPECT_DOUBLE_EQ(later.operating_hours, 490);
  expect_error(
      [&] {
        ledger.reliability({a.id, std::nullopt, to, from});
      },
      ErrorCode::invalid_argument, "to: ");
  expect_error(
      [&] {
        ledger.reliability({std::nullopt, std::nullopt, from, to});
      },
      ErrorCode::invalid_argument, "asset_id, category: give exactly one");
}

TEST_P(LedgerTest, OperationsAreRegisteredByName) {
  OPEN_OR_SKIP();
  auto a = service::call(
      *s, *engineer, "asset.register",
      {{"code", "UPS-1"}, {"name", "UPS"}, {"category", "ups"}, {"status", "in_service"}});
  EXPECT_EQ(a["status"], "in_service");
  auto f = service::call(*s, *engineer, "asset.report_fault",
                         {{"asset_id", a["id"]}, {"description", "battery"}});
  EXPECT_EQ(status(a["id"].get<Id>()), AssetStatus::down);
  service::call(*s, *engineer, "asset.close_fault", {{"fault_id", f["id"]}});
  EXPECT_EQ(status(a["id"].get<Id>()), AssetStatus::in_service);
  expect_error(
      [&] {
        service::call(*s, *engineer, "asset.event", {{"asset_id", a["id"]}, {"kind", "exploded"}});
      },
      ErrorCode::invalid_argument, "asset.event");
  for (auto name : {"asset.event", "asset.reliability", "asset.archive",
                    "asset.close_work_order_faults", "asset.reliability_by_category"})
    EXPECT_EQ(service::operation(name).name, name);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
