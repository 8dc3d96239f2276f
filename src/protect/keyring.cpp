#include "houqin/protect/keyring.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "crypto/sodium.hpp"
#include "houqin/core/error.hpp"

namespace houqin::protect {
namespace {

constexpr std::string_view prefix = "hq1:";

void check_id(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 32;
  for (char c : id)
    ok = ok && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.');
  if (!ok)
    fail(ErrorCode::invalid_argument,
         "key id '" + std::string(id) + "': 1-32 letters, digits, '-', '_' or '.'");
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

/// Parses key lines into `ring`; `where(n)` names line n in errors.
void load_lines(Keyring& ring, const std::vector<std::string>& lines,
                const std::function<std::string(std::size_t)>& where) {
  bool any = false;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string line = trim(lines[n].substr(0, lines[n].find('#')));
    if (line.empty()) continue;
    auto space = line.find_first_of(" \t");
    if (space == std::string::npos)
      fail(ErrorCode::invalid_argument, where(n) + ": expected '<key id> <base64 key>'");
    std::string id = line.substr(0, space);
    std::string b64 = trim(line.substr(space + 1));
    std::string key;
    try {
      check_id(id);
      key = crypto::from_base64(b64, "key '" + id + "'");
      ring.add(id, key);
    } catch (const Error& e) {
      crypto::wipe(key);
      fail(e.code(), where(n) + ": " + e.what());
    }
    crypto::wipe(key);
    any = true;
  }
  if (!any) fail(ErrorCode::invalid_argument, where(lines.size()) + ": no keys");
}

}  // namespace

Keyring::~Keyring() {
  for (auto& [id, k] : keys_) crypto::wipe(k);
}

std::shared_ptr<Keyring> Keyring::from_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) fail(ErrorCode::failed_precondition, "key file " + path.string() + ": cannot be read");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  auto ring = std::make_shared<Keyring>();
  load_lines(*ring, lines, [&](std::size_t n) {
    return "key file " + path.string() + " line " + std::to_string(n + 1);
  });
  for (auto& l : lines) crypto::wipe(l);
  return ring;
}

std::shared_ptr<Keyring> Keyring::from_env(const char* variable) {
  const char* value = std::getenv(variable);
  if (!value || !*value)
    fail(ErrorCode::failed_precondition,
         std::string("environment variable ") + variable + " holds no keys");
  std::vector<std::string> lines;
  std::string current;
  for (const char* p = value; *p; ++p) {
    if (*p == ';' || *p == '\n') {
      lines.push_back(current);
      current.clear();
    } else {
      current += *p;
    }
  }
  lines.push_back(current);
  auto ring = std::make_shared<Keyring>();
  load_lines(*ring, lines, [&](std::size_t n) {
    return std::string("environment variable ") + variable + " entry " + std::to_string(n + 1);
  });
  for (auto& l : lines) crypto::wipe(l);
  return ring;
}

std::shared_ptr<Keyring> Keyring::from_callback(Fetch fetch, std::string active_id) {
  check_id(active_id);
  if (!fetch) fail(ErrorCode::invalid_argument, "key callback: must not be empty");
  auto ring = std::make_shared<Keyring>();
  ring->fetch_ = std::move(fetch);
  ring->set_active(active_id);
  return ring;
}

std::shared_ptr<Keyring> Keyring::open_or_create(const std::filesystem::path& path,
                                                 std::string_view key_id) {
  auto line = generate_line(key_id) + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    std::string text = "# houqin key file: keep it away from the database\n" + line;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
              ::fsync(fd) == 0;
    ::close(fd);
    crypto::wipe(text);
    crypto::wipe(line);
    if (!ok) {
      std::filesystem::remove(path);
      fail(ErrorCode::unavailable, "key file " + path.string() + ": cannot be written");
    }
  } else {
    crypto::wipe(line);
    if (errno != EEXIST)
      fail(ErrorCode::unavailable,
           "key file " + path.string() + ": cannot be created (" + std::strerror(errno) + ")");
  }
  return from_file(path);
}

std::string Keyring::generate_line(std::string_view key_id) {
  check_id(key_id);
  auto key = crypto::random_bytes(crypto::aead_key_size);
  auto line = std::string(key_id) + " " + crypto::to_base64(key);
  crypto::wipe(key);
  return line;
}

void Keyring::add(std::string_view key_id, std::string_view key) {
  check_id(key_id);
  if (key.size() != crypto::aead_key_size)
    fail(ErrorCode::invalid_argument, "key '" + std::string(key_id) + "': " +
                                          std::to_string(key.size()) + " bytes, a key has 32");
  std::lock_guard lock(mutex_);
  if (auto it = keys_.find(key_id); it != keys_.end()) {
    if (it->second != key)
      fail(ErrorCode::already_exists,
           "key '" + std::string(key_id) + "': the ring holds a different key with this id");
  } else {
    keys_.emplace(std::string(key_id), std::string(key));
  }
  active_ = std::string(key_id);
}

void Keyring::set_active(std::string_view key_id) {
  if (!key(key_id)) fail(ErrorCode::not_found, "key '" + std::string(key_id) + "': not held");
  std::lock_guard lock(mutex_);
  active_ = std::string(key_id);
}

std::string Keyring::active_id() const {
  std::lock_guard lock(mutex_);
  return active_;
}

bool Keyring::has(std::string_view key_id) const {
  return key(key_id) != nullptr;
}

const std::string* Keyring::key(std::string_view key_id) const {
  std::lock_guard lock(mutex_);
  if (auto it = keys_.find(key_id); it != keys_.end()) return &it->second;
  if (!fetch_) return nullptr;
  auto fetched = fetch_(key_id);
  if (!fetched) return nullptr;
  if (fetched->size() != crypto::aead_key_size) {
    crypto::wipe(*fetched);
    fail(ErrorCode::invalid_argument, "key callback returned " + std::to_string(fetched->size()) +
                                          " bytes for key '" + std::string(key_id) +
                                          "', a key has 32");
  }
  auto& slot = keys_[std::string(key_id)];  // map nodes are stable: the pointer stays valid
  slot = std::move(*fetched);
  return &slot;
}

std::string Keyring::seal(std::string_view plaintext, std::string_view context) const {
  std::string id = active_id();
  const std::string* k = id.empty() ? nullptr : key(id);
  if (!k)
    fail(ErrorCode::failed_precondition,
         "keyring has no active key to seal " + std::string(context));
  return std::string(prefix) + id + ":" +
         crypto::to_base64(crypto::aead_encrypt(plaintext, context, *k));
}

std::optional<std::string> Keyring::key_id_of(std::string_view sealed) {
  if (sealed.substr(0, prefix.size()) != prefix) return std::nullopt;
  auto rest = sealed.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return std::string(rest.substr(0, colon));
}

std::string Keyring::open(std::string_view sealed, std::string_view context,
                          std::string_view what) const {
  auto id = key_id_of(sealed);
  if (!id)
    fail(ErrorCode::data_loss,
         std::string(what) + ": not sealed (plaintext in an encrypted column; run rotate_keys)");
  const std::string* k = key(*id);
  if (!k)
    fail(ErrorCode::failed_precondition,
         std::string(what) + ": sealed with key '" + *id + "', which the keyring does not hold");
  std::string bytes;
  try {
    bytes = crypto::from_base64(sealed.substr(prefix.size() + id->size() + 1), what);
  } catch (const Error&) {
    fail(ErrorCode::data_loss, std::string(what) + ": sealed value is not valid base64");
  }
  std::string plain;
  if (!crypto::aead_decrypt(bytes, context, *k, plain))
    fail(ErrorCode::data_loss, std::string(what) + ": cannot be opened with key '" + *id +
                                   "' (wrong key, or the stored value was changed)");
  return plain;
}

// ---- masking -----------------------------------------------------------------------------------

namespace {

/// Splits UTF-8 into characters (invalid bytes count as one character each).
std::vector<std::string_view> characters(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 1;
    if (i + n > s.size()) n = 1;
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::string keep(const std::vector<std::string_view>& cs, std::size_t head, std::size_t tail) {
  std::string out;
  for (std::size_t i = 0; i < cs.size(); ++i)
    out += (i < head || i + tail >= cs.size()) ? std::string(cs[i]) : std::string("*");
  return out;
}

}  // namespace

std::string mask(std::string_view value, Mask kind) {
  auto cs = characters(value);
  const std::size_t n = cs.size();
  if (n == 0) return {};
  switch (kind) {
    case Mask::name:
      if (n == 1) return "*";
      if (n == 2) return keep(cs, 1, 0);
      return keep(cs, 1, 1);
    case Mask::phone:
      if (n >= 11) return keep(cs, 3, 4);
      if (n >= 7) return keep(cs, 2, 2);
      return keep(cs, 0, n > 4 ? 1 : 0);
    case Mask::id_number:
      if (n >= 15) return keep(cs, 3, 4);
      return keep(cs, 1, 1);
    case Mask::text:
      return keep(cs, 1, 0);
    case Mask::full:
      return keep(cs, 0, 0);
  }
  return keep(cs, 0, 0);
}

}  // namespace houqin::protect
