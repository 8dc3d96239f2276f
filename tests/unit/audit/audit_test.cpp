// The audit log: records commit with the change they describe, failures and denials are kept,
// the hash chain finds edited, inserted and deleted records, queries and JSON-lines export, and
// concurrent appenders keep the chain whole. Every backend.
#include "houqin/audit/audit.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "../../support/auth.hpp"
#include "../../support/expect.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/store/repository.hpp"

namespace houqin {
namespace {

using audit::Outcome;
using store::Repository;
using testing::expect_error;

class AuditTest : public ::testing::TestWithParam<std::string> {
 protected:
  testing::PlatformFixture pf;
  /// Lets raw SQL change the log, as an attacker with database access could.
  static void drop_guards(store::Store& s) {
    if (s.dialect() == store::Dialect::sqlite) {
      s.execute("DROP TRIGGER audit_log_no_UPDATE");
      s.execute("DROP TRIGGER audit_log_no_DELETE");
    } else {
      s.execute("DROP TRIGGER audit_log_no_change ON audit_log");
    }
  }
  /// Makes `n` audited changes: campuses C1..Cn.
  static void make_campuses(store::Store& s, const auth::Actor& a, int n, int from = 1) {
    for (int i = from; i < from + n; ++i)
      audit::audited(s, a, "site.edit", [&](audit::Call& call) {
        call.require("site.edit");
        site::Campus c{0, 0, "C" + std::to_string(i), "Campus", ""};
        Repository<site::Campus>(s).insert(c);
        call.record("site_campus", c.id, std::nullopt, json::to_json(c));
      });
  }
};

TEST_P(AuditTest, ChangesAndTheirRecordsCommitTogetherAndFailuresAreKept) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  auto seq0 = audit::verify_chain(*s).head_seq;
  make_campuses(*s, editor, 1);
  auto rec = Repository<audit::Record>(*s).find(store::Query<audit::Record>().where(
      &audit::Record::action, store::Op::eq, std::string("site.edit")));
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].actor, "user:editor");
  EXPECT_EQ(rec[0].entity, "site_campus");
  EXPECT_EQ(rec[0].after_digest.size(), 64u);
  EXPECT_EQ(rec[0].time, pf.clock.now());

  // A call that fails half-way: its change is rolled back, one failed record remains.
  expect_error(
      [&] {
        audit::audited(*s, editor, "site.edit", [&](audit::Call& call) {
          call.require("site.edit");
          site::Campus c{0, 0, "C2", "Campus", ""};
          Repository<site::Campus>(*s).insert(c);
          call.record("site_campus", c.id, std::nullopt, json::to_json(c));
          site::Campus dup{0, 0, "C1", "Campus", ""};
          Repository<site::Campus>(*s).insert(dup);  // unique code: fails
        });
      },
      ErrorCode::already_exists, "site_campus");
  EXPECT_EQ(Repository<site::Campus>(*s).count(), 1);
  auto log = Repository<audit::Record>(*s).find(
      store::Query<audit::Record>().order_by(&audit::Record::seq));
  EXPECT_EQ(log.back().outcome, Outcome::failed);
  EXPECT_EQ(log.back().detail.rfind("site_campus", 0), 0u) << log.back().detail;
  EXPECT_EQ(log.back().seq, seq0 + 2) << "the rolled-back record left no gap";

  // A denied call: nothing changes, a denied record remains.
  auto nobody = pf.user_with("reader", "reader", {"bi.read"});
  expect_error([&] { make_campuses(*s, nobody, 1, 3); }, ErrorCode::permission_denied,
               "user:reader lacks site.edit");
  EXPECT_EQ(Repository<site::Campus>(*s).count(), 1);
  auto last = Repository<audit::Record>(*s).find(
      store::Query<audit::Record>().order_by(&audit::Record::seq, true).limit(1));
  EXPECT_EQ(last[0].outcome, Outcome::denied);
  EXPECT_EQ(last[0].actor, "user:reader");
  EXPECT_TRUE(audit::verify_chain(*s).ok);
}

TEST_P(AuditTest, TheLogIsAppendOnlyInTheDatabaseToo) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  expect_error([&] { s->execute("UPDATE audit_log SET detail = 'x' WHERE seq = 1"); },
               ErrorCode::permission_denied, "UPDATE audit_log");
  expect_error([&] { s->execute("DELETE FROM audit_log WHERE seq = 1"); },
               ErrorCode::permission_denied, "DELETE FROM audit_log");
  EXPECT_TRUE(audit::verify_chain(*s).ok);
}

TEST_P(AuditTest, TheOriginOfACallIsRecordedHashedAndGuarded) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 1);
  audit::set_origin(*s, "http 10.2.3.4:51200");
  make_campuses(*s, editor, 1, 2);
  audit::set_origin(*s, {});
  make_campuses(*s, editor, 1, 3);
  auto log = Repository<audit::Record>(*s).find(
      store::Query<audit::Record>().order_by(&audit::Record::seq));
  ASSERT_GE(log.size(), 3u);
  EXPECT_EQ(log[log.size() - 3].origin, "");
  EXPECT_EQ(log[log.size() - 2].origin, "http 10.2.3.4:51200");
  EXPECT_EQ(log[log.size() - 1].origin, "") << "cleared, it is not carried on";
  ASSERT_TRUE(audit::verify_chain(*s).ok);
  auto seq = std::to_string(log[log.size() - 2].seq);
  expect_error([&] { s->execute("UPDATE audit_log SET origin = 'x' WHERE seq = " + seq); },
               ErrorCode::permission_denied, "UPDATE audit_log");
  drop_guards(*s);
  s->execute("UPDATE audit_log SET origin = 'http 192.0.2.1:1' WHERE seq = " + seq);
  auto v = audit::verify_chain(*s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, log[log.size() - 2].seq) << v.problem;
}

TEST_P(AuditTest, VerifyNamesTheFirstEditedInsertedOrDeletedRecord) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 10);
  auto good = audit::verify_chain(*s);
  ASSERT_TRUE(good.ok) << good.problem;
  const auto n = good.head_seq;
  ASSERT_GE(n, 15);
  drop_guards(*s);

  // Edit one field of record 7.
  s->execute("UPDATE audit_log SET detail = 'nothing to see' WHERE seq = 7");
  auto v = audit::verify_chain(*s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 7);
  EXPECT_EQ(v.problem.rfind("record seq 7 (id ", 0), 0u) << v.problem;
  EXPECT_NE(v.problem.find("hash does not match its contents (modified)"), std::string::npos);
  s->execute("DELETE FROM audit_log WHERE seq >= 7");
  s->execute("UPDATE audit_log SET tail = 1 WHERE seq = 6");
  ASSERT_TRUE(audit::verify_chain(*s).ok) << "a truncated chain with its tail marked is whole";
  make_campuses(*s, editor, 5, 20);  // seq 7..11 again

  // Delete record 9 in the middle.
  s->execute("DELETE FROM audit_log WHERE seq = 9");
  v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, 9);
  EXPECT_EQ(v.problem.rfind("record seq 9 is missing (deleted); the next is record seq 10", 0), 0u)
      << v.problem;
}

TEST_P(AuditTest, VerifyFindsRecordsDeletedAtTheEndOrInsertedAfterIt) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 3);
  auto head = audit::verify_chain(*s).head_seq;
  drop_guards(*s);
  s->execute("DELETE FROM audit_log WHERE seq = " + std::to_string(head));
  auto v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, head);
  EXPECT_EQ(v.problem, "record seq " + std::to_string(head) +
                           " is missing (deleted); the last record, seq " +
                           std::to_string(head - 1) + ", is not the chain's tail");
  // Several at the end: the same.
  s->execute("DELETE FROM audit_log WHERE seq >= " + std::to_string(head - 2));
  v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, head - 2);
  EXPECT_EQ(v.head_seq, head - 3);

  // Mark the tail as it would have been, then forge one more record after it.
  s->execute("UPDATE audit_log SET tail = 1 WHERE seq = " + std::to_string(head - 3));
  ASSERT_TRUE(audit::verify_chain(*s).ok);
  auto prev = audit::verify_chain(*s).head_hash;
  auto forge = [&](std::int64_t seq, const std::string& prev_hash, const std::string& hash) {
    s->execute(
        "INSERT INTO audit_log (id, version, seq, time, actor, action, entity, outcome, detail, "
        "before_digest, after_digest, prev_hash, hash, tail, origin) VALUES (" +
        std::to_string(seq) + ", 1, " + std::to_string(seq) +
        ", 0, 'user:mallory', 'auth.grant', '', 'success', '', '', '', '" + prev_hash + "', '" +
        hash + "', 0, '')");
  };
  forge(head - 2, prev, "abc");
  v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, head - 2);
  EXPECT_NE(v.problem.find("hash does not match"), std::string::npos) << v.problem;
}

TEST_P(AuditTest, VerifyFindsAnEmptiedLog) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  drop_guards(*s);
  s->execute("DELETE FROM audit_log");
  auto v = audit::verify_chain(*s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 1);
  EXPECT_EQ(v.problem, "record seq 1 is missing (deleted); the log is empty");
}

// A record with a correct hash after the tail (copied from a longer chain, as someone who can
// compute the unkeyed hash could write it) is found by the tail mark of the record before it.
TEST_P(AuditTest, VerifyFindsAWellFormedRecordAppendedBehindTheTail) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 2);
  auto n = audit::verify_chain(*s).head_seq;
  auto last = Repository<audit::Record>(*s).get(n);
  ASSERT_TRUE(last);
  drop_guards(*s);
  s->execute("DELETE FROM audit_log WHERE seq = " + std::to_string(n));
  s->execute("UPDATE audit_log SET tail = 1 WHERE seq = " + std::to_string(n - 1));
  last->tail = false;
  const auto& table = store::table_info<audit::Record>();
  std::vector<store::Cell> row(table.columns.size());
  store::encode_row(*last, row);
  s->put_row(table, row);
  auto v = audit::verify_chain(*s);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, n);
  EXPECT_EQ(v.problem, "record seq " + std::to_string(n) + " (id " + std::to_string(n) +
                           "): follows seq " + std::to_string(n - 1) +
                           ", which is marked as the chain's tail (inserted after the head, or "
                           "the mark set by hand)");
}

// The database refuses changes to anything a record's hash covers. The tail mark is left free
// (the append moves it), but setting or clearing it by hand is found: verify() reports the log
// as broken, and after clearing the last mark the next append leaves a gap rather than hide it.
TEST_P(AuditTest, TheTailMarkIsCheckedAndMovingItByHandIsFound) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 2);
  auto n = audit::verify_chain(*s).head_seq;
  const auto at = [](std::int64_t seq) { return " WHERE seq = " + std::to_string(seq); };
  expect_error([&] { s->execute("UPDATE audit_log SET tail = 0, detail = 'x'" + at(n)); },
               ErrorCode::permission_denied, "UPDATE audit_log");
  expect_error([&] { s->execute("UPDATE audit_log SET hash = hash" + at(n)); },
               ErrorCode::permission_denied, "UPDATE audit_log");
  ASSERT_TRUE(audit::verify_chain(*s).ok);

  s->execute("UPDATE audit_log SET tail = 1" + at(n - 1));
  auto v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, n);
  EXPECT_EQ(v.problem, "record seq " + std::to_string(n) + " (id " + std::to_string(n) +
                           "): follows seq " + std::to_string(n - 1) +
                           ", which is marked as the chain's tail (inserted after the head, or "
                           "the mark set by hand)");
  s->execute("UPDATE audit_log SET tail = 0" + at(n - 1));
  ASSERT_TRUE(audit::verify_chain(*s).ok);

  s->execute("UPDATE audit_log SET tail = 0" + at(n));
  v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, n + 1);
  make_campuses(*s, editor, 1, 10);
  v = audit::verify_chain(*s);
  EXPECT_EQ(v.first_bad_seq, n + 1);
  EXPECT_EQ(v.problem, "record seq " + std::to_string(n + 1) +
                           " is missing (deleted); the next is record seq " +
                           std::to_string(n + 2) + " (id " + std::to_string(n + 2) + ")");
  EXPECT_EQ(v.head_seq, n + 2);
}

TEST_P(AuditTest, QueryAndExportByActorActionEntityAndTime) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*s, editor, 3);
  auto t1 = pf.clock.now();
  pf.clock.advance(std::chrono::hours(1));
  make_campuses(*s, editor, 2, 10);
  auto auditor = pf.actor("auditor");

  audit::Filter f;
  f.actor = "user:editor";
  f.action = "site.edit";
  EXPECT_EQ(audit::query(*s, auditor, f).size(), 5u);
  f.from = t1 + std::chrono::microseconds(1);
  auto later = audit::query(*s, auditor, f);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_LT(later[0].seq, later[1].seq);
  f.from.reset();
  f.to = f.from.value_or(t1 + std::chrono::microseconds(1));
  EXPECT_EQ(audit::query(*s, auditor, f).size(), 3u);
  audit::Filter by_entity;
  by_entity.entity = "site_campus";
  by_entity.limit = 2;
  by_entity.offset = 1;
  EXPECT_EQ(audit::query(*s, auditor, by_entity).size(), 2u);

  std::ostringstream out;
  audit::Filter all_edits;
  all_edits.action = "site.edit";
  EXPECT_EQ(audit::export_jsonl(*s, auditor, all_edits, out), 5);
  std::istringstream lines(out.str());
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto r = json::from_string<audit::Record>(line, "line");
    EXPECT_EQ(r.action, "site.edit");
    EXPECT_EQ(r.hash.size(), 64u);
  }
  EXPECT_EQ(n, 5);
  // Reading the log is itself on the log.
  audit::Filter queries;
  queries.action = "audit.query";
  EXPECT_GE(audit::query(*s, auditor, queries).size(), 4u);
  audit::Filter bad;
  bad.limit = -1;
  expect_error([&] { audit::query(*s, auditor, bad); }, ErrorCode::invalid_argument,
               "audit filter: limit and offset must not be negative");
}

TEST_P(AuditTest, ConcurrentAppendersKeepOneUnbrokenChain) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  auto svc = auth::Actor::service("loader", {"site.edit"});
  auto before = audit::verify_chain(*s).head_seq;
  constexpr int per_thread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      try {
        store::StoreOptions o;
        o.keys = testing::test_keyring();
        auto mine = store::Store::open(pf.fx.url(), o);
        make_campuses(*mine, svc, per_thread, 1000 * (t + 1));
      } catch (const std::exception& e) {
        ++errors;
        ADD_FAILURE() << e.what();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors, 0);
  auto v = audit::verify_chain(*s);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.head_seq, before + 3 * per_thread);
}

// Each store handle remembers the head it last wrote, to skip reading it before an append. A
// rolled-back append leaves that memory stale; an append from another connection then moves the
// real head on. The next append must still follow the real head.
TEST_P(AuditTest, AStaleHeadAfterARollbackNeverForksTheChain) {
  auto s = pf.open(GetParam());
  HQ_REQUIRE_STORE(s);
  if (GetParam() == "sqlite_memory") GTEST_SKIP() << "one connection only";
  auto svc = auth::Actor::service("loader", {"site.edit"});
  audit::Entry entry{"site.edit", "site_campus", 1, Outcome::success, {}, {}, {}};
  audit::append(*s, svc, entry);
  {
    store::Transaction tx(*s);
    audit::append(*s, svc, entry);
    tx.rollback();
  }
  {
    store::StoreOptions o;
    o.keys = testing::test_keyring();
    auto other = store::Store::open(pf.fx.url(), o);
    audit::append(*other, svc, entry);
  }
  auto r = audit::append(*s, svc, entry);
  auto v = audit::verify_chain(*s);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.head_seq, r.seq);
  EXPECT_EQ(v.records, r.seq);
}

// On SQLite an append runs prepared statements of its own on the store's connection, and SQLite
// refuses to close a connection with unfinalized statements. Closing the store must still close
// it: the last connection to a WAL database removes the -wal file as it closes.
TEST_P(AuditTest, ClosingAStoreAfterAppendingClosesItsConnection) {
  if (GetParam() != "sqlite_file") GTEST_SKIP() << "a database file only";
  testing::BackendFixture fx;
  auto s = fx.open(GetParam());
  store::migrate(*s, audit::migrations());
  audit::append(*s, "service:test", std::nullopt,
                {"site.edit", "site_campus", 1, Outcome::success, {}, {}, {}});
  const auto path = fx.url().substr(std::string("sqlite:").size());
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));
  s.reset();
  EXPECT_FALSE(std::filesystem::exists(path + "-wal")) << "the connection stayed open";
  auto again = store::Store::open(fx.url());
  EXPECT_TRUE(audit::verify_chain(*again).ok);
}

// A database from before audit migration 2 keeps its chain head in the audit_head row. The
// migration marks the record the head names as the tail, drops the row and records itself on
// the log; the chain verifies, and appending goes on. A log cut short before the upgrade stays
// cut short after it.
TEST_P(AuditTest, AnOldSchemaLogMigratesAndStillVerifies) {
  auto src = pf.open(GetParam());
  HQ_REQUIRE_STORE(src);
  auto editor = pf.user_with("editor", "editor", {"site.edit"});
  make_campuses(*src, editor, 3);
  const auto records = Repository<audit::Record>(*src).find(
      store::Query<audit::Record>().order_by(&audit::Record::id));
  const auto n = static_cast<std::int64_t>(records.size());
  ASSERT_GE(n, 5);

  for (bool cut : {false, true}) {
    SCOPED_TRACE(cut ? "the last record deleted before the upgrade" : "an intact log");
    testing::BackendFixture fx;
    auto old = fx.open(GetParam());
    ASSERT_TRUE(old);
    const auto all = audit::migrations();
    store::migrate(*old, std::vector<store::Migration>{all.front()});  // audit 1 only
    // audit 1 built audit_log from today's description: take the later columns off again.
    old->execute("ALTER TABLE audit_log DROP COLUMN origin");
    old->execute("ALTER TABLE audit_log DROP COLUMN tail");
    ASSERT_TRUE(old->table_exists("audit_head"));
    // The old records: the same rows without the tail mark and origin, and the head naming the
    // last.
    auto before = store::table_info<audit::Record>();
    ASSERT_EQ(before.columns.back().name, "origin");
    before.columns.pop_back();
    ASSERT_EQ(before.columns.back().name, "tail");
    before.columns.pop_back();
    for (const auto& r : records) {
      if (cut && r.seq == n) continue;
      std::vector<store::Cell> row(before.columns.size() + 2);
      store::encode_row(r, row);
      old->put_row(before, std::span<const store::Cell>(row).first(before.columns.size()));
    }
    old->execute("UPDATE audit_head SET version = 2, seq = " + std::to_string(n) + ", hash = '" +
                 records.back().hash + "'");

    store::migrate(*old, all);
    EXPECT_FALSE(old->table_exists("audit_head"));
    auto v = audit::verify_chain(*old);
    // The copied log began with a migration record of its own; this migration's is the last.
    auto marks = Repository<audit::Record>(*old).find(store::Query<audit::Record>().where(
        &audit::Record::action, store::Op::eq, std::string("audit.migrate")));
    ASSERT_EQ(marks.size(), 2u);
    const auto& mark = marks.back();
    if (!cut) {
      EXPECT_TRUE(v.ok) << v.problem;
      EXPECT_EQ(v.records, n + 1);
      EXPECT_EQ(mark.seq, n + 1);
      EXPECT_EQ(mark.detail.rfind("audit migration 2: chain head seq " + std::to_string(n) +
                                      "; the chain's head is now the tail mark",
                                  0),
                0u)
          << mark.detail;
      auto r = audit::append(*old, editor,
                             {"site.edit", "site_campus", 1, Outcome::success, {}, {}, {}});
      EXPECT_EQ(r.seq, n + 2);
      EXPECT_TRUE(audit::verify_chain(*old).ok);
      expect_error([&] { old->execute("DELETE FROM audit_log WHERE seq = 1"); },
                   ErrorCode::permission_denied, "DELETE FROM audit_log");
      // The outcome is still checked (on SQLite the rebuilt table spells the check differently).
      expect_error(
          [&] {
            old->execute(
                "INSERT INTO audit_log (id, version, seq, time, actor, action, entity, outcome, "
                "detail, before_digest, after_digest, prev_hash, hash, tail, origin) VALUES "
                "(1000, 1, 1000, 0, 'x', 'x', '', 'bogus', '', '', '', '', '', 0, '')");
          },
          ErrorCode::invalid_argument, "INSERT INTO audit_log");
    } else {
      EXPECT_FALSE(v.ok);
      EXPECT_EQ(v.first_bad_seq, n);
      EXPECT_EQ(v.problem.rfind("record seq " + std::to_string(n) + " is missing (deleted)", 0), 0u)
          << v.problem;
      EXPECT_NE(mark.detail.find("matching no record"), std::string::npos) << mark.detail;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditTest, ::testing::ValuesIn(testing::backends()),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace houqin
