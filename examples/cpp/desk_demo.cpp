// The service desk (服务台) after a month of a hospital's logistics, the page the demo ends on:
// work orders reported, answered and resolved through the registry (as the C ABI, Python and
// HTTP reach it), hazards found and rectified, a warning rule that fires on overdue orders; the
// platform host's "bi" consumer keeps the KPIs; the page is written as HTML, XLSX and PDF.
//
//   desk_demo HOSPITAL.json OUTPUT_DIR
#include <fstream>
#include <houqin/houqin.hpp>
#include <houqin/service/document.hpp>
#include <houqin/service/registry.hpp>
#include <iostream>
#include <random>

#include "demo_store.hpp"

using namespace houqin;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: desk_demo HOSPITAL.json OUTPUT_DIR\n";
    return 2;
  }
  try {
    std::filesystem::path out_dir = argv[2];
    demo::DemoStore demo(out_dir, "desk", argv[1], parse_timestamp("2026-10-31T16:30:00Z"));
    auto& store = *demo.store;
    auto host = make_host(store);
    const auto desk = auth::Actor::service(
        "service-desk", {"repair.report", "repair.dispatch", "repair.work", "repair.close",
                         "hazard.report", "hazard.manage", "hazard.rectify"});
    const auto reviewer = auth::Actor::service("safety-office", {"hazard.review"});
    const auto manager = bi::actor();
    const auto rooms =
        store::Repository<site::Room>(store).find(store::Query<site::Room>().limit(40));
    const auto staff =
        store::Repository<site::Staff>(store).find(store::Query<site::Staff>().limit(8));
    const auto departments = store::Repository<site::Department>(store).find();

    // A rule as data: more than three orders past their SLA is critical.
    service::call(store, manager, "bi.save_rule",
                  {{"code", "WO-OVERDUE"},
                   {"title", "超时工单过多"},
                   {"kpi", "repair.overdue"},
                   {"threshold", 3},
                   {"severity", "critical"}});

    std::mt19937 rng(2026);
    const char* categories[] = {"electrical", "plumbing", "hvac", "carpentry", "elevator"};
    int reported = 0;
    for (int day = 0; day < 29; ++day) {
      const int n = 4 + static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i, ++reported) {
        const auto& room = rooms[rng() % rooms.size()];
        auto o = service::call(store, desk, "repair.report",
                               {{"room_id", room.id},
                                {"category", categories[rng() % 5]},
                                {"description", "报修 " + std::to_string(reported)},
                                {"urgency", rng() % 4 == 0 ? "high" : "medium"}});
        const Id id = o["id"];
        demo.clock.advance(std::chrono::minutes(5 + rng() % 20));
        if (day >= 26 && rng() % 2) continue;  // the last days' orders partly still open
        service::call(store, desk, "repair.dispatch",
                      {{"work_order_id", id}, {"technician_id", staff[rng() % staff.size()].id}});
        if (rng() % 10 == 0) continue;  // dispatched, never answered: overdue later
        service::call(store, desk, "repair.accept", {{"work_order_id", id}});
        demo.clock.advance(std::chrono::minutes(20 + rng() % 90));
        service::call(store, desk, "repair.start", {{"work_order_id", id}});
        service::call(store, desk, "repair.complete", {{"work_order_id", id}});
        if (rng() % 3) service::call(store, desk, "repair.verify", {{"work_order_id", id}});
      }
      if (day % 4 == 1) {
        auto h = service::call(store, desk, "hazard.report",
                               {{"title", "消防通道堆放杂物"},
                                {"grade", "general"},
                                {"room_id", rooms[rng() % rooms.size()].id}});
        if (day < 20) {
          service::call(store, desk, "hazard.assign",
                        {{"code", h["code"]}, {"assigned_department_id", departments[0].id}});
          service::call(store, desk, "hazard.start", {{"code", h["code"]}});
          service::call(
              store, desk, "hazard.submit",
              {{"code", h["code"]}, {"rectification", "已清理"}, {"after_photos", {"file:after"}}});
          service::call(store, reviewer, "hazard.approve",
                        {{"code", h["code"]}, {"note", "复查合格"}});
        }
      }
      demo.clock.set(parse_timestamp("2026-10-31T16:30:00Z") + std::chrono::days(day + 1));
      for (int k = 0; k < 50 && host->run_once().more; ++k) {
      }
      service::call(store, desk, "repair.sla_tick", json::Json::object());
    }
    for (int k = 0; k < 50 && host->run_once().more; ++k) {
    }
    host->run_once();  // the consumer catches up; the host's job checks the rules
    service::call(store, manager, "bi.check", json::Json::object());

    const auto s = bi::Bi(store).snapshot();
    std::cout << "a month at the service desk: " << reported << " work orders reported; open "
              << s.work_orders_open << ", overdue " << s.work_orders_overdue
              << ", resolved this month " << s.resolved_this_month << "; hazards open "
              << s.hazards_open << "\n";
    for (const char* format : {"html", "xlsx", "pdf"}) {
      auto doc = service::call(store, manager, "bi.desk", {{"days", 30}, {"format", format}});
      const auto path = out_dir / (std::string("desk.") + format);
      std::ofstream(path, std::ios::binary)
          << service::document_bytes(json::from_json<service::Document>(doc));
      std::cout << "service desk " << format << " written to " << path.string() << "\n";
    }
    std::cout << "open " << (out_dir / "desk.html").string()
              << " in a browser: the service desk (服务台)\n";

    // Accounts, so that the daemon (./dev.sh demo serves this database with houqind next) can be
    // signed in to: the three separated administrators and a desk clerk.
    auth::Auth accounts(store);
    const std::string password = "Hq-demo-2026";
    accounts.bootstrap({"sysadmin", "System Admin", password},
                       {"secadmin", "Security Admin", password}, {"auditor", "Auditor", password});
    auto sys = accounts.resume(accounts.login("sysadmin", password).token);
    auto sec = accounts.resume(accounts.login("secadmin", password).token);
    Id clerk =
        accounts.create_user(sys, {"desk", "Service desk", password, std::nullopt, std::nullopt});
    accounts.define_role(sec, "desk", "service desk clerk",
                         {"repair.report", "repair.dispatch", "bi.read", "telemetry.read",
                          "telemetry.ack", "telemetry.shelve"});
    accounts.grant(sec, clerk, "desk");
    // The maintenance team, and one of them on the phone pages as "tech".
    const auto setup = auth::Actor::service("demo-setup", {"repair.configure"});
    for (std::size_t i = 0; i < staff.size() && i < 4; ++i)
      service::call(store, setup, "repair.save_technician",
                    {{"staff_id", staff[i].id}, {"team", "维修班"}});
    Id tech =
        accounts.create_user(sys, {"tech", staff[0].name, password, staff[0].id, std::nullopt});
    accounts.define_role(sec, "technician", "maintenance technician",
                         {"repair.report", "repair.work"});
    accounts.grant(sec, tech, "technician");
    std::cout << "accounts: desk and tech / " << password << " (and sysadmin, secadmin, auditor)\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "error (" << to_string(e.code()) << "): " << e.what() << "\n";
    return 1;
  }
}
