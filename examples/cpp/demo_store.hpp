// What the demos share: a fresh SQLite file in the output folder with every migration applied,
// the sample hospital imported, a manual clock, and the key for sealed (personal) fields from
// HOUQIN_KEYS or a key file next to the database (a hospital keeps it elsewhere).
#pragma once

#include <filesystem>
#include <houqin/houqin.hpp>
#include <memory>
#include <string>

namespace houqin::demo {

struct DemoStore {
  ManualClock clock;
  std::unique_ptr<store::Store> store;

  /// OUTPUT_DIR/<name>.sqlite (replaced), the clock at `start`, HOSPITAL.json imported.
  DemoStore(const std::filesystem::path& out_dir, const std::string& name,
            const std::string& hospital_json, Timestamp start)
      : clock(start) {
    std::filesystem::create_directories(out_dir);
    const auto db = out_dir / (name + ".sqlite");
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
    store::StoreOptions options;
    options.keys = std::getenv("HOUQIN_KEYS")
                       ? protect::Keyring::from_env()
                       : protect::Keyring::open_or_create(out_dir / "demo.keys", "demo1");
    options.clock = &clock;
    store = store::Store::open("sqlite:" + db.string(), options);
    auto migrations = houqin::migrations();
    store::migrate(*store, migrations);
    site::import_hospital_file(*store, hospital_json);
  }
};

}  // namespace houqin::demo
