// A small hospital for repair tests: one campus, two buildings (A with floors 1 and 2, B with
// floor 1), rooms, two departments, a logistics department of technicians with skills, phones and
// shifts, and a service desk actor holding every repair permission. The platform is migrated on
// every backend by PlatformFixture.
#pragma once

#include <gtest/gtest.h>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/repair/report.hpp"
#include "houqin/repair/sla.hpp"
#include "houqin/repair/work_orders.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::testing {

struct RepairSite {
  Id campus = 0, building_a = 0, building_b = 0, floor_a1 = 0, floor_a2 = 0, floor_b1 = 0;
  Id room_a101 = 0, room_a102 = 0, room_a201 = 0, room_b101 = 0;
  Id ward = 0, icu = 0, logistics = 0;
  Id nurse = 0;                                     // a ward nurse with phone 13812345678
  Id elec1 = 0, elec2 = 0, plumber = 0, elec3 = 0;  // technicians (staff ids)
  Id day_shift = 0, night_shift = 0;
  Id item_light = 0, item_tap = 0;

  void build(store::Store& s) {
    using store::Repository;
    site::Campus c{0, 0, "C1", "Main campus", ""};
    campus = Repository<site::Campus>(s).insert(c);
    site::Building a{0, 0, campus, "A", "Inpatient", 5, 0};
    building_a = Repository<site::Building>(s).insert(a);
    site::Building b{0, 0, campus, "B", "Outpatient", 5, 0};
    building_b = Repository<site::Building>(s).insert(b);
    site::Floor f1{0, 0, building_a, 1, "A-1", "A 1F"}, f2{0, 0, building_a, 2, "A-2", "A 2F"},
        f3{0, 0, building_b, 1, "B-1", "B 1F"};
    floor_a1 = Repository<site::Floor>(s).insert(f1);
    floor_a2 = Repository<site::Floor>(s).insert(f2);
    floor_b1 = Repository<site::Floor>(s).insert(f3);
    site::Department w{0, 0, "WARD1", "Ward 1", site::DepartmentKind::clinical, {}, {}, true};
    ward = Repository<site::Department>(s).insert(w);
    site::Department i{0, 0, "ICU", "ICU", site::DepartmentKind::clinical, {}, {}, true};
    icu = Repository<site::Department>(s).insert(i);
    site::Department l{0, 0, "LOG", "Logistics", site::DepartmentKind::logistics, {}, {}, true};
    logistics = Repository<site::Department>(s).insert(l);
    auto room = [&](Id floor, const char* code, std::optional<Id> dept) {
      site::Room r{0, 0, floor, code, code, site::RoomType::ward, dept, 0, std::nullopt};
      return Repository<site::Room>(s).insert(r);
    };
    room_a101 = room(floor_a1, "A-1-101", ward);
    room_a102 = room(floor_a1, "A-1-102", ward);
    room_a201 = room(floor_a2, "A-2-201", icu);
    room_b101 = room(floor_b1, "B-1-101", std::nullopt);
    auto staff = [&](const char* no, const char* name, Id dept, std::optional<std::string> phone,
                     std::vector<std::string> skills) {
      site::Staff st{0, 0, no, name, dept, "", phone, skills, true};
      return Repository<site::Staff>(s).insert(st);
    };
    nurse = staff("N001", "李护士", ward, "13812345678", {});
    elec1 = staff("T001", "王电工", logistics, "13900000001", {"electrical"});
    elec2 = staff("T002", "赵电工", logistics, "13900000002", {"electrical"});
    plumber = staff("T003", "钱水工", logistics, "13900000003", {"plumbing"});
    elec3 = staff("T004", "孙电工", logistics, "13900000004", {"electrical", "plumbing"});
    site::Shift day{0, 0, "DAY", "白班", 480, 570}, night{0, 0, "NIGHT", "夜班", 1320, 600};
    day_shift = Repository<site::Shift>(s).insert(day);
    night_shift = Repository<site::Shift>(s).insert(night);
    repair::RepairItem light{
        0, 0, "EL-LIGHT", "灯具更换", "electrical", 30, {"electrical"}, {"LED tube"}, 20, true};
    item_light = Repository<repair::RepairItem>(s).insert(light);
    repair::RepairItem tap{
        0, 0, "PL-TAP", "水龙头维修", "plumbing", 45, {"plumbing"}, {"washer", "tap"}, 30, true};
    item_tap = Repository<repair::RepairItem>(s).insert(tap);
  }

  /// Puts `staff` on `shift` on the local day of `at` (UTC+8).
  void roster(store::Store& s, Id staff, Id shift, Timestamp at) {
    auto day = std::chrono::floor<std::chrono::days>(at + std::chrono::hours(8));
    site::ShiftAssignment a{0, 0, staff, shift, day};
    store::Repository<site::ShiftAssignment>(s).insert(a);
  }
};

/// Every repair permission, globally: the service desk.
inline auth::Actor desk() {
  return auth::Actor::service("desk", {"repair.report", "repair.dispatch", "repair.work",
                                       "repair.close", "repair.configure", "bi.read"});
}

inline repair::ReportInput light_report(const RepairSite& site) {
  repair::ReportInput in;
  in.channel = repair::Channel::web;
  in.reporter_staff_id = site.nurse;
  in.room_id = site.room_a101;
  in.repair_item_id = site.item_light;
  in.urgency = repair::Level::high;
  in.impact = repair::Level::medium;
  in.description = "ceiling light flickers";
  in.attachments = {"file:photo-1"};
  return in;
}

inline Timestamp at(const char* iso) {
  return parse_timestamp(iso);
}

}  // namespace houqin::testing
