// NTAG 424 DNA SUN verification against NXP's published worked examples: AN12196 ("NTAG 424 DNA
// and NTAG 424 DNA TagTamper features and hints", table numbers as in Rev. 2.0) for the SDM
// session keys, PICCData, SDMENCFileData and SDMMAC, and AN10922 ("Symmetric key
// diversifications") for per-tag keys. The algorithms are keyed and a wrong one still produces
// plausible bytes, so only these vectors show that a real tag would verify.
#include "houqin/inspection/sun.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "houqin/core/error.hpp"

namespace houqin::inspection {
namespace {

/// The factory-default key, which every AN12196 example except the session key one uses.
const Key128 kZeroKey{};

std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

/// Runs `call`, expecting Error with `code` and a message containing `part`.
template <typename Call>
void expect_error(Call call, ErrorCode code, std::string_view part) {
  try {
    call();
    ADD_FAILURE() << "no Error thrown, expected " << to_string(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string_view(e.what()).find(part), std::string_view::npos)
        << "\"" << e.what() << "\" lacks \"" << part << "\"";
  }
}

// ---- AN12196 worked examples ---------------------------------------------------------------

// AN12196 §3.3, SDM session key generation, Table 1: the one example with a key that is not all
// zeros, so it catches a derivation that ignores the key. SV1 = C33C0001008004C767F2066180010000,
// SV2 = 3CC30001008004C767F2066180010000 (counter 1, least significant byte first).
TEST(SunTest, SessionKeysAn12196Table1) {
  const Key128 file_read_key = parse_key("5ACE7E50AB65D5D51FD5BF5A16B8205B", "key");
  const SunTap tap{"04C767F2066180", 1};
  EXPECT_EQ(session_enc_key(tap, file_read_key),
            parse_key("66DA61797E23DECA5D8ECA13BBADF7A9", "expected"));
  EXPECT_EQ(session_mac_key(tap, file_read_key),
            parse_key("3A3E8110E05311F7A3FCF0D969BF2B48", "expected"));
}

// AN12196 §3.4.2, PICCData decryption, Table 2: e=EF963FF7828658A599F3041510671E88 under the
// all-zero SDM meta read key decrypts to C7 04DE5F1EACC040 3D0000 DA5CF60941: PICCDataTag C7,
// UID 04DE5F1EACC040, SDMReadCtr 3D0000 = 61.
TEST(SunTest, PiccDataAn12196Table2) {
  const SunTap tap = decrypt_picc_data("EF963FF7828658A599F3041510671E88", kZeroKey);
  EXPECT_EQ(tap.uid, "04DE5F1EACC040");
  EXPECT_EQ(tap.counter, 61U);
  // Phones and servers lower-case URLs freely; the parameter means the same.
  EXPECT_EQ(decrypt_picc_data("ef963ff7828658a599f3041510671e88", kZeroKey).uid, "04DE5F1EACC040");
}

// AN12196 §3.4.3, SDMENCFileData decryption, Table 3: picc_data=FDE4AFA99B5C820A2C1BB0F1C792D0EB
// (UID 04958CAA5C5E80, counter 1), KSesSDMFileReadENC 8097D73344D53F963B09E23E03B62336 (IV
// 7B3F3CFC39D3B7FF5868636E38AF7C3A), enc=94592FDE69FA06E8E3B6CA686A22842B decrypting to sixteen
// 'x'. The example's URL carries cmac=C48B89C17A233B2C over "<enc>&cmac=".
TEST(SunTest, FileDataAn12196Table3) {
  const SunTap tap = decrypt_picc_data("FDE4AFA99B5C820A2C1BB0F1C792D0EB", kZeroKey);
  EXPECT_EQ(tap.uid, "04958CAA5C5E80");
  EXPECT_EQ(tap.counter, 1U);
  EXPECT_EQ(session_enc_key(tap, kZeroKey),
            parse_key("8097D73344D53F963B09E23E03B62336", "expected"));
  EXPECT_EQ(decrypt_file_data("94592FDE69FA06E8E3B6CA686A22842B", tap, kZeroKey),
            bytes_of("xxxxxxxxxxxxxxxx"));

  const SunTap verified = verify("FDE4AFA99B5C820A2C1BB0F1C792D0EB", "C48B89C17A233B2C", kZeroKey,
                                 kZeroKey, "94592FDE69FA06E8E3B6CA686A22842B&cmac=");
  EXPECT_EQ(verified.uid, "04958CAA5C5E80");
  EXPECT_EQ(verified.counter, 1U);
}

// AN12196 §3.4.4, SDMMAC calculation with a zero-length MAC input, Table 4: the tap of Table 2,
// SV2 3CC30001008004DE5F1EACC0403D0000, KSesSDMFileReadMAC 3FB5F6E3A807A03D5E3570ACE393776F, full
// CMAC E194C7EE12D9F7EE8A65C8331B704386, truncated SDMMAC 94EED9EE65337086 -- the URL
// https://ntag.nxp.com/424?e=EF963FF7828658A599F3041510671E88&c=94EED9EE65337086.
TEST(SunTest, SdmMacEmptyInputAn12196Table4) {
  const SunTap tap{"04DE5F1EACC040", 61};
  EXPECT_EQ(session_mac_key(tap, kZeroKey),
            parse_key("3FB5F6E3A807A03D5E3570ACE393776F", "expected"));
  EXPECT_EQ(sdm_mac(tap, kZeroKey), "94EED9EE65337086");

  const SunTap verified =
      verify("EF963FF7828658A599F3041510671E88", "94EED9EE65337086", kZeroKey, kZeroKey);
  EXPECT_EQ(verified.uid, "04DE5F1EACC040");
  EXPECT_EQ(verified.counter, 61U);
  EXPECT_EQ(verify("ef963ff7828658a599f3041510671e88", "94eed9ee65337086", kZeroKey, kZeroKey).uid,
            "04DE5F1EACC040");
}

// AN12196 §3.4.4, SDMMAC calculation over mirrored data, Table 5: picc_data
// FD91EC264309878BE6345CBE53BADF40 (UID 04958CAA5C5E80, counter 8), KSesSDMFileReadMAC
// 3ED0920E5E6A0320D823D5987FEAFBB1, MAC input the ASCII "CEE9A53E3E463EF1F459635736738962&cmac=",
// full CMAC 81EC45C175E72FF6FAC61BC7AB3BAEF6, SDMMAC ECC1E7F6C6C73BF6. The MAC covers URL text, not
// the bytes the text encodes.
TEST(SunTest, SdmMacOverMirroredDataAn12196Table5) {
  const std::string_view mac_input = "CEE9A53E3E463EF1F459635736738962&cmac=";
  const SunTap tap = decrypt_picc_data("FD91EC264309878BE6345CBE53BADF40", kZeroKey);
  EXPECT_EQ(tap.uid, "04958CAA5C5E80");
  EXPECT_EQ(tap.counter, 8U);
  EXPECT_EQ(session_mac_key(tap, kZeroKey),
            parse_key("3ED0920E5E6A0320D823D5987FEAFBB1", "expected"));
  EXPECT_EQ(sdm_mac(tap, kZeroKey, mac_input), "ECC1E7F6C6C73BF6");
  EXPECT_EQ(
      verify("FD91EC264309878BE6345CBE53BADF40", "ECC1E7F6C6C73BF6", kZeroKey, kZeroKey, mac_input)
          .counter,
      8U);
  // The enc= of the same URL; its plaintext (sixteen 'x', as in Table 3) is the one
  // nfc-developer/sdm-backend's test of this AN12196 example asserts.
  EXPECT_EQ(decrypt_file_data("CEE9A53E3E463EF1F459635736738962", tap, kZeroKey),
            bytes_of("xxxxxxxxxxxxxxxx"));
}

// ---- taps from nfc-developer/sdm-backend's tests (real tags, not AN12196) --------------------

// UID and counter mirrored in the clear ("uid=041E3C8A2D6B80&ctr=000006"): the MAC alone proves
// the tap, with an empty MAC input.
TEST(SunTest, PlainMirrorMac) {
  EXPECT_EQ(sdm_mac({"041E3C8A2D6B80", 6}, kZeroKey), "4B00064004B0B3D3");
}

// Non-zero meta and file read keys end to end, MAC input the enc hex alone (no parameter name).
TEST(SunTest, CustomKeysEndToEnd) {
  const Key128 meta = parse_key("42aff114f2cb3b6141be6dc95dfc5416", "meta");
  const Key128 file = parse_key("b62a9baf092439bd43c62aee96b970c5", "file");
  const SunTap tap = verify("8ACADDEF0A9B62CDAE39A16B83FC14DE", "238B2543A8DEBAD8", meta, file,
                            "B8436E11F627BB7F543FCC0C1E0D1A89");
  EXPECT_EQ(tap.uid, "041D3C8A2D6B80");
  EXPECT_EQ(tap.counter, 291U);
  EXPECT_EQ(decrypt_file_data("B8436E11F627BB7F543FCC0C1E0D1A89", tap, file),
            bytes_of("NTXXqno_oBFpwy-V"));
}

// ---- what must be refused --------------------------------------------------------------------

TEST(SunTest, TamperedMacIsRefused) {
  const std::string_view e = "EF963FF7828658A599F3041510671E88";
  for (const std::string_view mac :
       {"94EED9EE65337087", "14EED9EE65337086", "ECC1E7F6C6C73BF6", "0000000000000000"}) {
    expect_error([&] { verify(e, mac, kZeroKey, kZeroKey); }, ErrorCode::permission_denied,
                 "sun: MAC mismatch");
  }
}

TEST(SunTest, MacOverOtherInputIsRefused) {
  const std::string_view e = "FD91EC264309878BE6345CBE53BADF40";
  // Without the parameter name, with altered file data, and with nothing at all.
  for (const std::string_view input :
       {"CEE9A53E3E463EF1F459635736738962", "CEE9A53E3E463EF1F459635736738963&cmac=", ""}) {
    expect_error([&] { verify(e, "ECC1E7F6C6C73BF6", kZeroKey, kZeroKey, input); },
                 ErrorCode::permission_denied, "sun: MAC mismatch");
  }
}

TEST(SunTest, TamperedPiccDataIsRefused) {
  // One digit changed: the block decrypts to noise, so the PICCDataTag check or, one time in 256,
  // the MAC refuses it.
  for (const std::string_view e :
       {"EF963FF7828658A599F3041510671E89", "FF963FF7828658A599F3041510671E88",
        "EF963FF7828658A599F3041610671E88"}) {
    try {
      verify(e, "94EED9EE65337086", kZeroKey, kZeroKey);
      ADD_FAILURE() << "altered picc_data " << e << " verified";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::permission_denied) << error.what();
    }
  }
  expect_error([] { decrypt_picc_data("EF963FF7828658A599F3041510671E89", kZeroKey); },
               ErrorCode::invalid_argument, "PICCDataTag 0xC7");
}

TEST(SunTest, WrongKeysAreRefused) {
  Key128 other{};
  other[15] = 1;
  expect_error(
      [&] { verify("EF963FF7828658A599F3041510671E88", "94EED9EE65337086", other, kZeroKey); },
      ErrorCode::permission_denied, "PICCDataTag");
  expect_error(
      [&] { verify("EF963FF7828658A599F3041510671E88", "94EED9EE65337086", kZeroKey, other); },
      ErrorCode::permission_denied, "sun: MAC mismatch");
}

TEST(SunTest, RefusalsNameNoUidOrCounter) {
  // The UID and counter are what PICCData encrypts; an error echoed to a client must not undo it.
  try {
    verify("EF963FF7828658A599F3041510671E88", "94EED9EE65337087", kZeroKey, kZeroKey);
    ADD_FAILURE() << "tampered MAC verified";
  } catch (const Error& e) {
    EXPECT_EQ(std::string_view(e.what()).find("04DE5F1EACC040"), std::string_view::npos);
    EXPECT_EQ(std::string_view(e.what()).find("61"), std::string_view::npos);
  }
}

TEST(SunTest, ReplayIsRefused) {
  const SunTap tap{"04DE5F1EACC040", 61};
  EXPECT_NO_THROW(require_fresh(tap, std::nullopt));
  EXPECT_NO_THROW(require_fresh(tap, 60));
  expect_error([&] { require_fresh(tap, 61); }, ErrorCode::failed_precondition,
               "sun: replayed tap");
  expect_error([&] { require_fresh(tap, 62); }, ErrorCode::failed_precondition,
               "sun: replayed tap");
}

TEST(SunTest, MalformedHexIsRefusedWithAClearMessage) {
  const auto invalid = ErrorCode::invalid_argument;
  expect_error([] { decrypt_picc_data("EF963FF7828658A599F3041510671E8", kZeroKey); }, invalid,
               "sun: picc_data must be 32 hex digits, got 31");
  expect_error([] { decrypt_picc_data("", kZeroKey); }, invalid,
               "sun: picc_data must be 32 hex digits, got 0");
  expect_error(
      [] { decrypt_picc_data("07D9CA2545881D4BFDD920BE1603268C0714420DD893A497", kZeroKey); },
      invalid, "LRP");
  expect_error([] { decrypt_picc_data("EF963FF7828658A599F3041510671EG8", kZeroKey); }, invalid,
               "sun: picc_data has a character that is not a hex digit at 30");
  expect_error([] { decrypt_picc_data("EF963FF7828658A599F3041510671E8 ", kZeroKey); }, invalid,
               "not a hex digit at 31");
  expect_error(
      [] { verify("EF963FF7828658A599F3041510671E88", "94EED9EE6533708", kZeroKey, kZeroKey); },
      invalid, "sun: cmac must be 16 hex digits, got 15");
  expect_error(
      [] { verify("EF963FF7828658A599F3041510671E88", "94EED9EE6533708Z", kZeroKey, kZeroKey); },
      invalid, "sun: cmac has a character that is not a hex digit at 15");
  const SunTap tap{"04958CAA5C5E80", 1};
  expect_error([&] { decrypt_file_data("94592FDE69FA06E8E3B6CA686A2284", tap, kZeroKey); }, invalid,
               "sun: enc must be a non-zero multiple of 32 hex digits");
  expect_error([&] { decrypt_file_data("", tap, kZeroKey); }, invalid, "sun: enc must be");
  expect_error([&] { decrypt_file_data("x4592FDE69FA06E8E3B6CA686A22842B", tap, kZeroKey); },
               invalid, "sun: enc has a character that is not a hex digit at 0");
  expect_error(
      [] {
        sdm_mac({"04DE5F1EACC04", 61}, kZeroKey);
      },
      invalid, "sun: uid must be 14 hex digits, got 13");
  expect_error(
      [] {
        sdm_mac({"04DE5F1EACC040", 0x1000000}, kZeroKey);
      },
      invalid, "above the 24-bit maximum");
  expect_error([] { parse_key("00112233", "sdm_meta_read_key"); }, invalid,
               "sun: sdm_meta_read_key must be 32 hex digits, got 8");
  expect_error([] { parse_hex("ABC", "data"); }, invalid,
               "sun: data must have an even number of hex digits, got 3");
  EXPECT_EQ(parse_hex("00aFfF", "data"), (std::vector<std::uint8_t>{0x00, 0xAF, 0xFF}));
}

// ---- AN10922 key diversification ------------------------------------------------------------

// AN10922 §2.2.1, AES-128 key diversification example: master key
// 00112233445566778899AABBCCDDEEFF, UID 04782E21801D80, AID 3042F5, system identifier "NXP Abu"
// (4E585020416275); M = 01 04782E21801D80 3042F5 4E585020416275, padded to 32 bytes with 80 00..;
// subkeys K1 FBC9F75C9413C041DFEE452D3F0706D1, K2 F793EEB928278083BFDC8A5A7E0E0D25; diversified
// key A8DD63A3B89D54B37CA802473FDA9175.
TEST(SunTest, DiversifyAn10922Example) {
  const Key128 master = parse_key("00112233445566778899AABBCCDDEEFF", "master");
  EXPECT_EQ(diversify(master, "04782E21801D80", "3042F54E585020416275"),
            parse_key("A8DD63A3B89D54B37CA802473FDA9175", "expected"));
}

// AN10922's padding rule where it differs from plain CMAC: diversification data of at most 15
// bytes still makes two blocks. Not published values: computed independently with the openssl
// CLI (AES-128-CBC over the padded blocks, K2 as above) -- and, for the unpadded 31-byte case that
// takes K1, with `openssl mac CMAC` over the 32-byte M.
TEST(SunTest, DiversifyPaddingRule) {
  const Key128 master = parse_key("00112233445566778899AABBCCDDEEFF", "master");
  EXPECT_EQ(diversify(master, "04782E21801D80"),
            parse_key("4FD3364753B8142980E8203C75AD83BE", "expected"));
  // Plain CMAC of 01 || UID would be B3179E2D918AC5190815983B054B63AD: not AN10922.
  EXPECT_NE(diversify(master, "04782E21801D80"),
            parse_key("B3179E2D918AC5190815983B054B63AD", "plain cmac"));
  // 7 + 24 bytes ("houqin SUN per-tag keys!" in ASCII): exactly 32 bytes with the constant.
  EXPECT_EQ(diversify(master, "04782E21801D80", "686F7571696E2053554E207065722D746167206B65797321"),
            parse_key("4127F0579BD8D0E385C954537CB263A6", "expected"));
}

TEST(SunTest, DiversifyProperties) {
  const Key128 master = parse_key("00112233445566778899AABBCCDDEEFF", "master");
  EXPECT_EQ(diversify(master, "04DE5F1EACC040"), diversify(master, "04de5f1eacc040"));
  EXPECT_NE(diversify(master, "04DE5F1EACC040"), diversify(master, "04DE5F1EACC041"));
  EXPECT_NE(diversify(master, "04DE5F1EACC040"), diversify(master, "04DE5F1EACC040", "01"));
  EXPECT_NE(diversify(master, "04DE5F1EACC040"), diversify(kZeroKey, "04DE5F1EACC040"));
  EXPECT_NE(diversify(master, "04DE5F1EACC040"), master);

  const auto invalid = ErrorCode::invalid_argument;
  expect_error([&] { diversify(master, ""); }, invalid, "sun: uid must not be empty");
  expect_error([&] { diversify(master, "04DE5F1EACC04"); }, invalid,
               "sun: uid must have an even number of hex digits");
  expect_error([&] { diversify(master, "04DE5F1EACC040", std::string(50, 'A')); }, invalid,
               "at most 31 bytes, got 32");
}

// A deployment with per-tag keys: the shared meta read key opens PICCData, the UID then selects
// the file read key. The tap is made here with this module's own MAC, so this checks the wiring,
// not the algorithms (the vectors above do that).
TEST(SunTest, VerifyWithDiversifiedFileReadKey) {
  const Key128 master = parse_key("00112233445566778899AABBCCDDEEFF", "master");
  const std::string_view e = "EF963FF7828658A599F3041510671E88";
  const SunTap opened = decrypt_picc_data(e, kZeroKey);
  const Key128 tag_key = diversify(master, opened.uid);
  const std::string mac = sdm_mac(opened, tag_key);
  EXPECT_EQ(verify(e, mac, kZeroKey, tag_key).uid, "04DE5F1EACC040");
  expect_error([&] { verify(e, mac, kZeroKey, diversify(master, "04DE5F1EACC041")); },
               ErrorCode::permission_denied, "sun: MAC mismatch");
}

}  // namespace
}  // namespace houqin::inspection
