// Personal data at rest: keyrings from files, the environment and callbacks; sealing bound to the
// column; masking; and the store sealing personal members on every backend.
#include "houqin/protect/keyring.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using protect::Keyring;
using testing::expect_error;

std::filesystem::path write_file(const std::string& name, const std::string& text) {
  auto p = std::filesystem::temp_directory_path() /
           ("houqin-keys-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(Keyring, KeyFileLastKeyIsActiveAndEveryKeyOpens) {
  auto a = Keyring::generate_line("k1");
  auto b = Keyring::generate_line("k2");
  auto path = write_file("good", "# comment\n" + a + "\n\n" + b + "  # newest\n");
  auto ring = Keyring::from_file(path);
  EXPECT_EQ(ring->active_id(), "k2");
  EXPECT_TRUE(ring->has("k1"));
  auto sealed = ring->seal("13812341234", "t.c");
  EXPECT_EQ(Keyring::key_id_of(sealed), "k2");
  EXPECT_EQ(ring->open(sealed, "t.c", "x"), "13812341234");
  std::filesystem::remove(path);
}

TEST(Keyring, BadKeyFilesNameTheLine) {
  auto p1 = write_file("short", "k1 " + std::string("c2hvcnQ=") + "\n");
  expect_error([&] { Keyring::from_file(p1); }, ErrorCode::invalid_argument,
               "key file " + p1.string() + " line 1: key 'k1': 5 bytes, a key has 32");
  auto p2 = write_file("noid", "# only\n\nnospace\n");
  expect_error([&] { Keyring::from_file(p2); }, ErrorCode::invalid_argument,
               "key file " + p2.string() + " line 3: expected '<key id> <base64 key>'");
  auto p3 = write_file("badb64", "k1 !!!notbase64!!!\n");
  expect_error([&] { Keyring::from_file(p3); }, ErrorCode::invalid_argument,
               "key file " + p3.string() + " line 1: key 'k1': not base64");
  auto p4 = write_file("empty", "# nothing here\n");
  expect_error([&] { Keyring::from_file(p4); }, ErrorCode::invalid_argument,
               "key file " + p4.string() + " line 2: no keys");
  expect_error([&] { Keyring::from_file("/nonexistent/keys"); }, ErrorCode::failed_precondition,
               "key file /nonexistent/keys: cannot be read");
  for (auto& p : {p1, p2, p3, p4}) std::filesystem::remove(p);
}

TEST(Keyring, OpenOrCreateMakesAnOwnerOnlyFileOnceAndThenReadsIt) {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("houqin-keys-" + std::to_string(::getpid()) + "-oc");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto path = dir / "demo.keys";
  auto first = Keyring::open_or_create(path, "demo1");
  EXPECT_EQ(first->active_id(), "demo1");
  EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  // The second call reads the same key: what the first sealed, the second opens.
  auto sealed = first->seal("13812341234", "t.c");
  auto second = Keyring::open_or_create(path, "other");
  EXPECT_EQ(second->active_id(), "demo1");
  EXPECT_EQ(second->open(sealed, "t.c", "x"), "13812341234");
  // An existing broken file is an error, never silently replaced.
  auto bad = dir / "bad.keys";
  std::ofstream(bad) << "# nothing\n";
  expect_error([&] { Keyring::open_or_create(bad, "demo1"); }, ErrorCode::invalid_argument,
               "key file " + bad.string() + " line 2: no keys");
  expect_error([&] { Keyring::open_or_create(dir / "missing" / "k", "demo1"); },
               ErrorCode::unavailable,
               "key file " + (dir / "missing" / "k").string() + ": cannot be created");
  expect_error([&] { Keyring::open_or_create(dir / "x.keys", "bad id!"); },
               ErrorCode::invalid_argument, "");
  EXPECT_FALSE(fs::exists(dir / "x.keys"));
  fs::remove_all(dir);
}

TEST(Keyring, FromEnvironmentAndCallback) {
  auto line = Keyring::generate_line("env1");
  ::setenv("HOUQIN_TEST_KEYS", (Keyring::generate_line("env0") + ";" + line).c_str(), 1);
  auto ring = Keyring::from_env("HOUQIN_TEST_KEYS");
  EXPECT_EQ(ring->active_id(), "env1");
  ::unsetenv("HOUQIN_TEST_KEYS");
  expect_error([] { Keyring::from_env("HOUQIN_TEST_KEYS"); }, ErrorCode::failed_precondition,
               "environment variable HOUQIN_TEST_KEYS holds no keys");

  int calls = 0;
  auto cb = Keyring::from_callback(
      [&](std::string_view id) -> std::optional<std::string> {
        ++calls;
        if (id == "vault7") return std::string(32, '\x07');
        return std::nullopt;
      },
      "vault7");
  auto sealed = cb->seal("x", "c");
  EXPECT_EQ(cb->open(sealed, "c", "v"), "x");
  EXPECT_EQ(calls, 1) << "a fetched key is kept";
  expect_error([&] { Keyring::from_callback([](std::string_view) { return std::nullopt; }, "k"); },
               ErrorCode::not_found, "key 'k': not held");
}

TEST(Keyring, OpeningFailsClearlyNeverWithGarbage) {
  Keyring ring;
  ring.add("a", std::string(32, 'a'));
  auto sealed = ring.seal("张三", "site_staff.phone");
  expect_error([&] { ring.open(sealed, "site_staff.name", "v"); }, ErrorCode::data_loss,
               "v: cannot be opened with key 'a'");  // moved to another column
  Keyring other;
  other.add("a", std::string(32, 'b'));  // same id, different key
  expect_error([&] { other.open(sealed, "site_staff.phone", "v"); }, ErrorCode::data_loss,
               "v: cannot be opened with key 'a' (wrong key");
  Keyring empty;
  expect_error([&] { empty.open(sealed, "site_staff.phone", "v"); }, ErrorCode::failed_precondition,
               "v: sealed with key 'a', which the keyring does not hold");
  expect_error([&] { empty.seal("x", "c"); }, ErrorCode::failed_precondition,
               "keyring has no active key");
  std::string flipped = sealed;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  expect_error([&] { ring.open(flipped, "site_staff.phone", "v"); }, ErrorCode::data_loss, "v: ");
  expect_error([&] { ring.open("13812341234", "c", "v"); }, ErrorCode::data_loss, "v: not sealed");
  expect_error([&] { ring.add("a", std::string(32, 'c')); }, ErrorCode::already_exists,
               "key 'a': the ring holds a different key");
  expect_error([&] { ring.add("bad id", std::string(32, 'c')); }, ErrorCode::invalid_argument,
               "key id 'bad id'");
  EXPECT_NE(ring.seal("x", "c"), ring.seal("x", "c")) << "a fresh nonce every time";
}

TEST(Mask, NamesPhonesAndIdsByCharacter) {
  EXPECT_EQ(protect::mask("张三丰", Mask::name), "张*丰");
  EXPECT_EQ(protect::mask("张三", Mask::name), "张*");
  EXPECT_EQ(protect::mask("欧阳娜娜", Mask::name), "欧**娜");
  EXPECT_EQ(protect::mask("Li", Mask::name), "L*");
  EXPECT_EQ(protect::mask("13812341234", Mask::phone), "138****1234");
  EXPECT_EQ(protect::mask("8123", Mask::phone), "****");
  EXPECT_EQ(protect::mask("0571-8888", Mask::phone), "05*****88");
  EXPECT_EQ(protect::mask("110101199003071234", Mask::id_number), "110***********1234");
  EXPECT_EQ(protect::mask("3床", Mask::text), "3*");
  EXPECT_EQ(protect::mask("abc", Mask::full), "***");
  EXPECT_EQ(protect::mask("", Mask::phone), "");
}

// ---- the store seals personal members -----------------------------------------------------------

class SealedAtRest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::BackendFixture fx;
  /// Staff table as stored: the personal flags off, so values come back as sealed.
  static store::TableInfo raw_staff() { return store::as_stored(store::table_info<site::Staff>()); }
  Id add_staff(store::Store& s, std::optional<std::string> phone) {
    site::Department d{0,
                       0,
                       "D" + std::to_string(n_),
                       "Ward",
                       site::DepartmentKind::clinical,
                       std::nullopt,
                       std::nullopt,
                       true};
    store::Repository<site::Department>(s).insert(d);
    site::Staff st{0, 0, "E" + std::to_string(n_++), "张三丰", d.id, "nurse", phone, {}, true};
    return store::Repository<site::Staff>(s).insert(st);
  }
  int n_ = 1;
};

TEST_P(SealedAtRest, RawColumnHoldsNoPlaintextAndReadsOpenIt) {
  auto s = fx.open_migrated(GetParam(), site::migrations());
  HQ_REQUIRE_STORE(s);
  Id id = add_staff(*s, "13812341234");
  Id none = add_staff(*s, std::nullopt);
  std::vector<store::Cell> row;
  ASSERT_TRUE(s->get_row(raw_staff(), id, row));
  auto phone = row[raw_staff().column_index("phone")];
  EXPECT_EQ(phone.s.rfind("hq1:test1:", 0), 0u) << phone.s;
  EXPECT_EQ(phone.s.find("1234"), std::string::npos);
  EXPECT_EQ(store::Repository<site::Staff>(*s).require(id).phone, "13812341234");
  ASSERT_TRUE(s->get_row(raw_staff(), none, row));
  EXPECT_TRUE(row[raw_staff().column_index("phone")].null) << "NULL stays NULL";
  EXPECT_FALSE(store::Repository<site::Staff>(*s).require(none).phone);
  auto all = store::Repository<site::Staff>(*s).find();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].phone, "13812341234");

  // Updates seal again (a fresh nonce), and the plaintext never reaches the table.
  auto st = store::Repository<site::Staff>(*s).require(id);
  st.phone = "13900001111";
  store::Repository<site::Staff>(*s).update(st);
  ASSERT_TRUE(s->get_row(raw_staff(), id, row));
  EXPECT_EQ(row[raw_staff().column_index("phone")].s.find("0000"), std::string::npos);
  EXPECT_EQ(store::Repository<site::Staff>(*s).require(id).phone, "13900001111");

  // An update from the row as read writes only what differs: an unchanged phone keeps its
  // sealed bytes, a changed one is sealed afresh.
  const auto sealed = row[raw_staff().column_index("phone")].s;
  const auto read = store::Repository<site::Staff>(*s).require(id);
  st = read;
  st.title = "head nurse";
  store::Repository<site::Staff>(*s).update(st, read);
  ASSERT_TRUE(s->get_row(raw_staff(), id, row));
  EXPECT_EQ(row[raw_staff().column_index("phone")].s, sealed);
  const auto read2 = store::Repository<site::Staff>(*s).require(id);
  EXPECT_EQ(read2.title, "head nurse");
  st = read2;
  st.phone = "13700002222";
  store::Repository<site::Staff>(*s).update(st, read2);
  ASSERT_TRUE(s->get_row(raw_staff(), id, row));
  EXPECT_EQ(row[raw_staff().column_index("phone")].s.rfind("hq1:test1:", 0), 0u);
  EXPECT_EQ(row[raw_staff().column_index("phone")].s.find("2222"), std::string::npos);
  EXPECT_EQ(store::Repository<site::Staff>(*s).require(id).phone, "13700002222");
}

TEST_P(SealedAtRest, WrongOrMissingKeyIsAClearError) {
  auto s = fx.open_migrated(GetParam(), site::migrations());
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "needs a second connection";
  Id id = add_staff(*s, "13812341234");
  auto wrong = std::make_shared<Keyring>();
  wrong->add("test1", std::string(32, 'w'));
  store::StoreOptions o;
  o.keys = wrong;
  auto w = store::Store::open(fx.url(), o);
  expect_error(
      [&] { store::Repository<site::Staff>(*w).get(id); }, ErrorCode::data_loss,
      "site_staff.phone of row " + std::to_string(id) + ": cannot be opened with key 'test1'");
  auto bare = store::Store::open(fx.url());
  expect_error([&] { store::Repository<site::Staff>(*bare).find(); },
               ErrorCode::failed_precondition,
               "site_staff.phone is personal data: open the store with a keyring");
  site::Staff st{0, 0, "E99", "李四", 1, "nurse", "139", {}, true};
  auto before = store::Repository<site::Staff>(*s).count();
  expect_error([&] { store::Repository<site::Staff>(*bare).insert(st); },
               ErrorCode::failed_precondition, "site_staff.phone is personal data");
  EXPECT_EQ(store::Repository<site::Staff>(*s).count(), before);
}

TEST_P(SealedAtRest, PersonalColumnsCannotBeFilteredByValue) {
  auto s = fx.open_migrated(GetParam(), site::migrations());
  HQ_REQUIRE_STORE(s);
  add_staff(*s, "13812341234");
  add_staff(*s, std::nullopt);
  expect_error(
      [&] {
        store::Repository<site::Staff>(*s).find(store::Query<site::Staff>().where(
            &site::Staff::phone, store::Op::eq, std::string("13812341234")));
      },
      ErrorCode::invalid_argument, "site_staff.phone: personal data is sealed at rest");
  EXPECT_EQ(store::Repository<site::Staff>(*s).count(
                store::Query<site::Staff>().where_null(&site::Staff::phone)),
            1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SealedAtRest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
