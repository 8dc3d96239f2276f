// The smallest houqin program: open an embedded store, create the schema, import a hospital,
// and ask it something.
#include <houqin/houqin.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace houqin;
  try {
    auto store = store::Store::open("sqlite::memory:");
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
