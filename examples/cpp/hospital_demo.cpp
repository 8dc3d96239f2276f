// ./dev.sh demo: builds the sample hospital in an embedded SQLite file and shows what is in it,
// as text on the terminal and as an HTML page with charts.
#include <houqin/houqin.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace {

using namespace houqin;

/// A horizontal bar chart of counts, in a captioned figure.
std::string bar_chart(const std::string& title, const std::map<std::string, std::int64_t>& data) {
  std::vector<chart::Bar> bars;
  for (const auto& [k, v] : data) bars.push_back({k, static_cast<double>(v)});
  return chart::figure(title, chart::bars(bars, {.width = 630, .label_width = 150}));
}

void print_counts(const std::string& title, const std::map<std::string, std::int64_t>& data) {
  std::cout << "\n" << title << "\n";
  for (const auto& [k, v] : data)
    std::cout << "  " << std::left << std::setw(20) << k << std::right << std::setw(5) << v << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: hospital_demo HOSPITAL.json OUTPUT_DIR\n";
    return 2;
  }
  try {
    std::filesystem::path out_dir = argv[2];
    std::filesystem::create_directories(out_dir);
    auto db = out_dir / "hospital.sqlite";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);

    // Staff phones are personal data, sealed at rest: the demo keeps its key in a key file next
    // to the database (a hospital keeps it elsewhere, or passes HOUQIN_KEYS).
    auto keys = std::getenv("HOUQIN_KEYS")
                    ? protect::Keyring::from_env()
                    : protect::Keyring::open_or_create(out_dir / "demo.keys", "demo1");
    auto store = store::Store::open("sqlite:" + db.string(), {.keys = keys});
    auto migrations = site::migrations();
    std::cout << "houqin " << version_string() << " - embedded store " << store->url() << "\n";
    std::cout << "schema migrations applied: " << store::migrate(*store, migrations) << "\n";

    auto t0 = std::chrono::steady_clock::now();
    auto report = site::import_hospital_file(*store, argv[1]);
    auto ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "imported " << report.total << " records from " << argv[1] << " in " << std::fixed
              << std::setprecision(1) << ms << " ms\n";

    auto s = site::summarize(*store);
    std::cout << "\n== " << store::Repository<site::Campus>(*store).find().front().name << " ==\n"
              << "  campuses " << s.campuses << ", buildings " << s.buildings << ", floors "
              << s.floors << ", rooms " << s.rooms << " (" << s.beds << " beds)\n"
              << "  departments " << s.departments << ", staff " << s.staff << " ("
              << s.active_staff << " active), shifts " << s.shifts << ", dictionary entries "
              << s.dictionary_entries << ", knowledge articles " << s.articles << "\n";
    std::cout << "\nBuildings\n";
    for (const auto& b : store::Repository<site::Building>(*store).find(
             store::Query<site::Building>().order_by(&site::Building::code))) {
      auto rooms = 0;
      for (const auto& f : store::Repository<site::Floor>(*store).find(
               store::Query<site::Floor>().where(&site::Floor::building_id, store::Op::eq, b.id)))
        rooms += static_cast<int>(store::Repository<site::Room>(*store).count(
            store::Query<site::Room>().where(&site::Room::floor_id, store::Op::eq, f.id)));
      std::cout << "  " << b.code << "  " << b.name << "  " << b.floors_above << "F/B"
                << b.floors_below << "  " << rooms << " rooms\n";
    }
    print_counts("Rooms by type", s.rooms_by_type);
    print_counts("Departments by kind", s.departments_by_kind);
    print_counts("Active staff by skill", s.staff_by_skill);

    std::cout << "\nKnowledge base: search '氧气'\n";
    for (const auto& a : site::search_knowledge(*store, "氧气", 5))
      std::cout << "  [" << a.code << "] " << a.title << "\n";

    auto html_path = out_dir / "hospital.html";
    std::ofstream html(html_path);
    html << "<!doctype html><meta charset='utf-8'><title>houqin - hospital model</title>"
            "<style>body{font-family:sans-serif;margin:2em}figure{margin:1em 0}"
            "figcaption{font-weight:bold;margin-bottom:.3em}text{font-size:12px}</style>"
         << "<h1>Hospital model</h1><p>" << s.campuses << " campuses, " << s.buildings
         << " buildings, " << s.rooms << " rooms (" << s.beds << " beds), " << s.departments
         << " departments, " << s.staff << " staff.</p>"
         << bar_chart("Rooms by type", s.rooms_by_type)
         << bar_chart("Departments by kind", s.departments_by_kind)
         << bar_chart("Active staff by skill", s.staff_by_skill);
    html.close();
    std::cout << "\nreport written to " << html_path.string() << "\n";
    return 0;
  } catch (const Error& e) {
    std::cerr << "error (" << to_string(e.code()) << "): " << e.what() << "\n";
    return 1;
  }
}
