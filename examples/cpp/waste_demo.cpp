// ./dev.sh demo, medical waste: one day of 医废 in the sample hospital on a manual clock. Every
// clinical department fills and seals bags and sharps boxes through the day; three collection
// rounds take them from the wards (the nurse offers, the collector takes and weighs: two people);
// the temporary store takes them in, one against a weight that does not match until someone
// explains it; in the evening the store sends the day out on one transfer manifest (转移联单) per
// category and the disposal company signs for it. One ward forgets a bag: the next morning's
// check finds it. Prints the day as it goes and writes the report (HTML with charts, CSV) and the
// day's bag labels as a printable sheet.
//   waste_demo HOSPITAL.json OUTPUT_DIR
#include <houqin/houqin.hpp>
#include <houqin/service/registry.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>

#include "demo_store.hpp"

namespace {

using namespace houqin;
using store::Op;
using store::Query;
using store::Repository;

std::string local_time(Timestamp t) {
  return format_timestamp(t + std::chrono::hours(8)).substr(11, 5);
}

/// The weight a bag was last weighed at (resolutions and transfers carry none).
double last_weight(waste::Tracker& t, const std::string& code) {
  auto tr = t.trace(code);
  for (auto it = tr.steps.rbegin(); it != tr.steps.rend(); ++it)
    if (it->weight_kg) return *it->weight_kg;
  return tr.bag.weight_kg;
}

std::string kg(double v) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(1) << v << " kg";
  return o.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: waste_demo HOSPITAL.json OUTPUT_DIR\n";
    return 2;
  }
  try {
    std::filesystem::path out_dir = argv[2];
    // 07:00 China Standard Time on Tuesday 3 March 2026.
    demo::DemoStore demo(out_dir, "waste", argv[1], parse_timestamp("2026-03-02T23:00:00Z"));
    auto& clock = demo.clock;
    auto& store = demo.store;
    const auto day_start = clock.now();

    auto wards = Repository<site::Department>(*store).find(
        Query<site::Department>()
            .where(&site::Department::kind, Op::eq, site::DepartmentKind::clinical)
            .order_by(&site::Department::code));
    std::map<Id, std::optional<Id>> ward_room;  // a room of each department, where it has one
    for (const auto& r : Repository<site::Room>(*store).find(
             Query<site::Room>().where(&site::Room::type, Op::eq, site::RoomType::ward)))
      if (r.department_id && !ward_room[*r.department_id]) ward_room[*r.department_id] = r.id;
    auto store_room = Repository<site::Room>(*store).find_one(
        Query<site::Room>().where(&site::Room::type, Op::eq, site::RoomType::waste_storage));
    const auto campus = Repository<site::Campus>(*store).find().front();

    auto admin = auth::Actor::service("waste-admin", {"waste.configure"});
    auto collector = auth::Actor::service("collector-li", {"waste.handover"});
    auto keeper = auth::Actor::service("store-zhao", {"waste.handover", "waste.read"});
    waste::Tracker t(*store);
    auto rules = t.rules();
    rules.producing_unit = campus.name;
    rules.collect_within_hours = 12;  // this hospital clears its wards twice a day
    t.save_rules(admin, rules);

    std::cout << "houqin " << version_string() << " - a day of medical waste at " << campus.name
              << ", " << wards.size() << " clinical departments\n\n";
    std::mt19937 rng(2026);
    std::vector<std::string> codes;
    std::map<std::string, std::string> producer_of;  // code -> the nurse who offers it
    std::vector<std::string> waiting;                // sealed on the wards, not yet collected
    std::string forgotten;

    auto produce_until = [&](int hour) {
      const auto until = day_start + std::chrono::hours(hour - 7);
      int n = 0;
      double total = 0;
      while (clock.now() < until) {
        clock.advance(std::chrono::minutes(4 + rng() % 8));
        const auto& d = wards[rng() % wards.size()];
        auto nurse = auth::Actor::service("nurse-" + d.code, {"waste.collect"});
        waste::RegisterInput in;
        in.department_id = d.id;
        in.room_id = ward_room[d.id];
        const auto r = rng() % 100;
        in.category = r < 78   ? waste::Category::infectious
                      : r < 92 ? waste::Category::sharps
                      : r < 96 ? waste::Category::pathological
                               : waste::Category::pharmaceutical;
        in.kind = in.category == waste::Category::sharps ? waste::ContainerKind::sharps_box
                                                         : waste::ContainerKind::bag;
        in.weight_kg = in.kind == waste::ContainerKind::sharps_box ? 0.4 + (rng() % 80) / 100.0
                                                                   : 0.8 + (rng() % 300) / 100.0;
        in.weight_source = waste::WeightSource::app;
        in.double_bagged = rng() % 25 == 0;  // an isolation patient's waste
        auto b = t.register_bag(nurse, in);
        t.seal(nurse, {b.code, true});
        codes.push_back(b.code);
        producer_of[b.code] = "nurse-" + d.code;
        waiting.push_back(b.code);
        ++n;
        total += in.weight_kg;
      }
      std::cout << "  " << local_time(clock.now()) << "  wards sealed " << std::setw(3) << n
                << " bags and boxes, " << kg(total) << "\n";
    };
    auto collection_round = [&](int hour) {
      clock.set(day_start + std::chrono::hours(hour - 7));
      int n = 0;
      double total = 0;
      std::vector<std::string> left;
      for (const auto& code : waiting) {
        if (forgotten.empty() && hour == 20 && rng() % 40 == 0) {  // behind a door: missed
          forgotten = code;
          left.push_back(code);
          continue;
        }
        auto nurse = auth::Actor::service(producer_of[code], {"waste.collect"});
        const double w = t.trace(code).bag.weight_kg;
        waste::StepInput step;
        step.code = code;
        step.weight_kg = w * (0.99 + (rng() % 3) / 100.0);  // the collector's hand scale
        step.weight_source = waste::WeightSource::app;
        t.collect(nurse, collector, step);
        clock.advance(std::chrono::seconds(40));
        ++n;
        total += step.weight_kg;
      }
      waiting = left;
      std::cout << "  " << local_time(clock.now()) << "  collection round: " << std::setw(3) << n
                << " bags taken from the wards (nurse and collector both confirm), " << kg(total)
                << "\n";
    };
    auto intake_all = [&](bool with_a_mismatch) {
      int n = 0;
      double total = 0;
      for (auto& b : Repository<waste::Bag>(*store).find(
               Query<waste::Bag>().where(&waste::Bag::stage, Op::eq, waste::Stage::collected))) {
        waste::StepInput step;
        step.code = b.code;
        step.weight_kg = last_weight(t, b.code);
        if (with_a_mismatch && n == 3) step.weight_kg *= 1.08;  // wet outer bag
        step.room_id = store_room ? std::optional(store_room->id) : std::nullopt;
        step.cold = b.category == waste::Category::pathological;  // tissue goes cold
        auto in = t.intake(keeper, step);
        if (!in.weight_mismatch.empty()) {
          std::cout << "  " << local_time(clock.now()) << "  store: " << in.code
                    << " held: " << in.weight_mismatch << "\n";
          t.resolve(keeper, {in.code, "outer bag wet from the rain; weighed again dry: same"});
          std::cout << "  " << local_time(clock.now()) << "  store: " << in.code
                    << " released with a reason (audited)\n";
        }
        ++n;
        total += step.weight_kg;
      }
      std::cout << "  " << local_time(clock.now()) << "  temporary store took in " << std::setw(3)
                << n << " bags, " << kg(total) << "\n";
    };

    std::cout << "The day\n";
    produce_until(10);
    collection_round(10);
    clock.advance(std::chrono::minutes(20));
    intake_all(true);
    produce_until(15);
    collection_round(15);
    clock.advance(std::chrono::minutes(20));
    intake_all(false);
    produce_until(20);
    collection_round(20);
    clock.advance(std::chrono::minutes(20));
    intake_all(false);

    // 21:00: the day goes out, one manifest a category; 21:40 the company signs.
    clock.set(day_start + std::chrono::hours(14));
    std::map<waste::Category, waste::Manifest> manifests;
    for (auto& b : Repository<waste::Bag>(*store).find(
             Query<waste::Bag>()
                 .where(&waste::Bag::stage, Op::eq, waste::Stage::stored)
                 .order_by(&waste::Bag::id))) {
      if (b.cold_stored) continue;  // pathological waste waits in the cold store
      auto& m = manifests[b.category];
      if (m.id == 0)
        m = t.open_manifest(keeper,
                            {"LD-20260303-" + std::string(enum_name(b.category)), b.category,
                             "某市医疗废物集中处置中心", "HW3201001", "苏A-D1234"});
      waste::OutboundInput out;
      out.code = b.code;
      out.manifest_id = m.id;
      out.weight_kg = last_weight(t, b.code);
      t.outbound(keeper, out);
    }
    clock.advance(std::chrono::minutes(40));
    std::cout << "  " << local_time(clock.now()) << "  transfer to 某市医疗废物集中处置中心\n";
    for (auto& [category, m] : manifests) {
      auto done = t.transfer(keeper, {m.id, "陈师傅"});
      std::cout << "           manifest " << std::left << std::setw(30) << done.code << std::right
                << std::setw(4) << done.bags << " bags " << std::setw(9) << kg(done.weight_kg)
                << "\n";
    }

    // The next morning: the check the host runs every ten minutes.
    clock.set(day_start + std::chrono::hours(24));
    auto check = t.check_overdue(auth::Actor::service("host", {"waste.read"}));
    std::cout << "\nNext morning " << local_time(clock.now()) << ": check of every chain\n"
              << "  in temporary storage " << check.stored << " (overdue " << check.overdue
              << "), never collected " << check.not_collected << ", never sealed " << check.unsealed
              << ", collected but not stored " << check.not_stored << ", sent but not received "
              << check.not_transferred << "\n";
    if (!forgotten.empty()) {
      auto tr = t.trace(forgotten);
      std::cout << "  " << forgotten << " was sealed at " << local_time(*tr.bag.sealed_at)
                << " and never collected: reported to the waste handler\n";
    }

    waste::ReportInput q;
    q.from = day_start - std::chrono::hours(7);
    q.to = q.from + std::chrono::days(1);
    q.period = waste::Period::day;
    auto report = t.report(q);
    std::cout << "\nThe day by category\n";
    std::map<waste::Category, std::pair<std::int64_t, double>> by_category;
    for (const auto& r : report.rows) {
      by_category[r.category].first += r.bags;
      by_category[r.category].second += r.weight_kg;
    }
    for (const auto& [c, v] : by_category)
      std::cout << "  " << std::left << std::setw(16) << enum_name(c) << std::right << std::setw(5)
                << v.first << " bags " << std::setw(9) << kg(v.second) << "\n";
    std::cout << "  produced " << report.bags << " bags, " << kg(report.weight_kg)
              << "; handed to the company " << report.transferred << " bags, "
              << kg(report.transferred_kg) << "\n";
    auto tr = t.trace(codes.front());
    std::cout << "\nTrace of " << codes.front() << "\n";
    for (const auto& s : tr.steps)
      std::cout << "  " << local_time(s.at) << "  " << std::left << std::setw(12)
                << enum_name(s.stage) << std::right << " " << s.actor
                << (s.counterpart.empty() ? "" : " + " + s.counterpart)
                << (s.weight_kg ? "  " + kg(*s.weight_kg) : "") << "\n";

    std::ofstream(out_dir / "waste.html") << waste::to_html(report);
    std::ofstream(out_dir / "waste.csv") << waste::to_csv(report);
    std::vector<label::Label> labels;
    for (std::size_t i = 0; i < codes.size() && i < 12; ++i)
      labels.push_back(json::from_json<label::Label>(
          service::call(*store, keeper, "waste.label", {{"code", codes[i]}})));
    std::ofstream(out_dir / "waste_labels.html") << label::sheet_html(labels);
    std::cout << "\nreport written to " << (out_dir / "waste.html").string() << " and "
              << (out_dir / "waste.csv").string() << ", labels to "
              << (out_dir / "waste_labels.html").string() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "error (" << to_string(e.code()) << "): " << e.what() << "\n";
    return 1;
  }
}
