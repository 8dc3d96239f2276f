#include "crypto/sodium.hpp"

#include <sodium.h>

#include <cstring>

#include "houqin/core/error.hpp"

namespace houqin::crypto {

static_assert(sizeof(crypto_generichash_state) <= 384);

void ensure_init() {
  static const int status = sodium_init();
  if (status < 0) fail(ErrorCode::internal, "libsodium could not be initialised");
}

std::string random_bytes(std::size_t n) {
  ensure_init();
  std::string out(n, '\0');
  randombytes_buf(out.data(), n);
  return out;
}

std::string to_hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string from_hex(std::string_view hex, std::string_view what) {
  std::string out(hex.size() / 2, '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, &end) != 0 ||
      end != hex.data() + hex.size())
    fail(ErrorCode::invalid_argument, std::string(what) + ": not hexadecimal");
  out.resize(len);
  return out;
}

std::string to_base64(std::string_view bytes) {
  constexpr int variant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string from_base64(std::string_view text, std::string_view what) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    fail(ErrorCode::invalid_argument, std::string(what) + ": not base64");
  out.resize(len);
  return out;
}

std::string blake2b(std::string_view data, std::size_t size, std::string_view key) {
  return Blake2b(size, key).update(data).final();
}

Blake2b::Blake2b(std::size_t size, std::string_view key) : size_(size) {
  ensure_init();
  if (size < crypto_generichash_BYTES_MIN || size > crypto_generichash_BYTES_MAX)
    fail(ErrorCode::internal, "BLAKE2b output size out of range");
  auto* st = reinterpret_cast<crypto_generichash_state*>(state_);
  crypto_generichash_init(st, reinterpret_cast<const unsigned char*>(key.data()), key.size(), size);
}

Blake2b& Blake2b::update(std::string_view data) {
  crypto_generichash_update(reinterpret_cast<crypto_generichash_state*>(state_),
                            reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return *this;
}

Blake2b& Blake2b::field(std::string_view data) {
  field(static_cast<std::int64_t>(data.size()));
  return update(data);
}

Blake2b& Blake2b::field(std::int64_t value) {
  unsigned char le[8];
  auto v = static_cast<std::uint64_t>(value);
  for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(v >> (8 * i));
  return update(std::string_view(reinterpret_cast<const char*>(le), 8));
}

std::string Blake2b::final() {
  std::string out(size_, '\0');
  crypto_generichash_final(reinterpret_cast<crypto_generichash_state*>(state_),
                           reinterpret_cast<unsigned char*>(out.data()), size_);
  return out;
}

std::string password_hash(std::string_view password, unsigned long long ops, std::size_t mem) {
  ensure_init();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    fail(ErrorCode::resource_exhausted, "password hashing ran out of memory");
  return out;
}

bool password_verify(const std::string& encoded, std::string_view password) {
  ensure_init();
  return crypto_pwhash_str_verify(encoded.c_str(), password.data(), password.size()) == 0;
}

bool password_needs_rehash(const std::string& encoded, unsigned long long ops, std::size_t mem) {
  ensure_init();
  return crypto_pwhash_str_needs_rehash(encoded.c_str(), ops, mem) != 0;
}

std::string aead_encrypt(std::string_view plaintext, std::string_view ad, std::string_view key) {
  ensure_init();
  if (key.size() != aead_key_size) fail(ErrorCode::internal, "encryption key of wrong size");
  std::string out(aead_nonce_size + plaintext.size() + aead_tag_size, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(p, aead_nonce_size);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      p + aead_nonce_size, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, p,
      reinterpret_cast<const unsigned char*>(key.data()));
  out.resize(aead_nonce_size + len);
  return out;
}

bool aead_decrypt(std::string_view sealed, std::string_view ad, std::string_view key,
                  std::string& plaintext) {
  ensure_init();
  if (key.size() != aead_key_size || sealed.size() < aead_nonce_size + aead_tag_size) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  plaintext.resize(sealed.size() - aead_nonce_size - aead_tag_size);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &len, nullptr, p + aead_nonce_size,
          sealed.size() - aead_nonce_size, reinterpret_cast<const unsigned char*>(ad.data()),
          ad.size(), p, reinterpret_cast<const unsigned char*>(key.data())) != 0) {
    plaintext.clear();
    return false;
  }
  plaintext.resize(len);
  return true;
}

void wipe(std::string& s) noexcept {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace houqin::crypto
