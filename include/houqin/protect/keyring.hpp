// Keys for personal data at rest. A Keyring maps key ids to 256-bit keys and names the active one:
// new values are sealed under the active key, old values open under whichever key sealed them, so
// keys rotate without downtime (protect::rotate_keys re-seals everything under the active key).
// Keys come from a key file, an environment variable or a host callback; houqin never stores them.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/store/store.hpp"

namespace houqin::protect {

class HOUQIN_EXPORT Keyring final : public store::Sealer {
 public:
  /// Fetches the raw 32-byte key for an id, or returns nullopt when the host has no such key.
  using Fetch = std::function<std::optional<std::string>(std::string_view key_id)>;

  Keyring() = default;
  ~Keyring() override;
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  /// A key file: one key per line, "<id> <base64 of 32 bytes>", '#' starts a comment. The last
  /// key is the active one, so rotating means appending a line. Errors name the file and line.
  static std::shared_ptr<Keyring> from_file(const std::filesystem::path& path);
  /// The same format in an environment variable, keys separated by ';' or newlines
  /// (default HOUQIN_KEYS). Error(failed_precondition) when the variable is unset.
  static std::shared_ptr<Keyring> from_env(const char* variable = "HOUQIN_KEYS");
  /// Keys fetched on first use from the host (an HSM, a vault client); `active_id` seals.
  static std::shared_ptr<Keyring> from_callback(Fetch fetch, std::string active_id);
  /// The key file at `path`; when there is none, first creates it with one fresh random key
  /// `key_id` -- readable by the owner only from the start (never a moment with wider rights)
  /// and written to disk before it is used. For tools and demos that keep their key beside their
  /// data; a hospital keeps the key file away from the database. Errors as from_file, and
  /// Error(unavailable) when the file cannot be created.
  static std::shared_ptr<Keyring> open_or_create(const std::filesystem::path& path,
                                                 std::string_view key_id);
  /// One key line "<id> <base64>" with a fresh random key, for tools and tests.
  static std::string generate_line(std::string_view key_id);

  /// Adds a key (raw 32 bytes) and makes it active. Error(invalid_argument) for a bad id or size,
  /// Error(already_exists) for an id already held with a different key.
  void add(std::string_view key_id, std::string_view key);
  /// Makes an id already held (or fetchable) the one that seals. Error(not_found) otherwise.
  void set_active(std::string_view key_id);
  std::string active_id() const override;
  bool has(std::string_view key_id) const;

  /// "hq1:<key id>:<base64 nonce|ciphertext|tag>", bound to `context` (table.column): a value
  /// moved to another column no longer opens.
  std::string seal(std::string_view plaintext, std::string_view context) const override;
  /// Opens what seal() made. Errors name `what` (e.g. "site_staff.phone of row 7"):
  /// Error(failed_precondition) for a key the ring does not hold, Error(data_loss) for a wrong key,
  /// changed data or a value that is not sealed at all.
  std::string open(std::string_view sealed, std::string_view context,
                   std::string_view what) const override;
  /// The key id of a sealed value; nullopt when the value is not in the sealed format.
  static std::optional<std::string> key_id_of(std::string_view sealed);

 private:
  const std::string* key(std::string_view key_id) const;  // null when unknown

  mutable std::mutex mutex_;
  mutable std::map<std::string, std::string, std::less<>> keys_;
  std::string active_;
  Fetch fetch_;
};

/// The masked form of a UTF-8 value (masks characters, not bytes).
HOUQIN_EXPORT std::string mask(std::string_view value, Mask kind);

}  // namespace houqin::protect
