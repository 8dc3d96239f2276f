// The storage suite: every test runs on SQLite (memory and file) and on a real PostgreSQL server.
#include "houqin/store/store.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "../../support/backends.hpp"
#include "../../support/expect.hpp"
#include "../../support/samples.hpp"
#include "../../support/types.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using namespace houqin::store;
using site::Building;
using site::Campus;
using site::Floor;
using site::Room;
using site::RoomType;

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  /// A migrated store holding one campus, building and floor to hang rooms on.
  std::unique_ptr<Store> open_site() {
    auto s = fx.open(GetParam());
    if (!s) return s;
    auto m = site::migrations();
    migrate(*s, m);
    Campus c{0, 0, "MAIN", "本部", "建设路88号"};
    Repository<Campus>(*s).insert(c);
    Building b{0, 0, c.id, "A", "门诊楼", 5, 1};
    Repository<Building>(*s).insert(b);
    Floor f{0, 0, b.id, 3, "A-3", "3F"};
    Repository<Floor>(*s).insert(f);
    floor_id = f.id;
    return s;
  }
  Room room(std::string code, RoomType type = RoomType::office, int beds = 0) {
    Room r;
    r.floor_id = floor_id;
    r.code = std::move(code);
    r.name = "room " + r.code;
    r.type = type;
    r.beds = beds;
    return r;
  }
  testing::BackendFixture fx;
  Id floor_id = 0;
};

TEST_P(StoreTest, MigrationsRunOnceAndAreRecorded) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  std::vector<Migration> m{site::migrations().front()};  // "site 1" alone
  EXPECT_EQ(migrate(*s, m), 1);
  EXPECT_EQ(migrate(*s, m), 0);  // re-running is safe and does nothing
  EXPECT_TRUE(s->table_exists("site_room"));
  auto applied = applied_migrations(*s);
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].domain, "site");
  EXPECT_EQ(applied[0].version, 1);
  // JSON from the description (what Python's Store.applied_migrations() gives as dicts).
  auto j = json::to_json(applied[0]);
  EXPECT_EQ(j, (json::Json{{"domain", "site"},
                           {"version", 1},
                           {"description", applied[0].description},
                           {"applied_at", format_timestamp(applied[0].applied_at)}}));

  // A second migration of the same domain runs alone; its DDL is generated, so it adds a column.
  std::vector<Migration> more = m;
  more.push_back({"site", 2, "demo column",
                  [](Store& st) { st.execute("ALTER TABLE site_shift ADD COLUMN note TEXT"); }});
  EXPECT_EQ(migrate(*s, more), 1);
  EXPECT_TRUE(s->column_exists("site_shift", "note"));
  EXPECT_EQ(migrate(*s, more), 0);
}

TEST_P(StoreTest, FailedMigrationLeavesNothingBehind) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  std::vector<Migration> m{{"demo", 1, "half done", [](Store& st) {
                              st.execute("CREATE TABLE demo_half (id INTEGER)");
                              st.execute("THIS IS NOT SQL");
                            }}};
  try {
    migrate(*s, m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("migration demo 1 (half done)"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(s->table_exists("demo_half"));
  EXPECT_TRUE(applied_migrations(*s).empty());
}

TEST_P(StoreTest, MigrationListsMustBeNumberedFromOne) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  std::vector<Migration> m{{"demo", 2, "gap", [](Store&) {}}};
  EXPECT_THROW(migrate(*s, m), Error);
  EXPECT_FALSE(s->table_exists("houqin_migrations"));
}

TEST_P(StoreTest, AddColumnIsGeneratedAndIdempotent) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  // Simulate a database created before Room::area_m2, Room::type and Room::active existed.
  s->execute(
      "CREATE TABLE site_room (id INTEGER PRIMARY KEY, version BIGINT NOT NULL, floor_id BIGINT "
      "NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, department_id BIGINT, beds INTEGER NOT "
      "NULL)");
  s->execute(
      "INSERT INTO site_room (id, version, floor_id, code, name, beds) VALUES (1, 1, 9, "
      "'A-1-0001', 'old', 2)");
  add_column(*s, &Room::type);
  add_column(*s, &Room::area_m2);
  add_column(*s, &Room::area_m2);  // already there: nothing happens
  add_column(*s, &Room::active);
  auto old = Repository<Room>(*s).require(1);
  EXPECT_FALSE(old.active);             // the zero value; site 2 sets old rooms active itself
  EXPECT_EQ(old.type, RoomType::ward);  // the first enumerator fills old rows
  EXPECT_FALSE(old.area_m2.has_value());
  EXPECT_EQ(old.beds, 2);
  // The added column carries the same CHECK as a created one.
  EXPECT_THROW(s->execute("UPDATE site_room SET type = 'sauna'"), Error);
  EXPECT_EQ(Repository<Room>(*s).require(1).type, RoomType::ward);
}

TEST_P(StoreTest, InsertGetUpdateRemove) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0312", RoomType::ward, 3);
  r.area_m2 = 24.5;
  Id id = rooms.insert(r);
  EXPECT_GT(id, 0);
  EXPECT_EQ(r.version, 1);
  auto got = rooms.require(id);
  EXPECT_TRUE(members_equal(got, r));

  got.name = "3病区1床室";
  rooms.update(got);
  EXPECT_EQ(got.version, 2);
  EXPECT_EQ(rooms.require(id).name, "3病区1床室");

  EXPECT_TRUE(rooms.remove(id));
  EXPECT_FALSE(rooms.get(id).has_value());
  EXPECT_FALSE(rooms.remove(id));
  try {
    rooms.require(id);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
    EXPECT_EQ(std::string(e.what()), "site_room " + std::to_string(id) + ": not found");
  }
}

TEST_P(StoreTest, StaleVersionIsAConflictAndChangesNothing) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0301");
  rooms.insert(r);
  auto alice = rooms.require(r.id);
  auto bob = rooms.require(r.id);
  alice.name = "alice";
  rooms.update(alice);
  bob.name = "bob";
  try {
    rooms.update(bob);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::conflict);
    EXPECT_NE(std::string(e.what()).find("version 1 is stale (stored version 2)"),
              std::string::npos);
  }
  EXPECT_EQ(bob.version, 1);  // the caller's copy is not advanced by a failed update
  EXPECT_EQ(rooms.require(r.id).name, "alice");
  EXPECT_THROW(rooms.remove(r.id, 1), Error);
  EXPECT_TRUE(rooms.remove(r.id, 2));

  Room ghost = alice;
  ghost.id = 987654;
  try {
    rooms.update(ghost);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_found);
  }
}

TEST_P(StoreTest, AnUpdateFromTheRowAsReadWritesOnlyTheMembersThatDiffer) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0305", RoomType::ward, 2);
  rooms.insert(r);
  const auto read = rooms.require(r.id);
  // A column changed behind the repository's back (the version left alone) shows what each
  // update writes.
  s->execute("UPDATE site_room SET name = 'renamed elsewhere' WHERE id = " + std::to_string(r.id));
  auto changed = read;
  changed.beds = 4;
  rooms.update(changed, read);
  EXPECT_EQ(changed.version, 2);
  auto stored = rooms.require(r.id);
  EXPECT_EQ(stored.beds, 4);
  EXPECT_EQ(stored.version, 2);
  EXPECT_EQ(stored.name, "renamed elsewhere");  // not written: it did not differ from `read`
  // Nothing but the version differing still moves the version.
  auto same = stored;
  rooms.update(same, stored);
  EXPECT_EQ(rooms.require(r.id).version, 3);
  // The version check holds as in update(value): a stale row is a conflict and changes nothing.
  auto stale = read;
  stale.beds = 9;
  testing::expect_error(
      [&] { rooms.update(stale, read); }, ErrorCode::conflict,
      "site_room " + std::to_string(r.id) + ": version 1 is stale (stored version 3)");
  EXPECT_EQ(rooms.require(r.id).beds, 4);
  // The whole-row update writes every member, the one changed elsewhere included.
  auto whole = rooms.require(r.id);
  s->execute("UPDATE site_room SET name = 'renamed again' WHERE id = " + std::to_string(r.id));
  whole.beds = 5;
  rooms.update(whole);
  EXPECT_EQ(rooms.require(r.id).name, "renamed elsewhere");
}

TEST_P(StoreTest, InvalidEntityIsRejectedBeforeStorage) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A 3 bad code");
  try {
    rooms.insert(r);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_EQ(std::string(e.what()).rfind("code: 'A 3 bad code'", 0), 0u) << e.what();
  }
  EXPECT_EQ(rooms.count(), 0);
}

TEST_P(StoreTest, UniqueAndForeignKeysAreEnforcedWithClearCodes) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto a = room("A-3-0001");
  rooms.insert(a);
  auto dup = room("A-3-0001");
  try {
    rooms.insert(dup);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::already_exists) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind("site_room: ", 0), 0u) << e.what();
  }
  auto orphan = room("A-3-0002");
  orphan.floor_id = 424242;
  try {
    rooms.insert(orphan);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::failed_precondition) << e.what();
  }
  // A floor that rooms still point to cannot be deleted.
  try {
    Repository<Floor>(*s).remove(floor_id);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::failed_precondition) << e.what();
  }
  EXPECT_EQ(rooms.count(), 1);
  EXPECT_EQ(Repository<Floor>(*s).count(), 1);
}

TEST_P(StoreTest, FindFiltersOrdersAndPages) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  std::vector<Room> all;
  for (int i = 0; i < 25; ++i) {
    auto r = room("A-3-" + std::to_string(1000 + i), i % 3 == 0 ? RoomType::ward : RoomType::office,
                  i % 3 == 0 ? 4 : 0);
    if (i % 5 == 0) r.area_m2 = 10.0 + i;
    all.push_back(r);
  }
  rooms.insert_many(all);
  EXPECT_EQ(rooms.count(), 25);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::type, Op::eq, RoomType::ward)), 9);
  EXPECT_EQ(rooms.count(Query<Room>().where_null(&Room::area_m2)), 20);
  EXPECT_EQ(rooms.count(Query<Room>().where_null(&Room::area_m2, false)), 5);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::area_m2, Op::ge, 20.0)), 3);
  EXPECT_EQ(rooms.count(Query<Room>().where_in(
                &Room::code, std::vector<std::string>{"A-3-1000", "A-3-1024", "X"})),
            2);
  EXPECT_EQ(rooms.count(Query<Room>().where_in(&Room::code, std::vector<std::string>{})), 0);

  auto page = rooms.find(Query<Room>().order_by(&Room::code, true).limit(5).offset(5));
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page.front().code, "A-3-1019");
  EXPECT_EQ(page.back().code, "A-3-1015");
  auto tail = rooms.find(Query<Room>().order_by(&Room::code).offset(23));
  ASSERT_EQ(tail.size(), 2u);
  EXPECT_EQ(tail[0].code, "A-3-1023");

  // Two keys: wards first (type DESC puts 'ward' before 'office'), then by code.
  auto sorted =
      rooms.find(Query<Room>().order_by(&Room::type, true).order_by(&Room::code).limit(2));
  EXPECT_EQ(sorted[0].code, "A-3-1000");
  EXPECT_EQ(sorted[1].code, "A-3-1003");

  // The same through column names and JSON values (the C ABI / Python form).
  EXPECT_EQ(rooms.count(Query<Room>().where("beds", Op::gt, json::Json(0))), 9);
  EXPECT_EQ(rooms.count(Query<Room>().where("type", Op::in, json::Json{"ward", "icu"})), 9);
  EXPECT_EQ(rooms.find_one(Query<Room>().where("code", Op::eq, json::Json("A-3-1007")))->beds, 0);
}

TEST_P(StoreTest, BadQueriesNameTheProblem) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto expect_error = [](auto&& f, const std::string& start) {
    testing::expect_error(f, ErrorCode::invalid_argument, start);
  };
  expect_error([&] { rooms.count(Query<Room>().where("colour", Op::eq, json::Json("red"))); },
               "site_room: no column 'colour'");
  expect_error([&] { rooms.count(Query<Room>().where("beds", Op::eq, json::Json("three"))); },
               "beds: expected integer, got string");
  expect_error([&] { rooms.count(Query<Room>().where("type", Op::eq, json::Json("lab"))); },
               "type: unknown value 'lab'");
  expect_error([&] { rooms.find(Query<Room>().order_by("beds; DROP TABLE site_room")); },
               "site_room: no column 'beds; DROP TABLE site_room'");
  expect_error([&] { rooms.find(Query<Room>().limit(-1)); },
               "site_room: limit must not be negative");
  expect_error([&] { rooms.count(Query<Room>().where("beds", Op::contains, json::Json("1"))); },
               "site_room.beds: 'contains' works on text columns only");
}

TEST_P(StoreTest, SqlMetacharactersInValuesAreJustData) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0007");
  r.name = "x'); DROP TABLE site_room; -- 100% _done_ \\ 氧气";
  rooms.insert(r);
  auto by_name = rooms.find(Query<Room>().where(&Room::name, Op::eq, r.name));
  ASSERT_EQ(by_name.size(), 1u);
  EXPECT_EQ(by_name[0].name, r.name);
  // contains treats % and _ literally
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::name, Op::contains, std::string("100% _done_"))),
            1);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::name, Op::contains, std::string("100%%"))), 0);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::name, Op::contains, std::string("_DONE_"))), 1);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::name, Op::contains, std::string("氧"))), 1);
  EXPECT_EQ(rooms.count(Query<Room>().where(&Room::name, Op::contains, std::string("!"))), 0);
  EXPECT_TRUE(s->table_exists("site_room"));
}

TEST_P(StoreTest, TransactionsCommitRollBackAndNest) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  {
    Transaction tx(*s);
    auto a = room("A-3-0101");
    rooms.insert(a);
  }  // not committed: rolled back
  EXPECT_EQ(rooms.count(), 0);
  {
    Transaction outer(*s);
    auto a = room("A-3-0102");
    rooms.insert(a);
    {
      Transaction inner(*s);
      auto b = room("A-3-0103");
      rooms.insert(b);
      inner.rollback();  // only the inner insert goes
    }
    {
      Transaction inner(*s);
      auto c = room("A-3-0104");
      rooms.insert(c);
      inner.commit();
    }
    outer.commit();
  }
  auto codes = rooms.find(Query<Room>().order_by(&Room::code));
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0].code, "A-3-0102");
  EXPECT_EQ(codes[1].code, "A-3-0104");
  EXPECT_EQ(s->transaction_depth(), 0);

  // in_transaction rolls back when the body throws
  EXPECT_THROW(in_transaction(*s,
                              [&] {
                                auto d = room("A-3-0105");
                                rooms.insert(d);
                                throw std::runtime_error("changed my mind");
                              }),
               std::runtime_error);
  EXPECT_EQ(rooms.count(), 2);
}

TEST_P(StoreTest, AReadTransactionTakesNoWriteLockAndMayNotWrite) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  Repository<Room> rooms(*s);
  auto a = room("A-3-0201");
  rooms.insert(a);
  StoreOptions quick;
  quick.busy_timeout = std::chrono::milliseconds(200);
  auto other = Store::open(fx.url(), quick);
  {
    Transaction writer(*s);  // on SQLite: the write lock, held
    auto b = room("A-3-0202");
    rooms.insert(b);
    // A reader neither waits for it nor sees its uncommitted row; a writing transaction on
    // SQLite would wait busy_timeout for the lock and give up.
    Transaction read(*other, Transaction::read_only);
    EXPECT_EQ(Repository<Room>(*other).count(), 1);
    read.commit();
    if (GetParam() == "sqlite_file")
      testing::expect_error([&] { Transaction t(*other); }, ErrorCode::unavailable, "");
    writer.commit();
  }
  EXPECT_EQ(other->transaction_depth(), 0);
  if (GetParam() == "postgresql") {  // READ ONLY: a write in it is refused, nothing is stored
    Transaction read(*other, Transaction::read_only);
    auto c = room("A-3-0203");
    EXPECT_THROW(Repository<Room>(*other).insert(c), Error);
  }
  EXPECT_EQ(rooms.count(), 2);
}

TEST_P(StoreTest, InsertManyIsAllOrNothing) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  std::vector<Room> batch{room("A-3-0201"), room("A-3-0202"), room("A-3-0201")};
  EXPECT_THROW(rooms.insert_many(batch), Error);
  EXPECT_EQ(rooms.count(), 0);
  EXPECT_EQ(batch[0].id, 0);
}

// SOCI issue 910: re-executing a prepared vector statement on PostgreSQL re-inserts the first
// batch. The repository re-executes prepared statements batch after batch; every value must land.
TEST_P(StoreTest, RepeatedBatchesStoreTheirOwnValues) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  for (int batch = 0; batch < 3; ++batch) {
    std::vector<Room> rs;
    for (int i = 0; i < 50; ++i) rs.push_back(room("A-3-" + std::to_string(batch * 100 + i)));
    rooms.insert_many(rs);
  }
  auto all = rooms.find(Query<Room>().order_by(&Room::id));
  ASSERT_EQ(all.size(), 150u);
  std::set<std::string> codes;
  for (const auto& r : all) codes.insert(r.code);
  EXPECT_EQ(codes.size(), 150u);
  EXPECT_EQ(all.back().code, "A-3-249");
}

struct RoomAdded {
  std::string code;
};

TEST_P(StoreTest, EventsAreDeliveredOnlyAfterCommit) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  std::vector<std::string> seen;
  std::int64_t count_seen_by_handler = -1;
  auto sub = s->events().subscribe<RoomAdded>([&](const RoomAdded& e) {
    seen.push_back(e.code);
    count_seen_by_handler = rooms.count();  // the change is visible when the event arrives
  });
  {
    Transaction tx(*s);
    auto r = room("A-3-0301");
    rooms.insert(r);
    s->events().publish(RoomAdded{r.code});
    EXPECT_TRUE(seen.empty());
    tx.commit();
  }
  EXPECT_EQ(seen, std::vector<std::string>{"A-3-0301"});
  EXPECT_EQ(count_seen_by_handler, 1);
  {
    Transaction tx(*s);
    s->events().publish(RoomAdded{"never"});
  }
  {
    Transaction outer(*s);
    {
      Transaction inner(*s);
      s->events().publish(RoomAdded{"inner-rolled-back"});
    }
    s->events().publish(RoomAdded{"outer"});
    outer.commit();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"A-3-0301", "outer"}));
}

TEST_P(StoreTest, EveryDescribedTypeRoundTripsThroughSql) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  boost::mp11::mp_for_each<boost::mp11::mp_transform<std::type_identity, testing::EntityTypes>>(
      [&](auto id) {
        using T = typename decltype(id)::type;
        // Same columns as T's table, without foreign keys, so any sample values can go in.
        TableInfo t = table_info<T>();
        t.name = "rt_" + t.name;
        t.references.clear();
        t.unique.clear();
        for (const auto& sql : create_table_sql(t, s->dialect())) s->execute(sql);
        for (int seed = 0; seed < 3; ++seed) {
          auto original = testing::sample<T>(seed);
          std::vector<Cell> cells(t.columns.size());
          encode_row(original, cells);
          original.id = s->insert_row(t, cells);
          std::vector<Cell> back_cells;
          ASSERT_TRUE(s->get_row(t, original.id, back_cells));
          T back{};
          decode_row<T>(back_cells, back);
          EXPECT_TRUE(members_equal(original, back)) << t.name << " seed " << seed << "\n"
                                                     << json::to_json(original).dump() << "\n"
                                                     << json::to_json(back).dump();
        }
      });
}

TEST_P(StoreTest, ExtremeValuesSurviveSql) {
  auto s = fx.open(GetParam());
  HQ_REQUIRE_STORE(s);
  TableInfo t = table_info<testing::AllTypes>();
  for (const auto& sql : create_table_sql(t, s->dialect())) s->execute(sql);
  testing::AllTypes v;
  v.i16 = std::numeric_limits<std::int16_t>::min();
  v.i32 = std::numeric_limits<int>::min();
  v.u32 = std::numeric_limits<std::uint32_t>::max();  // does not fit PostgreSQL's INTEGER
  v.i64 = std::numeric_limits<std::int64_t>::max();
  v.f64 = -1.0e300;
  v.text = "tab\tnew\nline 🏥 '\"";
  v.at = parse_timestamp("1900-01-01T00:00:00.000001Z");
  v.numbers = {std::numeric_limits<std::int64_t>::min(), 0};
  Repository<testing::AllTypes> repo(*s);
  repo.insert(v);
  EXPECT_TRUE(members_equal(repo.require(v.id), v));
  EXPECT_EQ(
      repo.count(Query<testing::AllTypes>().where(&testing::AllTypes::u32, Op::gt, 3'000'000'000u)),
      1);
}

TEST_P(StoreTest, CorruptStoredValueIsDataLossNamingTheColumn) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0401");
  rooms.insert(r);
  // Bypass the CHECK constraint by recreating what an outside tool might leave behind.
  if (s->dialect() == Dialect::postgresql) {
    s->execute("ALTER TABLE site_room DROP CONSTRAINT site_room_type_check");
  } else {
    s->execute("PRAGMA ignore_check_constraints = ON");
  }
  s->execute("UPDATE site_room SET type = 'sauna'");
  try {
    rooms.require(r.id);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::data_loss);
    EXPECT_EQ(std::string(e.what()).rfind("type: stored value 'sauna'", 0), 0u) << e.what();
  }
}

TEST_P(StoreTest, CheckConstraintsGuardAgainstOtherWriters) {
  auto s = open_site();
  HQ_REQUIRE_STORE(s);
  Repository<Room> rooms(*s);
  auto r = room("A-3-0501");
  rooms.insert(r);
  try {
    s->execute("UPDATE site_room SET type = 'sauna'");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument) << e.what();
  }
  EXPECT_EQ(rooms.require(r.id).type, RoomType::office);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

TEST(StoreOpen, UnknownUrlsAndUnreachableDatabasesAreClearErrors) {
  try {
    Store::open("mysql://root@localhost/db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("unknown store URL 'mysql://root@localhost/db'"),
              std::string::npos);
  }
  try {
    Store::open("sqlite:/nonexistent-dir/x/y.db");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
  }
  try {
    Store::open("postgresql://nobody:secret@127.0.0.1:1/none?connect_timeout=2");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos)
        << "password leaked: " << e.what();
  }
}

TEST(StoreOpen, SqliteFileUsesWalAndSharesDataBetweenConnections) {
  testing::BackendFixture fx;
  auto a = fx.open("sqlite_file");
  auto m = site::migrations();
  migrate(*a, m);
  auto b = Store::open(fx.url());
  Campus c{0, 0, "MAIN", "本部", ""};
  Repository<Campus>(*a).insert(c);
  EXPECT_EQ(Repository<Campus>(*b).count(), 1);
  EXPECT_TRUE(std::filesystem::exists(fx.url().substr(7) + "-wal")) << "not in WAL mode";
  EXPECT_EQ(migrate(*b, m), 0);
}

TEST(StoreOpen, SqliteWritersWaitForEachOtherUpToTheBusyTimeout) {
  testing::BackendFixture fx;
  auto a = fx.open("sqlite_file");
  auto m = site::migrations();
  migrate(*a, m);
  StoreOptions wait_long, wait_short;
  wait_long.busy_timeout = std::chrono::milliseconds(5000);
  wait_short.busy_timeout = std::chrono::milliseconds(50);
  auto patient = Store::open(fx.url(), wait_long);
  auto impatient = Store::open(fx.url(), wait_short);

  Transaction tx(*a);
  Campus c{0, 0, "A", "a", ""};
  Repository<Campus>(*a).insert(c);
  // The impatient writer gives up with a clear, retryable error and changes nothing.
  try {
    Campus d{0, 0, "B", "b", ""};
    Repository<Campus>(*impatient).insert(d);
    FAIL() << "wrote while another connection held the write lock";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable) << e.what();
  }
  // The patient writer waits until the lock is released, then succeeds.
  std::thread writer([&] {
    Campus d{0, 0, "C", "c", ""};
    Repository<Campus>(*patient).insert(d);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  tx.commit();
  writer.join();
  EXPECT_EQ(Repository<Campus>(*a).count(), 2);
}

}  // namespace
}  // namespace houqin
