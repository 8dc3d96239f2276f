// libFuzzer target for backup files, the one file a restore reads (a SQLite database holding the
// tables, a manifest and every table's count and checksum). Each input is written to a file and
// checked with verify_backup():
//   - a file that is not a whole, undamaged backup is refused with Error(data_loss),
//     Error(invalid_argument) or Error(failed_precondition) (a table this version does not know)
//     naming what is wrong: never another error, never an exception of another type (a SQLite
//     error that escapes as soci's), never a crash or a hang;
//   - a file the check accepts restores into a platform store of the same schema, or the restore
//     refuses it with a named error (data_loss, failed_precondition): "backups are either
//     complete or refused" (issue 23), and a refused restore leaves the store as it was.
// Seeds: tests/fuzz/backup_corpus (a backup of the fuzz platform store -- migrations, the
// bootstrap administrators and the sample hospital -- with 512-byte pages, so that most
// mutations land in the structure rather than in data).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_support.hpp"
#include "houqin/protect/backup.hpp"
#include "houqin/site/model.hpp"

namespace {

using namespace houqin;
namespace fs = std::filesystem;

const fs::path& work_dir() {
  static const fs::path dir = fuzz::make_temp_dir("backupfuzz");
  return dir;
}

/// The store a verified backup is restored into (built once: every migration and the hospital).
store::Store& target() {
  static const auto s = fuzz::platform_store();
  return *s;
}

/// What a refused restore must leave as it was: the hospital's rooms and staff, table by table
/// (count and checksum). The audit log may gain the record of the refusal.
std::vector<protect::TableSummary> data_of(store::Store& s) {
  return {protect::summarize_table(s, store::table_info<site::Room>()),
          protect::summarize_table(s, store::table_info<site::Staff>())};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto file = work_dir() / "input.backup";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  bool verified = false;
  try {
    protect::verify_backup(file);
    verified = true;
  } catch (const Error& e) {
    if (e.code() != ErrorCode::data_loss && e.code() != ErrorCode::invalid_argument &&
        e.code() != ErrorCode::failed_precondition)
      fuzz::finding(
          std::string("verify_backup: ") + std::string(to_string(e.code())) + ": " + e.what(),
          input);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("verify_backup threw a non-houqin exception: ") + e.what(), input);
  }
  if (verified) {
    auto& s = target();
    const auto before = data_of(s);
    const auto admin = auth::Actor::service("fuzz", {"protect.restore"});
    try {
      protect::restore(s, admin, file);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::data_loss && e.code() != ErrorCode::failed_precondition)
        fuzz::finding(std::string("restore of a verified backup: ") + e.what(), input);
      if (json::to_json(data_of(s)) != json::to_json(before))
        fuzz::finding(std::string("a refused restore changed the store: ") + e.what(), input);
    } catch (const std::exception& e) {
      fuzz::finding(std::string("restore threw a non-houqin exception: ") + e.what(), input);
    }
  }
  std::error_code ignored;
  fs::remove(file, ignored);
  return 0;
}
