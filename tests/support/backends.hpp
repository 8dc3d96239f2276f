// One storage test suite, every backend: tests take a backend name as their parameter and get a
// fresh, empty Store for it. PostgreSQL runs against the real server that ./dev.sh test starts
// (HOUQIN_TEST_PG_URL); each test gets its own schema, dropped afterwards.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "houqin/protect/keyring.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::testing {

inline std::string pg_url() {
  const char* url = std::getenv("HOUQIN_TEST_PG_URL");
  return url ? url : "";
}

/// The backends every storage test runs on.
/// The keyring test stores are opened with unless a test passes its own: one fixed key "test1".
inline std::shared_ptr<const protect::Keyring> test_keyring() {
  static const auto ring = [] {
    auto r = std::make_shared<protect::Keyring>();
    r->add("test1", std::string(32, '\x5a'));
    return r;
  }();
  return ring;
}

inline std::vector<std::string> backends() {
  return {"sqlite_memory", "sqlite_file", "postgresql"};
}

/// Appends a libpq option to a URL that may or may not have a query string yet.
inline std::string with_option(const std::string& url, const std::string& option) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + option;
}

class BackendFixture {
 public:
  /// Opens a fresh store for `backend`; calls GTEST_SKIP (or fails when HOUQIN_REQUIRE_PG is set)
  /// when PostgreSQL is not configured.
  std::unique_ptr<store::Store> open(const std::string& backend, store::StoreOptions options = {}) {
    static std::atomic<int> counter{0};
    int n = counter++;
    if (!options.keys) options.keys = test_keyring();
    if (backend == "sqlite_memory") return store::Store::open("sqlite::memory:", options);
    if (backend == "sqlite_file") {
      dir_ = std::filesystem::temp_directory_path() /
             ("houqin-test-" + std::to_string(::getpid()) + "-" + std::to_string(n));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
      url_ = "sqlite:" + (dir_ / "test db.sqlite").string();  // a space in the path on purpose
      return store::Store::open(url_, options);
    }
    if (pg_url().empty()) return nullptr;
    schema_ = "hq_t" + std::to_string(::getpid()) + "_" + std::to_string(n);
    admin_ = store::Store::open(pg_url());
    admin_->execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    admin_->execute("CREATE SCHEMA " + schema_);
    url_ = with_option(pg_url(), "options=-csearch_path%3D" + schema_);
    return store::Store::open(url_, options);
  }
  /// open() followed by the given migrations.
  std::unique_ptr<store::Store> open_migrated(const std::string& backend,
                                              const std::vector<store::Migration>& migrations) {
    auto s = open(backend);
    if (s) store::migrate(*s, migrations);
    return s;
  }
  /// The URL of the last store opened (to open a second connection to the same database).
  const std::string& url() const { return url_; }

  ~BackendFixture() {
    if (admin_) {
      try {
        admin_->execute("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      } catch (...) {
      }
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

 private:
  std::unique_ptr<store::Store> admin_;
  std::string schema_;
  std::filesystem::path dir_;
  std::string url_;
};

inline bool require_pg() {
  return std::getenv("HOUQIN_REQUIRE_PG") != nullptr;
}

}  // namespace houqin::testing

/// After `auto store = ...open...;` in a test body: skips when PostgreSQL is not configured (a
/// null store), or fails when HOUQIN_REQUIRE_PG says it must be (./dev.sh test sets it).
#define HQ_REQUIRE_STORE(store_var)                                                 \
  if (!(store_var)) {                                                               \
    if (::houqin::testing::require_pg()) FAIL() << "HOUQIN_TEST_PG_URL is not set"; \
    GTEST_SKIP() << "PostgreSQL not configured (HOUQIN_TEST_PG_URL)";               \
  }
