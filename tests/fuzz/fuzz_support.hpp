// What the libFuzzer targets share: the finding report and a store with the whole platform
// migrated, the three bootstrap administrators and the sample hospital, on SQLite in memory.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "houqin/auth/auth.hpp"
#include "houqin/core/clock.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/json.hpp"
#include "houqin/platform.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/store.hpp"

namespace houqin::fuzz {

inline constexpr std::string_view password = "Hq-fuzz-2026";

/// Reports what broke the contract, with the input's first bytes, and aborts (libFuzzer keeps the
/// input as a crash).
[[noreturn]] inline void finding(std::string_view what, std::string_view input) {
  std::fprintf(stderr, "FINDING: %.*s\n  input: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(std::min<std::size_t>(input.size(), 300)), input.data());
  std::abort();
}

/// A new directory under the temp dir ("houqin-<name>-XXXXXX"), for the files of one input.
inline std::filesystem::path make_temp_dir(std::string_view name) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("houqin-" + std::string(name) + "-XXXXXX"))
          .string();
  if (!::mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

/// The keyring personal columns are sealed with (a fixed test key).
inline std::shared_ptr<const protect::Keyring> keyring() {
  static const auto ring = [] {
    auto r = std::make_shared<protect::Keyring>();
    r->add("fuzz1", std::string(32, '\x5a'));
    return r;
  }();
  return ring;
}

/// A fresh platform store in memory: every migration, the bootstrap administrators (password
/// above) and the sample hospital.
inline std::unique_ptr<store::Store> platform_store(const Clock* clock = nullptr) {
  store::StoreOptions o;
  o.keys = keyring();
  o.clock = clock;
  auto s = store::Store::open("sqlite::memory:", o);
  auto m = houqin::migrations();
  store::migrate(*s, m);
  auth::Auth(*s, auth::test_policy())
      .bootstrap({"sysadmin", "System Admin", std::string(password)},
                 {"secadmin", "Security Admin", std::string(password)},
                 {"auditor", "Auditor", std::string(password)});
  std::ifstream in(HOUQIN_SAMPLE_HOSPITAL);
  site::import_hospital(*s, json::parse(std::string(std::istreambuf_iterator<char>(in), {})));
  return s;
}

}  // namespace houqin::fuzz
