// Internal: the few libsodium primitives houqin uses, wrapped so that every caller gets houqin
// errors and std::string results. houqin writes no cryptography of its own (see docs/security.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace houqin::crypto {

/// sodium_init() once per process; throws Error(internal) when libsodium cannot start.
void ensure_init();

/// `n` bytes from the operating system's CSPRNG.
std::string random_bytes(std::size_t n);

std::string to_hex(std::string_view bytes);
/// Throws Error(invalid_argument) naming `what` for anything but an even number of hex digits.
std::string from_hex(std::string_view hex, std::string_view what);
std::string to_base64(std::string_view bytes);
/// Throws Error(invalid_argument) naming `what` for malformed base64.
std::string from_base64(std::string_view text, std::string_view what);

/// BLAKE2b (crypto_generichash) of `data`, `size` bytes of output, optionally keyed.
std::string blake2b(std::string_view data, std::size_t size = 32, std::string_view key = {});

/// Incremental BLAKE2b for inputs built from several fields.
class Blake2b {
 public:
  explicit Blake2b(std::size_t size = 32, std::string_view key = {});
  Blake2b& update(std::string_view data);
  /// A length prefix then the bytes: unambiguous concatenation of fields.
  Blake2b& field(std::string_view data);
  Blake2b& field(std::int64_t value);
  std::string final();

 private:
  alignas(64) unsigned char state_[384];
  std::size_t size_;
};

/// Argon2id (crypto_pwhash_str): the encoded hash carries its own salt and cost.
std::string password_hash(std::string_view password, unsigned long long ops, std::size_t mem);
bool password_verify(const std::string& encoded, std::string_view password);
bool password_needs_rehash(const std::string& encoded, unsigned long long ops, std::size_t mem);

inline constexpr std::size_t aead_key_size = 32;
inline constexpr std::size_t aead_nonce_size = 24;
inline constexpr std::size_t aead_tag_size = 16;

/// XChaCha20-Poly1305 (IETF): returns nonce || ciphertext || tag.
std::string aead_encrypt(std::string_view plaintext, std::string_view ad, std::string_view key);
/// Returns false when the key is wrong or the data or `ad` was changed.
bool aead_decrypt(std::string_view sealed, std::string_view ad, std::string_view key,
                  std::string& plaintext);

/// Overwrites memory in a way the compiler keeps.
void wipe(std::string& s) noexcept;

}  // namespace houqin::crypto
