// Reports against hand-computed figures: counts, first response, resolution, MTTR, SLA
// compliance and ratings per category, technician, team, department and month; CSV and HTML.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "houqin/service/registry.hpp"

namespace houqin {
namespace {

using repair::GroupBy;
using repair::Status;
using store::Repository;
using testing::at;

class ReportTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  testing::RepairSite site;
  std::unique_ptr<store::Store> s;
  auth::Actor desk = testing::desk();

  /// Stores an order with the given history directly: reports read what is stored.
  Id order(const char* category, Status status, const char* reported,
           std::optional<const char*> accepted, std::optional<const char*> started,
           std::optional<const char*> completed, std::optional<Id> tech, const char* team,
           bool response_breached = false, bool resolution_breached = false) {
    repair::WorkOrder o;
    o.code = "T-" + std::to_string(++n_);
    o.category = category;
    o.description = "x";
    o.status = status;
    o.department_id = site.ward;
    o.reported_at = at(reported);
    if (accepted) o.accepted_at = at(*accepted);
    if (started) o.started_at = at(*started);
    if (completed) o.completed_at = at(*completed);
    o.technician_id = tech;
    o.team = team;
    o.sla_policy_id = 1;  // the seeded policy
    o.response_breached = response_breached;
    o.resolution_breached = resolution_breached;
    return Repository<repair::WorkOrder>(*s).insert(o);
  }
  void rate(Id id, int score) {
    repair::Rating r{0, 0, id, score, "", "user:x", at("2026-03-20T00:00:00Z")};
    Repository<repair::Rating>(*s).insert(r);
  }
  void build() {
    Id o1 = order("electrical", Status::closed, "2026-03-02T08:00:00Z", "2026-03-02T08:10:00Z",
                  "2026-03-02T08:20:00Z", "2026-03-02T09:20:00Z", site.elec1, "E");
    Id o2 = order("electrical", Status::completed, "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z",
                  "2026-03-02T10:00:00Z", "2026-03-02T12:00:00Z", site.elec1, "E", true);
    order("electrical", Status::dispatched, "2026-03-02T10:00:00Z", std::nullopt, std::nullopt,
          std::nullopt, site.elec2, "E", true);
    order("plumbing", Status::verified, "2026-03-02T11:00:00Z", "2026-03-02T11:05:00Z",
          "2026-03-02T11:05:00Z", "2026-03-02T11:35:00Z", site.plumber, "P");
    order("plumbing", Status::cancelled, "2026-04-01T01:00:00Z", std::nullopt, std::nullopt,
          std::nullopt, std::nullopt, "");
    rate(o1, 5);
    rate(o2, 3);
  }
  int n_ = 0;
};

TEST_P(ReportTest, FiguresMatchHandComputedValues) {
  s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  site.build(*s);
  build();
  repair::ReportQuery q;
  q.group_by = GroupBy::category;
  auto r = repair::summarize(*s, desk, q);
  ASSERT_EQ(r.rows.size(), 2u);
  const auto& el = r.rows[0];
  EXPECT_EQ(el.key, "electrical");
  EXPECT_EQ(el.reported, 3);
  EXPECT_EQ(el.completed, 2);
  EXPECT_EQ(el.open, 1);
  EXPECT_DOUBLE_EQ(*el.avg_first_response_minutes, 20);  // (10 + 30) / 2
  EXPECT_DOUBLE_EQ(*el.avg_resolution_minutes, 130);     // (80 + 180) / 2
  EXPECT_DOUBLE_EQ(*el.mttr_minutes, 90);                // (60 + 120) / 2
  EXPECT_EQ(el.response_sla_measured, 3);                // two answered, one overdue unanswered
  EXPECT_EQ(el.response_sla_met, 1);
  EXPECT_DOUBLE_EQ(*el.response_compliance, 1.0 / 3);
  EXPECT_EQ(el.resolution_sla_measured, 2);
  EXPECT_DOUBLE_EQ(*el.resolution_compliance, 1.0);
  EXPECT_EQ(el.ratings, 2);
  EXPECT_DOUBLE_EQ(*el.avg_rating, 4);
  const auto& pl = r.rows[1];
  EXPECT_EQ(pl.reported, 2);
  EXPECT_EQ(pl.cancelled, 1);
  EXPECT_DOUBLE_EQ(*pl.mttr_minutes, 30);
  EXPECT_FALSE(pl.avg_rating);
  EXPECT_EQ(r.total.reported, 5);
  EXPECT_DOUBLE_EQ(*r.total.avg_first_response_minutes, 15);  // (10 + 30 + 5) / 3
  EXPECT_DOUBLE_EQ(*r.total.mttr_minutes, 70);                // (60 + 120 + 30) / 3

  // A period: March only.
  q.from = at("2026-03-01T00:00:00Z");
  q.to = at("2026-04-01T00:00:00Z");
  EXPECT_EQ(repair::summarize(*s, desk, q).total.reported, 4);
  q.from.reset();
  q.to.reset();

  q.group_by = GroupBy::technician;
  auto t = repair::summarize(*s, desk, q);
  ASSERT_EQ(t.rows.size(), 4u);  // none, elec1, elec2, plumber
  EXPECT_EQ(t.rows[0].label, "(none)");
  bool found = false;
  for (const auto& row : t.rows)
    if (row.key == std::to_string(site.elec1)) {
      found = true;
      EXPECT_EQ(row.label, "王电工");
      EXPECT_EQ(row.completed, 2);
      EXPECT_DOUBLE_EQ(*row.avg_rating, 4);
    }
  EXPECT_TRUE(found);
  q.group_by = GroupBy::team;
  EXPECT_EQ(repair::summarize(*s, desk, q).rows.size(), 3u);  // "", E, P
  q.group_by = GroupBy::department;
  auto dep = repair::summarize(*s, desk, q);
  ASSERT_EQ(dep.rows.size(), 1u);
  EXPECT_EQ(dep.rows[0].label, "Ward 1");
  q.group_by = GroupBy::period;
  q.period = repair::Period::month;
  auto m = repair::summarize(*s, desk, q);
  ASSERT_EQ(m.rows.size(), 2u);
  EXPECT_EQ(m.rows[0].key, "2026-03");
  EXPECT_EQ(m.rows[0].reported, 4);
  EXPECT_EQ(m.rows[1].key, "2026-04");  // 09:00 local on 1 April
  q.period = repair::Period::week;
  EXPECT_EQ(repair::summarize(*s, desk, q).rows[0].key, "2026-03-02");

  // CSV and HTML.
  q.group_by = GroupBy::category;
  auto csv = repair::to_csv(repair::summarize(*s, desk, q));
  EXPECT_EQ(csv.rfind("key,label,reported,completed,cancelled,open,", 0), 0u);
  EXPECT_NE(
      csv.find("\nelectrical,electrical,3,2,0,1,20.00,130.00,90.00,3,1,0.33,2,2,1.00,2,4.00\n"),
      std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\ntotal,total,5,"), std::string::npos);
  q.group_by = GroupBy::period;
  q.period = repair::Period::month;
  auto html = repair::to_html(r, repair::summarize(*s, desk, q), "Repairs <March>");
  EXPECT_NE(html.find("<title>Repairs &lt;March&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<polyline"), std::string::npos);
  std::size_t bars = 0;
  for (auto p = html.find("<rect class=\"bar\""); p != std::string::npos;
       p = html.find("<rect class=\"bar\"", p + 1))
    ++bars;
  EXPECT_EQ(bars, 2u);

  // Through the registry, and only for bi.read.
  auto j = service::call(*s, desk, "repair.report_summary", json::Json{{"group_by", "category"}});
  EXPECT_EQ(j["total"]["reported"], 5);
  auto clerk = pf.user_with("clerk", "clerk", {"repair.report"});
  testing::expect_error([&] { repair::summarize(*s, clerk, q); }, ErrorCode::permission_denied,
                        "user:clerk lacks bi.read");
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportTest, ::testing::ValuesIn(testing::backends()));

}  // namespace
}  // namespace houqin
