// Point maps in the store: the drivers domain's migrations, all-or-nothing import of a point-map
// document, and reading a stored map back for the acquisition threads.
#pragma once

#include <vector>

#include "houqin/drivers/point_map.hpp"
#include "houqin/store/document.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/registry.hpp"

namespace houqin::drivers {

using PointMapDocument = store::Document<Device, Point>;

/// The drivers domain's schema migrations (domain "drivers").
HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// Adds devices and points to `registry`.
HOUQIN_EXPORT void register_entities(store::EntityRegistry& registry);

/// Validates the whole document with validate_map() and then imports it in one transaction; any
/// error names the entry at fault and leaves the store unchanged.
HOUQIN_EXPORT store::ImportReport import_point_map(store::Store& store, const json::Json& document);

/// Every stored device and point (ids are store ids), validated.
HOUQIN_EXPORT PointMap read_point_map(store::Store& store);

}  // namespace houqin::drivers
