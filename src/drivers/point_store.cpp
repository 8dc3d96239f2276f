#include "houqin/drivers/point_store.hpp"

#include "houqin/store/catalog.hpp"
#include "houqin/store/registry.hpp"

namespace houqin::drivers {
namespace {
[[maybe_unused]] const bool registered = store::register_tables<Device, Point>("drivers");
[[maybe_unused]] const bool exposed = store::expose<Device, Point>(
    {.read = "telemetry.read", .write = "telemetry.configure", .read_personal = ""});
}  // namespace

std::vector<store::Migration> migrations() {
  using store::create_table;
  return {
      {"drivers", 1, "field devices and their point maps",
       [](store::Store& s) {
         create_table<Device>(s);
         create_table<Point>(s);
       }},
  };
}

void register_entities(store::EntityRegistry& registry) {
  registry.add<Device>();
  registry.add<Point>();
}

store::ImportReport import_point_map(store::Store& store, const json::Json& document) {
  load_point_map(document);  // the whole-map rules (overlaps, ...) before anything is written
  return PointMapDocument::import_json(store, document, {"format", "format_version"});
}

PointMap read_point_map(store::Store& store) {
  PointMap map;
  map.devices = store::Repository<Device>(store).find();
  map.points = store::Repository<Point>(store).find();
  validate_map(map);
  return map;
}

}  // namespace houqin::drivers
