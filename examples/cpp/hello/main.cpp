// The smallest houqin program: open an embedded store, create the schema, import a hospital,
// and ask it something.
#include <houqin/houqin.hpp>

#include <iostream>
#include <memory>

int main(int argc, char** argv) {
  using namespace houqin;
  try {
    // Personal data (staff phones) is sealed at rest: keys come from HOUQIN_KEYS, a key file or
    // a callback. This example makes a throwaway key.
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("example", std::string(32, '\x42'));
    store::StoreOptions options;
    options.keys = keys;
    auto store = store::Store::open("sqlite::memory:", options);
    auto migrations = site::migrations();
    store::migrate(*store, migrations);
    if (argc > 1) site::import_hospital_file(*store, argv[1]);

    auto summary = site::summarize(*store);
    std::cout << "houqin " << version_string() << ": rooms: " << summary.rooms
              << ", staff: " << summary.staff << "\n";
    if (version_number() != HOUQIN_VERSION_NUMBER)
      std::cerr << "warning: headers and library differ\n";
    // Every entity speaks JSON through its description.
    store::Repository<site::Room> rooms(*store);
    if (auto icu = rooms.find_one(store::Query<site::Room>().where(&site::Room::type, store::Op::eq,
                                                                   site::RoomType::icu)))
      std::cout << json::to_json(*icu).dump() << "\n";
  } catch (const Error& e) {
    std::cerr << "error (" << to_string(e.code()) << "): " << e.what() << "\n";
    return 1;
  }
}
