// NTAG 424 DNA SUN verification (see sun.hpp) on OpenSSL's libcrypto: AES-128 in ECB and CBC
// mode and AES-CMAC through EVP_MAC. Every OpenSSL failure becomes Error(internal); key material
// copied into local buffers is wiped with OPENSSL_cleanse before it goes out of scope.
#include "houqin/inspection/sun.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstddef>
#include <memory>
#include <span>
#include <utility>

#include "houqin/core/error.hpp"

namespace houqin::inspection {
namespace {

using Block = std::array<std::uint8_t, 16>;
constexpr std::size_t kUidSize = 7;
constexpr std::uint32_t kMaxCounter = 0xFFFFFF;
/// PICCDataTag for a tag that mirrors UID and counter: bit 7 UID, bit 6 SDMReadCtr, bits 5-4 RFU,
/// bits 3-0 the UID length (7).
constexpr std::uint8_t kPiccDataTag = 0xC7;

/// Wipes a buffer of key material when it goes out of scope, however the scope is left.
template <typename Buffer>
class Wiped {
 public:
  Wiped() = default;
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { OPENSSL_cleanse(value.data(), value.size()); }
  Buffer value{};
};

[[noreturn]] void fail_openssl(const char* call) {
  // The queue holds the reason; drain it so that it is not reported against a later, unrelated
  // OpenSSL call in this thread.
  char reason[256] = "no reason queued";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  ERR_clear_error();
  fail(ErrorCode::internal, std::string("sun: OpenSSL ") + call + " failed: " + reason);
}

void check(int ok, const char* call) {
  if (ok != 1) fail_openssl(call);
}

struct CipherFree {
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
};
struct MacFree {
  void operator()(EVP_MAC* m) const { EVP_MAC_free(m); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

/// Algorithms are fetched once per process: an implicit fetch on every call would cost a locked
/// lookup in OpenSSL's provider store per tap.
EVP_CIPHER* fetch_cipher(const char* name) {
  EVP_CIPHER* fetched = EVP_CIPHER_fetch(nullptr, name, nullptr);
  if (fetched == nullptr) fail_openssl("EVP_CIPHER_fetch");
  return fetched;
}

const EVP_CIPHER* aes_ecb() {
  static const std::unique_ptr<EVP_CIPHER, CipherFree> ecb(fetch_cipher("AES-128-ECB"));
  return ecb.get();
}

const EVP_CIPHER* aes_cbc() {
  static const std::unique_ptr<EVP_CIPHER, CipherFree> cbc(fetch_cipher("AES-128-CBC"));
  return cbc.get();
}

EVP_MAC* cmac_algorithm() {
  static const std::unique_ptr<EVP_MAC, MacFree> mac([] {
    EVP_MAC* fetched = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
    if (fetched == nullptr) fail_openssl("EVP_MAC_fetch");
    return fetched;
  }());
  return mac.get();
}

std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> new_cipher_ctx() {
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  if (!ctx) fail_openssl("EVP_CIPHER_CTX_new");
  return ctx;
}

// Results that are key material are written through out-parameters rather than returned, so that
// no unwiped temporary copy is left on the stack.

/// AES-128 of one block; the context is freed (and its key schedule wiped) on return.
void aes_encrypt_block(const std::uint8_t* key, const Block& in, Block& out) {
  auto ctx = new_cipher_ctx();
  check(EVP_EncryptInit_ex2(ctx.get(), aes_ecb(), key, nullptr, nullptr), "EVP_EncryptInit_ex2");
  check(EVP_CIPHER_CTX_set_padding(ctx.get(), 0), "EVP_CIPHER_CTX_set_padding");
  int written = 0;
  check(EVP_EncryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())),
        "EVP_EncryptUpdate");
  int tail = 0;
  check(EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &tail), "EVP_EncryptFinal_ex");
  if (written + tail != static_cast<int>(out.size())) fail_openssl("EVP_EncryptUpdate (length)");
}

/// AES-128-CBC decryption of whole blocks, no padding, into `out` (same size as `in`).
void aes_cbc_decrypt(const std::uint8_t* key, const Block& iv, std::span<const std::uint8_t> in,
                     std::span<std::uint8_t> out) {
  auto ctx = new_cipher_ctx();
  check(EVP_DecryptInit_ex2(ctx.get(), aes_cbc(), key, iv.data(), nullptr), "EVP_DecryptInit_ex2");
  check(EVP_CIPHER_CTX_set_padding(ctx.get(), 0), "EVP_CIPHER_CTX_set_padding");
  int written = 0;
  check(EVP_DecryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())),
        "EVP_DecryptUpdate");
  int tail = 0;
  check(EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &tail), "EVP_DecryptFinal_ex");
  if (static_cast<std::size_t>(written + tail) != in.size()) {
    fail_openssl("EVP_DecryptUpdate (length)");
  }
}

/// AES-128-CMAC (NIST SP 800-38B) of `data`, empty allowed.
void cmac(const std::uint8_t* key, std::span<const std::uint8_t> data, Block& out) {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(cmac_algorithm()));
  if (!ctx) fail_openssl("EVP_MAC_CTX_new");
  char cipher_name[] = "AES-128-CBC";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0),
      OSSL_PARAM_construct_end()};
  check(EVP_MAC_init(ctx.get(), key, 16, params), "EVP_MAC_init");
  if (!data.empty()) check(EVP_MAC_update(ctx.get(), data.data(), data.size()), "EVP_MAC_update");
  std::size_t written = 0;
  check(EVP_MAC_final(ctx.get(), out.data(), &written, out.size()), "EVP_MAC_final");
  if (written != out.size()) fail_openssl("EVP_MAC_final (length)");
}

/// The value of one hex digit, or -1. Branch-free on the digit itself, so that parsing a key does
/// not take a time that depends on its digits.
int nibble(unsigned char c) {
  const int digit = static_cast<int>(c) - '0';
  const int letter = static_cast<int>(c | 0x20) - 'a';
  const int is_digit = static_cast<int>((digit >= 0) & (digit <= 9));
  const int is_letter = static_cast<int>((letter >= 0) & (letter <= 5));
  return (-is_digit & digit) | (-is_letter & (letter + 10)) | ((is_digit | is_letter) - 1);
}

/// Decodes `hex` into `out` (exactly hex.size() / 2 bytes). Errors name `what`, never the digits.
void decode_hex(std::string_view hex, std::string_view what, std::span<std::uint8_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = nibble(static_cast<unsigned char>(hex[2 * i]));
    const int low = nibble(static_cast<unsigned char>(hex[2 * i + 1]));
    if ((high | low) < 0) {
      const std::size_t at = 2 * i + (high < 0 ? 0 : 1);
      fail(ErrorCode::invalid_argument, "sun: " + std::string(what) +
                                            " has a character that is not a hex digit at " +
                                            std::to_string(at));
    }
    out[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
}

/// `hex` must be exactly `digits` hex digits; decodes it into `out` (digits / 2 bytes).
void decode_fixed(std::string_view hex, std::string_view what, std::size_t digits,
                  std::span<std::uint8_t> out, std::string_view hint = {}) {
  if (hex.size() != digits) {
    fail(ErrorCode::invalid_argument, "sun: " + std::string(what) + " must be " +
                                          std::to_string(digits) + " hex digits, got " +
                                          std::to_string(hex.size()) + std::string(hint));
  }
  decode_hex(hex, what, out);
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0F]);
  }
  return out;
}

/// UID and little-endian counter of a tap as the session vectors carry them.
struct TapBytes {
  std::array<std::uint8_t, kUidSize> uid{};
  std::array<std::uint8_t, 3> counter{};
};

TapBytes tap_bytes(const SunTap& tap) {
  TapBytes out;
  decode_fixed(tap.uid, "uid", 2 * kUidSize, out.uid);
  if (tap.counter > kMaxCounter) {
    fail(ErrorCode::invalid_argument,
         "sun: counter " + std::to_string(tap.counter) + " is above the 24-bit maximum 16777215");
  }
  out.counter = {static_cast<std::uint8_t>(tap.counter & 0xFF),
                 static_cast<std::uint8_t>((tap.counter >> 8) & 0xFF),
                 static_cast<std::uint8_t>((tap.counter >> 16) & 0xFF)};
  return out;
}

/// AN12196 session vector: a 6-byte label, the UID, the counter. 16 bytes exactly when both are
/// mirrored, so no padding is needed.
void session_key(const std::array<std::uint8_t, 6>& label, const TapBytes& tap,
                 const Key128& file_read_key, Key128& out) {
  Block sv{};
  auto at = sv.begin();
  for (const std::uint8_t b : label) *at++ = b;
  for (const std::uint8_t b : tap.uid) *at++ = b;
  for (const std::uint8_t b : tap.counter) *at++ = b;
  cmac(file_read_key.data(), sv, out);
}

constexpr std::array<std::uint8_t, 6> kSv1Label = {0xC3, 0x3C, 0x00, 0x01, 0x00, 0x80};
constexpr std::array<std::uint8_t, 6> kSv2Label = {0x3C, 0xC3, 0x00, 0x01, 0x00, 0x80};

/// The 8-byte SDMMAC: the odd-indexed bytes of the full CMAC.
std::array<std::uint8_t, 8> mac_bytes(const SunTap& tap, const Key128& file_read_key,
                                      std::string_view mac_input) {
  Wiped<Key128> session;
  session_key(kSv2Label, tap_bytes(tap), file_read_key, session.value);
  Block full{};
  cmac(session.value.data(),
       std::span(reinterpret_cast<const std::uint8_t*>(mac_input.data()), mac_input.size()), full);
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = full[2 * i + 1];
  return out;
}

/// Decrypts PICCData; nullopt when the PICCDataTag is wrong, with the tag byte in `bad_tag`.
std::optional<SunTap> open_picc_data(std::string_view picc_data_hex, const Key128& meta_read_key,
                                     std::uint8_t& bad_tag) {
  Block encrypted{};
  decode_fixed(
      picc_data_hex, "picc_data", 32, encrypted,
      picc_data_hex.size() == 48 ? " (48 digits is LRP-mode PICCData, not supported)" : "");
  Wiped<Block> plain;
  aes_cbc_decrypt(meta_read_key.data(), Block{}, encrypted, plain.value);
  const auto& p = plain.value;
  if (p[0] != kPiccDataTag) {
    bad_tag = p[0];
    return std::nullopt;
  }
  SunTap tap;
  tap.uid = to_hex(std::span(p).subspan(1, kUidSize));
  tap.counter = static_cast<std::uint32_t>(p[8]) | (static_cast<std::uint32_t>(p[9]) << 8) |
                (static_cast<std::uint32_t>(p[10]) << 16);
  return tap;
}

std::string tag_message(std::uint8_t tag) {
  return "sun: picc_data does not decrypt to PICCDataTag 0xC7 (UID and counter mirrored, 7-byte "
         "UID) but to 0x" +
         to_hex(std::span(&tag, 1)) +
         ": a wrong SDM meta read key, an altered picc_data, or a tag mirroring other data";
}

/// RFC 4493 subkey doubling in GF(2^128); the reduction is masked rather than branched on the
/// secret top bit.
void dbl(const Block& in, Block& out) {
  for (std::size_t i = 0; i + 1 < in.size(); ++i) {
    out[i] = static_cast<std::uint8_t>((in[i] << 1) | (in[i + 1] >> 7));
  }
  const auto carry = static_cast<std::uint8_t>(-(in[0] >> 7));
  out[15] = static_cast<std::uint8_t>((in[15] << 1) ^ (carry & 0x87));
}

}  // namespace

std::vector<std::uint8_t> parse_hex(std::string_view hex, std::string_view what) {
  if (hex.size() % 2 != 0) {
    fail(ErrorCode::invalid_argument, "sun: " + std::string(what) +
                                          " must have an even number of hex digits, got " +
                                          std::to_string(hex.size()));
  }
  std::vector<std::uint8_t> out(hex.size() / 2);
  decode_hex(hex, what, out);
  return out;
}

Key128 parse_key(std::string_view hex, std::string_view what) {
  Key128 key{};
  try {
    decode_fixed(hex, what, 32, key);
  } catch (...) {
    OPENSSL_cleanse(key.data(), key.size());
    throw;
  }
  return key;
}

SunTap decrypt_picc_data(std::string_view picc_data_hex, const Key128& meta_read_key) {
  std::uint8_t bad_tag = 0;
  auto tap = open_picc_data(picc_data_hex, meta_read_key, bad_tag);
  if (!tap) fail(ErrorCode::invalid_argument, tag_message(bad_tag));
  return std::move(*tap);
}

Key128 session_mac_key(const SunTap& tap, const Key128& file_read_key) {
  Key128 key{};
  session_key(kSv2Label, tap_bytes(tap), file_read_key, key);
  return key;
}

Key128 session_enc_key(const SunTap& tap, const Key128& file_read_key) {
  Key128 key{};
  session_key(kSv1Label, tap_bytes(tap), file_read_key, key);
  return key;
}

std::string sdm_mac(const SunTap& tap, const Key128& file_read_key, std::string_view mac_input) {
  return to_hex(mac_bytes(tap, file_read_key, mac_input));
}

std::vector<std::uint8_t> decrypt_file_data(std::string_view enc_hex, const SunTap& tap,
                                            const Key128& file_read_key) {
  if (enc_hex.empty() || enc_hex.size() % 32 != 0) {
    fail(ErrorCode::invalid_argument,
         "sun: enc must be a non-zero multiple of 32 hex digits (whole AES blocks), got " +
             std::to_string(enc_hex.size()));
  }
  const std::vector<std::uint8_t> encrypted = parse_hex(enc_hex, "enc");
  const TapBytes bytes = tap_bytes(tap);
  Wiped<Key128> session;
  session_key(kSv1Label, bytes, file_read_key, session.value);
  Block counter_block{};
  for (std::size_t i = 0; i < bytes.counter.size(); ++i) counter_block[i] = bytes.counter[i];
  Block iv{};
  aes_encrypt_block(session.value.data(), counter_block, iv);
  std::vector<std::uint8_t> plain(encrypted.size());
  aes_cbc_decrypt(session.value.data(), iv, encrypted, plain);
  return plain;
}

SunTap verify(std::string_view picc_data_hex, std::string_view mac_hex, const Key128& meta_read_key,
              const Key128& file_read_key, std::string_view mac_input) {
  std::array<std::uint8_t, 8> given{};
  decode_fixed(mac_hex, "cmac", 16, given);
  std::uint8_t bad_tag = 0;
  auto tap = open_picc_data(picc_data_hex, meta_read_key, bad_tag);
  if (!tap) fail(ErrorCode::permission_denied, tag_message(bad_tag));
  const auto expected = mac_bytes(*tap, file_read_key, mac_input);
  if (CRYPTO_memcmp(expected.data(), given.data(), given.size()) != 0) {
    fail(ErrorCode::permission_denied,
         "sun: MAC mismatch: the URL was altered or forged, the MAC input is not the one the tag "
         "was configured to MAC, or the SDM file read key is not this tag's");
  }
  return std::move(*tap);
}

void require_fresh(const SunTap& tap, std::optional<std::uint32_t> last_counter) {
  if (last_counter && tap.counter <= *last_counter) {
    fail(ErrorCode::failed_precondition,
         "sun: replayed tap: the counter is not above the last one accepted for this tag");
  }
}

Key128 diversify(const Key128& master, std::string_view uid_hex, std::string_view system_id_hex) {
  const std::vector<std::uint8_t> uid = parse_hex(uid_hex, "uid");
  const std::vector<std::uint8_t> system_id = parse_hex(system_id_hex, "system_id");
  if (uid.empty()) fail(ErrorCode::invalid_argument, "sun: uid must not be empty");
  const std::size_t size = uid.size() + system_id.size();
  if (size > 31) {
    fail(ErrorCode::invalid_argument,
         "sun: AN10922 diversification data (uid and system_id) must be at most 31 bytes, got " +
             std::to_string(size));
  }

  // M = 0x01 (the AES-128 diversification constant) || data, always two blocks: padded with 0x80
  // and zeros when shorter, unlike plain CMAC which would stop at one block for short data.
  std::array<std::uint8_t, 32> m{};
  m[0] = 0x01;
  std::size_t at = 1;
  for (const std::uint8_t b : uid) m[at++] = b;
  for (const std::uint8_t b : system_id) m[at++] = b;
  const bool padded = at < m.size();
  if (padded) m[at] = 0x80;

  Wiped<Block> k1;
  Wiped<Block> k2;
  {
    Wiped<Block> l;
    aes_encrypt_block(master.data(), Block{}, l.value);
    dbl(l.value, k1.value);
    dbl(k1.value, k2.value);
  }
  const Block& subkey = padded ? k2.value : k1.value;

  // CBC-MAC with a zero IV over the first block and the masked last block.
  Wiped<Block> block;
  for (std::size_t i = 0; i < 16; ++i) block.value[i] = m[i];
  Wiped<Block> chain;
  aes_encrypt_block(master.data(), block.value, chain.value);
  for (std::size_t i = 0; i < 16; ++i) {
    block.value[i] = static_cast<std::uint8_t>(chain.value[i] ^ m[16 + i] ^ subkey[i]);
  }
  Key128 key{};
  aes_encrypt_block(master.data(), block.value, key);
  return key;
}

}  // namespace houqin::inspection
