// A throwaway SQLite file store for a benchmark: every migration applied, a manual clock, and a key
// for the sealed (personal) fields; the file and its WAL are removed when it goes.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <houqin/houqin.hpp>
#include <memory>
#include <string>

namespace houqin::bench {

struct TempStore {
  std::filesystem::path path;
  ManualClock clock;
  std::unique_ptr<store::Store> store;

  /// A file named after the program and `name`, unique to this process.
  TempStore(const std::string& program, const std::string& name, Timestamp start)
      : path(std::filesystem::temp_directory_path() /
             ("houqin-" + program + "-" + name + "-" + std::to_string(::getpid()) + ".sqlite")),
        clock(start) {
    clean();
    auto keys = std::make_shared<protect::Keyring>();
    keys->add("bench", std::string(32, '\x22'));
    store::StoreOptions o;
    o.keys = keys;
    o.clock = &clock;
    store = store::Store::open("sqlite:" + path.string(), o);
    auto m = houqin::migrations();
    store::migrate(*store, m);
  }
  ~TempStore() {
    store.reset();
    clean();
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

 private:
  void clean() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
};

}  // namespace houqin::bench
