// Server-side verification of NXP NTAG 424 DNA "Secure Unique NFC" (SUN, also called Secure
// Dynamic Messaging) taps. On every read the tag writes into the URL it serves its encrypted
// PICCData (UID and read counter) and a MAC keyed per tap; the server decrypts the one, recomputes
// the other and so learns which tag was tapped and that the tag wrote this URL, and from the
// counter that it is a new read rather than a copy of an old one. The algorithms follow NXP AN12196
// ("NTAG 424 DNA and NTAG 424 DNA TagTamper features and hints"), AES mode only (not LRP); per-tag
// keys follow NXP AN10922. AES and AES-CMAC come from OpenSSL's libcrypto. Every function is
// thread-safe and keeps no state between calls.
//
// A typical check of "https://host/t?e=<picc_data>&c=<mac>":
//   SunTap tap = verify(e, c, meta_read_key, file_read_key);   // throws unless genuine
//   require_fresh(tap, last_counter_seen_for(tap.uid));         // throws on a replayed URL
// With per-tag keys the meta read key is shared (the UID is unknown until PICCData is decrypted)
// and the file read key is diversify(master, tap.uid): decrypt_picc_data first, then verify.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/export.hpp"

namespace houqin::inspection {

/// An AES-128 key, as stored on the tag.
using Key128 = std::array<std::uint8_t, 16>;

/// What a verified tap says.
struct SunTap {
  std::string uid;            ///< 14 upper-case hex digits (the 7-byte UID)
  std::uint32_t counter = 0;  ///< SDMReadCtr, 24 bits (little-endian inside PICCData)
};

/// Decrypts PICCData (the "e=" / "picc_data" parameter, 32 hex digits, either case) with the SDM
/// meta read key: AES-128-CBC with a zero IV. Checks the PICCDataTag byte (0xC7: UID mirrored,
/// counter mirrored, 7-byte UID) and returns UID and counter. This alone proves nothing: anyone can
/// replay a URL, so use verify(). Error(invalid_argument) naming the fault for malformed hex, a
/// wrong length (LRP-mode PICCData is 48 digits and unsupported) or a wrong PICCDataTag, which is
/// what a wrong key or an altered parameter looks like.
HOUQIN_EXPORT SunTap decrypt_picc_data(std::string_view picc_data_hex, const Key128& meta_read_key);

/// The per-tap session keys (AN12196 session key generation): CMAC under the SDM file read key of
/// SV2 = 3CC300010080 || UID || SDMReadCtr (MAC key) or SV1 = C33C00010080 || UID || SDMReadCtr
/// (ENC key), the counter little-endian. Exposed for tests against AN12196 and for debugging.
HOUQIN_EXPORT Key128 session_mac_key(const SunTap& tap, const Key128& file_read_key);
HOUQIN_EXPORT Key128 session_enc_key(const SunTap& tap, const Key128& file_read_key);

/// The SDMMAC the tag writes for this tap: AES-CMAC under session_mac_key() of `mac_input`,
/// truncated to its 8 odd-indexed bytes (1, 3, ..., 15), as 16 upper-case hex digits. `mac_input`
/// is empty when the tag MACs nothing but the session (SDMMACInputOffset == SDMMACOffset);
/// otherwise it is the URL text from SDMMACInputOffset up to the MAC, as ASCII, e.g.
/// "<enc hex>&cmac=". Error(invalid_argument) for a UID that is not 14 hex digits or a counter
/// above 0xFFFFFF.
HOUQIN_EXPORT std::string sdm_mac(const SunTap& tap, const Key128& file_read_key,
                                  std::string_view mac_input = {});

/// Decrypts SDMENCFileData (the "enc=" parameter): AES-128-CBC under session_enc_key() with
/// IV = AES-128-ECB(session_enc_key(), SDMReadCtr || 13 zero bytes). Returns the plaintext bytes
/// (a multiple of 16, no padding removed). Authentic only once verify() has accepted a MAC whose
/// input covers the enc hex. Error(invalid_argument) for malformed hex, an empty value or a length
/// that is not a multiple of 32 digits, and for a bad tap as sdm_mac().
HOUQIN_EXPORT std::vector<std::uint8_t> decrypt_file_data(std::string_view enc_hex,
                                                          const SunTap& tap,
                                                          const Key128& file_read_key);

/// Full check of one tap: decrypts PICCData, recomputes the SDMMAC over `mac_input` and compares
/// it with `mac_hex` (16 hex digits, either case) in constant time. Returns the tap; the caller
/// still checks freshness with require_fresh(). Error(invalid_argument) for malformed or
/// wrong-length parameters; Error(permission_denied) when PICCData does not decrypt under the
/// meta read key or the MAC does not match ("sun: MAC mismatch ..."): an altered or forged URL,
/// or a tag keyed for another deployment. The messages name no UID or counter, so that echoing one
/// to a client does not reveal what PICCData encrypts.
HOUQIN_EXPORT SunTap verify(std::string_view picc_data_hex, std::string_view mac_hex,
                            const Key128& meta_read_key, const Key128& file_read_key,
                            std::string_view mac_input = {});

/// Replay check for a verified tap: the tag increments its counter on every read, so a genuine new
/// tap has a counter above the last one accepted for its UID (`last_counter`, nullopt for a tag
/// never seen). Error(failed_precondition) for a replayed or stale URL. Store the new counter
/// atomically with the check (compare-and-set per UID) or two replays racing both pass.
HOUQIN_EXPORT void require_fresh(const SunTap& tap, std::optional<std::uint32_t> last_counter);

/// AN10922 AES-128 key diversification: CMAC under `master` of 0x01 || UID || system id, padded to
/// 32 bytes by AN10922's rule (0x80 then zeros, last block masked with subkey K2; K1 when no
/// padding is needed). `uid_hex` is the tag UID (7 bytes on NTAG 424 DNA); `system_id_hex` is
/// optional further diversification data, e.g. an application id and a system identifier as in
/// AN10922's example, in hex. Error(invalid_argument) for malformed hex, an empty UID or more than
/// 31 bytes of diversification data.
HOUQIN_EXPORT Key128 diversify(const Key128& master, std::string_view uid_hex,
                               std::string_view system_id_hex = {});

/// Hex (either case, even length) to bytes. Error(invalid_argument) naming `what` and the position
/// of the first bad digit.
HOUQIN_EXPORT std::vector<std::uint8_t> parse_hex(std::string_view hex, std::string_view what);
/// Exactly 32 hex digits to a key, e.g. from configuration. Error(invalid_argument) naming `what`;
/// the message never quotes the digits.
HOUQIN_EXPORT Key128 parse_key(std::string_view hex, std::string_view what);

}  // namespace houqin::inspection
