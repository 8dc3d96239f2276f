// One storage test suite, every backend: tests take a backend name as their parameter and get a
// fresh, empty Store for it. PostgreSQL runs against the real server that ./dev.sh test starts
// (HOUQIN_TEST_PG_URL); each test gets its own schema, dropped afterwards, or, for a migrated
// store (open_migrated), its own database copied from a migrated template.
#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/stat.h>

#include <unistd.h>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

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

/// A libpq connection for what the fixtures do to the server itself (databases, locks).
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn_);
      PQfinish(conn_);
      throw std::runtime_error("cannot connect to " + url + ": " + why);
    }
  }
  PgAdmin(const PgAdmin&) = delete;
  PgAdmin& operator=(const PgAdmin&) = delete;
  ~PgAdmin() { PQfinish(conn_); }

  /// Runs `sql`; the first column of each row it returns. Throws with the server's message.
  std::vector<std::string> run(const std::string& sql) {
    std::vector<std::string> rows;
    std::string error;
    if (!try_run(sql, &error, &rows)) throw std::runtime_error(sql + ": " + error);
    return rows;
  }
  /// Runs `sql`; false with the server's message in `error` when it fails.
  bool try_run(const std::string& sql, std::string* error = nullptr,
               std::vector<std::string>* rows = nullptr) {
    PGresult* r = PQexec(conn_, sql.c_str());
    const auto status = PQresultStatus(r);
    const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok && error) *error = PQresultErrorMessage(r);
    if (ok && rows)
      for (int i = 0; i < PQntuples(r); ++i) rows->emplace_back(PQgetvalue(r, i, 0));
    PQclear(r);
    return ok;
  }

 private:
  PGconn* conn_;
};

/// The name of the PostgreSQL template database holding `migrations` applied by this build: a
/// hash of libhouqin's file (path, size, time; a rebuilt library has new migration code) and of
/// the migrations' domains, numbers and descriptions.
inline std::string template_name(const std::vector<store::Migration>& migrations) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto mix = [&](const std::string& text) {
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&store::migrate), &info) != 0 && info.dli_fname) {
    struct stat st {};
    mix(info.dli_fname);
    if (::stat(info.dli_fname, &st) == 0)
      mix(std::to_string(st.st_size) + "/" + std::to_string(st.st_ino) + "/" +
          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
  }
  for (const auto& m : migrations)
    mix(m.domain + "/" + std::to_string(m.version) + "/" + m.description);
  static const char* hex = "0123456789abcdef";
  std::string name = "hq_tpl_";
  for (int shift = 60; shift >= 0; shift -= 4) name += hex[(h >> shift) & 0xf];
  return name;
}

class BackendFixture {
 public:
  /// Opens a fresh store for `backend`; calls GTEST_SKIP (or fails when HOUQIN_REQUIRE_PG is set)
  /// when PostgreSQL is not configured.
  std::unique_ptr<store::Store> open(const std::string& backend, store::StoreOptions options = {}) {
    const int n = serial()++;
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
    pg_admin_ = std::make_unique<PgAdmin>(pg_url());
    pg_admin_->run("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    pg_admin_->run("CREATE SCHEMA " + schema_);
    url_ = with_option(pg_url(), "options=-csearch_path%3D" + schema_);
    return store::Store::open(url_, options);
  }
  /// open() followed by the given migrations. On PostgreSQL the store is a database of its own,
  /// copied from a template that has them applied (made by the first test of a build that needs
  /// it, under an advisory lock): a file copy costs the server a fifth of the CPU of running the
  /// platform's DDL again (docs/development.md). What migrate() writes is the same in every
  /// copy (the template is migrated with the first caller's options; the platform fixtures'
  /// clocks all start at the same time).
  std::unique_ptr<store::Store> open_migrated(const std::string& backend,
                                              const std::vector<store::Migration>& migrations,
                                              store::StoreOptions options = {}) {
    if (backend != "postgresql") {
      auto s = open(backend, options);
      if (s) store::migrate(*s, migrations);
      return s;
    }
    if (pg_url().empty()) return nullptr;
    if (!options.keys) options.keys = test_keyring();
    const std::string tpl = template_name(migrations);
    database_ = "hq_d" + std::to_string(::getpid()) + "_" + std::to_string(serial()++);
    pg_admin_ = std::make_unique<PgAdmin>(pg_url());
    pg_admin_->run("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    const std::string create =
        "CREATE DATABASE " + database_ + " TEMPLATE " + tpl + " STRATEGY FILE_COPY";
    if (!pg_admin_->try_run(create)) {
      pg_admin_->run("SELECT pg_advisory_lock(7318022)");
      try {
        if (pg_admin_->run("SELECT 1 FROM pg_database WHERE datname = '" + tpl + "'").empty())
          make_template(tpl, migrations, options);
      } catch (...) {
        pg_admin_->try_run("SELECT pg_advisory_unlock(7318022)");
        throw;
      }
      pg_admin_->run("SELECT pg_advisory_unlock(7318022)");
      pg_admin_->run(create);
    }
    url_ = with_option(pg_url(), "dbname=" + database_);
    return store::Store::open(url_, options);
  }
  /// The URL of the last store opened (to open a second connection to the same database).
  const std::string& url() const { return url_; }

  ~BackendFixture() {
    if (pg_admin_ && !database_.empty())  // FORCE: a connection the test left open is cut
      pg_admin_->try_run("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
    if (pg_admin_ && !schema_.empty())
      pg_admin_->try_run("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

 private:
  /// Numbers the schemas and databases of this process.
  static std::atomic<int>& serial() {
    static std::atomic<int> n{0};
    return n;
  }
  /// Makes template `tpl` (under the advisory lock): built under another name and renamed, so
  /// that no process copies a half-migrated one; the templates of other builds are dropped.
  void make_template(const std::string& tpl, const std::vector<store::Migration>& migrations,
                     const store::StoreOptions& options) {
    for (const auto& old :
         pg_admin_->run("SELECT datname FROM pg_database WHERE datname LIKE 'hq\\_tpl\\_%'"))
      pg_admin_->try_run("DROP DATABASE IF EXISTS " + old);  // in use elsewhere: stays
    const std::string building = tpl + "_new";
    pg_admin_->run("DROP DATABASE IF EXISTS " + building + " WITH (FORCE)");
    pg_admin_->run("CREATE DATABASE " + building);
    {
      auto s = store::Store::open(with_option(pg_url(), "dbname=" + building), options);
      store::migrate(*s, migrations);
    }
    pg_admin_->run("ALTER DATABASE " + building + " RENAME TO " + tpl);
  }

  std::unique_ptr<PgAdmin> pg_admin_;
  std::string database_;
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
