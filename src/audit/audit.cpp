#include "houqin/audit/audit.hpp"

#include <sqlite3.h>

#include <ostream>

#include "crypto/sodium.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::audit {
namespace {

/// The chain head before audit migration 2: one row, id 1, (seq, hash) of the last record. Only
/// migrations 1 (which created it) and 2 (which moved it into the log and dropped it) know it.
struct ChainHead {
  Id id = 0;
  std::int64_t version = 0;
  std::int64_t seq = 0;
  std::string hash;
};
BOOST_DESCRIBE_STRUCT(ChainHead, (), (id, version, seq, hash))

}  // namespace
}  // namespace houqin::audit

template <>
struct houqin::entity_traits<houqin::audit::ChainHead> {
  static constexpr std::string_view table = "audit_head";
  static constexpr std::string_view collection = "audit_head";
};

namespace houqin::audit {
namespace {

[[maybe_unused]] const bool registered = store::register_tables<Record>("audit");

const std::string genesis(64, '0');

std::string chain_hash(const Record& r) {
  crypto::Blake2b h(32);
  h.field("houqin.audit.v1")
      .field(r.seq)
      .field(static_cast<std::int64_t>(r.time.time_since_epoch().count()))
      .field(r.actor)
      .field(r.user_id ? *r.user_id : std::int64_t{-1})
      .field(r.action)
      .field(r.entity)
      .field(r.entity_id ? *r.entity_id : std::int64_t{-1})
      .field(enum_name(r.outcome))
      .field(r.detail)
      .field(r.before_digest)
      .field(r.after_digest)
      .field(r.prev_hash);
  if (!r.origin.empty()) h.field("origin").field(r.origin);  // audit migration 3
  return crypto::to_hex(h.final());
}

/// Migration 1's guards: no UPDATE, DELETE (or TRUNCATE) of audit_log at all.
void create_append_only_triggers_v1(store::Store& s) {
  if (s.dialect() == store::Dialect::sqlite) {
    for (const char* op : {"UPDATE", "DELETE"})
      s.execute(std::string("CREATE TRIGGER IF NOT EXISTS audit_log_no_") + op + " BEFORE " + op +
                " ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END");
  } else {
    s.execute(
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501'; END $$");
    s.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW "
        "EXECUTE FUNCTION audit_log_append_only()");
    s.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT "
        "EXECUTE FUNCTION audit_log_append_only()");
  }
}

/// Removes the guards of either version (create_append_only_triggers puts them back).
void drop_guards(store::Store& s) {
  if (s.dialect() == store::Dialect::sqlite) {
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_UPDATE");
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_DELETE");
  } else {
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log");
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log");
  }
}

/// Since migration 2: no DELETE (or TRUNCATE) of audit_log and no UPDATE of anything a record's
/// hash covers. The tail mark is left free: it is how an append moves the chain's head, and it
/// is checked by verify() instead. Setting or clearing it by hand can only make verify() report
/// a log that is whole as broken, never the reverse -- as the unguarded audit_head row could
/// before -- and leaving it out of the guard keeps the append's UPDATE free of a trigger.
void create_append_only_triggers(store::Store& s) {
  std::string guarded;
  for (const auto& c : store::table_info<Record>().columns)
    if (c.name != "tail") guarded += (guarded.empty() ? "" : ", ") + c.name;
  if (s.dialect() == store::Dialect::sqlite) {
    s.execute("CREATE TRIGGER IF NOT EXISTS audit_log_no_UPDATE BEFORE UPDATE OF " + guarded +
              " ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END");
    s.execute(
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_DELETE BEFORE DELETE ON audit_log BEGIN "
        "SELECT RAISE(ABORT, 'audit_log is append-only'); END");
  } else {
    s.execute(
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '42501'; END $$");
    drop_guards(s);
    s.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OF " + guarded +
              " OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()");
    s.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT "
        "EXECUTE FUNCTION audit_log_append_only()");
  }
}

/// SQLite checks `CHECK (outcome IN ('success', 'denied', 'failed'))` by building a temporary
/// b-tree of the list on every INSERT: measured 3 of the 7 us an audit record's INSERT took
/// (SQLite 3.40). The same check written as `outcome = 'success' OR ...` costs nothing
/// measurable, so on SQLite audit_log is rebuilt with that form (now the generic DDL's form for
/// every SQLite table); PostgreSQL keeps the table.
void rebuild_sqlite_log_with_cheap_checks(store::Store& s) {
  const auto& t = store::table_info<Record>();
  std::string defs, columns;
  for (const auto& c : t.columns) {
    std::string def;
    if (c.name == "id") {
      def = "id INTEGER PRIMARY KEY";
    } else {
      // column_definition spells enum checks with OR on SQLite (store/schema.cpp); a log
      // created before that has the IN form, which this rebuild replaces.
      def = store::column_definition(c, store::Dialect::sqlite, false);
    }
    defs += (defs.empty() ? "" : ",\n  ") + def;
    columns += (columns.empty() ? "" : ", ") + c.name;
  }
  s.execute("CREATE TABLE audit_log_rebuilt (\n  " + defs + "\n)");
  s.execute("INSERT INTO audit_log_rebuilt (" + columns + ") SELECT " + columns +
            " FROM audit_log ORDER BY id");
  s.execute("DROP TABLE audit_log");
  s.execute("ALTER TABLE audit_log_rebuilt RENAME TO audit_log");
}

store::QuerySpec to_spec(const Filter& f, bool paged) {
  store::Query<Record> q;
  if (f.actor) q.where(&Record::actor, store::Op::eq, *f.actor);
  if (f.action) q.where(&Record::action, store::Op::eq, *f.action);
  if (f.entity) q.where(&Record::entity, store::Op::eq, *f.entity);
  if (f.entity_id) q.where(&Record::entity_id, store::Op::eq, *f.entity_id);
  if (f.outcome) q.where(&Record::outcome, store::Op::eq, *f.outcome);
  if (f.from) q.where(&Record::time, store::Op::ge, *f.from);
  if (f.to) q.where(&Record::time, store::Op::lt, *f.to);
  q.order_by(&Record::id);  // = seq
  if (paged) {
    if (f.limit < 0 || f.offset < 0)
      fail(ErrorCode::invalid_argument, "audit filter: limit and offset must not be negative");
    q.limit(f.limit).offset(f.offset);
  }
  return q.spec();
}

/// Where the next record goes: after `seq` (whose hash is `hash`), as `next`.
struct Head {
  std::int64_t seq = 0;
  std::string hash;
  std::int64_t next = 1;
};

// The tail each store handle last wrote, kept in the handle's attachment slot: a hint that saves
// reading it before each append. It is only ever a hint, checked by claim() against the stored
// record, so a stale one (another connection appended, a transaction rolled back, the log
// restored) costs one extra read, never a wrong chain.
constexpr char head_key = 0;  // its address names the slot
bool cached_head(store::Store& store, Head& out) {
  auto& slot = store.attachment(&head_key);
  if (!slot) return false;
  out = *static_cast<const Head*>(slot.get());
  return true;
}
void remember_head(store::Store& store, const Record& tail) {
  auto& slot = store.attachment(&head_key);
  if (!slot) slot = std::make_shared<Head>();
  auto& e = *static_cast<Head*>(slot.get());
  e.seq = tail.seq;
  e.hash = tail.hash;
  e.next = tail.seq + 1;
}

constexpr const char* claim_sql =
    "UPDATE audit_log SET tail = 0 WHERE id = :p1 AND tail = 1 AND hash = :p2";

/// The INSERT of a whole record, built once from the description.
const std::string& insert_sql() {
  static const std::string sql = [] {
    const auto& t = store::table_info<Record>();
    std::string columns, values;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      columns += (i > 0 ? ", " : "") + t.columns[i].name;
      values += (i > 0 ? ", :p" : ":p") + std::to_string(i + 1);
    }
    return "INSERT INTO " + t.name + " (" + columns + ") VALUES (" + values + ")";
  }();
  return sql;
}

// On SQLite the two statements of an append run as prepared statements of their own on the
// store's connection (Store::native_handle(), so they join its transaction): through the
// generic path each costs a copy of every text parameter and more than SQLite's own work. They
// live in the store's attachment slot, so they are finalized when the store closes, before its
// connection.
struct Native {
  sqlite3_stmt* claim = nullptr;
  sqlite3_stmt* insert = nullptr;
  Native() = default;
  Native(const Native&) = delete;
  Native& operator=(const Native&) = delete;
  ~Native() {
    sqlite3_finalize(claim);
    sqlite3_finalize(insert);
  }
};
constexpr char native_key = 0;  // its address names the slot
[[noreturn]] void fail_native(sqlite3* db, int rc) {
  std::string msg = std::string("audit_log: ") + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      fail(msg.find("UNIQUE") != std::string::npos ? ErrorCode::already_exists
                                                   : ErrorCode::invalid_argument,
           msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      fail(ErrorCode::unavailable, msg);
    default:
      fail(ErrorCode::internal, msg);
  }
}
Native& native(store::Store& store) {
  auto& slot = store.attachment(&native_key);
  if (!slot) {
    auto* db = static_cast<sqlite3*>(store.native_handle());
    auto n = std::make_shared<Native>();
    // OR FAIL: each statement changes one row and checks its constraints before it writes, so
    // it has nothing of its own to undo, and SQLite then skips the statement journal (a copy of
    // every page the statement touches) it keeps for ABORT inside a transaction.
    static const std::string claim_or_fail = std::string(claim_sql).replace(0, 6, "UPDATE OR FAIL");
    static const std::string insert_or_fail =
        std::string(insert_sql()).replace(0, 6, "INSERT OR FAIL");
    int rc = sqlite3_prepare_v3(db, claim_or_fail.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &n->claim,
                                nullptr);
    if (rc == SQLITE_OK)
      rc = sqlite3_prepare_v3(db, insert_or_fail.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &n->insert,
                              nullptr);
    if (rc != SQLITE_OK) fail_native(db, rc);  // n finalizes what was prepared
    slot = std::move(n);
  }
  return *static_cast<Native*>(slot.get());
}
/// Steps a statement that returns no rows and resets it; the rows it changed.
int run_native(sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) fail_native(sqlite3_db_handle(st), rc);
  return sqlite3_changes(sqlite3_db_handle(st));
}

/// Clears the tail mark of record `head.seq` if it is still the tail with that hash; true when
/// it was, and the caller now owns the chain's end until it commits or rolls back. On
/// PostgreSQL the UPDATE takes the tail row's lock, so a concurrent claim of the same record
/// waits and then finds the mark gone; SQLite's BEGIN IMMEDIATE already serialises writers.
bool claim(store::Store& store, const Head& head) {
  if (store.dialect() == store::Dialect::sqlite) {
    auto* st = native(store).claim;
    sqlite3_bind_int64(st, 1, head.seq);
    sqlite3_bind_text(st, 2, head.hash.data(), static_cast<int>(head.hash.size()), SQLITE_STATIC);
    return run_native(st) == 1;
  }
  store::Cell cells[2];
  cells[0].i = head.seq;
  cells[1].s = head.hash;
  const store::Param params[] = {{&cells[0], store::Storage::integer},
                                 {&cells[1], store::Storage::text}};
  return store.execute(claim_sql, params) == 1;
}

/// Writes the record encoded in `row`.
void insert(store::Store& store, const std::vector<store::Cell>& row,
            const std::vector<store::Param>& params) {
  if (store.dialect() != store::Dialect::sqlite) {
    store.execute(insert_sql(), params);
    return;
  }
  auto* st = native(store).insert;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    const auto& c = row[i];
    if (c.null) {
      sqlite3_bind_null(st, at);
      continue;
    }
    switch (params[i].storage) {
      case store::Storage::integer:
        sqlite3_bind_int64(st, at, c.i);
        break;
      case store::Storage::real:
        sqlite3_bind_double(st, at, c.d);
        break;
      case store::Storage::text:
        sqlite3_bind_text(st, at, c.s.data(), static_cast<int>(c.s.size()), SQLITE_STATIC);
        break;
    }
  }
  run_native(st);
}

/// Reads the end of the log and claims it (the slow path: no hint, or a stale one).
Head find_head(store::Store& store) {
  if (store.dialect() == store::Dialect::postgresql)
    // Appenders that have to read the end take turns, so two of them never both see an
    // unmarked or empty end and write the same next record. (The fast path needs no such
    // lock: its claim is a row lock on a marked tail, and neither case has one.)
    store.execute("SELECT pg_advisory_xact_lock(4849357150213820161)");  // "CHAUDIT\x01"
  store::Query<Record> q;
  q.order_by(&Record::id, true).limit(1);
  const auto spec = q.spec();
  for (int attempt = 0; attempt < 1000; ++attempt) {
    std::optional<Record> last;
    store.select_rows(store::table_info<Record>(), spec, [&](std::span<const store::Cell> row) {
      last.emplace();
      store::decode_row<Record>(row, *last);
    });
    if (!last) return {0, genesis, 1};  // an empty log (only before migration 2 finishes)
    if (!last->tail)
      // The last record is not the tail: records after it were deleted (or its mark cleared by
      // hand). Keep a gap of one so verify() goes on naming the loss; never hide it.
      return {last->seq, last->hash, last->seq + 2};
    Head head{last->seq, last->hash, last->seq + 1};
    if (claim(store, head)) return head;
    // PostgreSQL: another connection appended between the read and the claim; read again.
    if (store.dialect() != store::Dialect::postgresql) break;
  }
  fail(ErrorCode::conflict, "audit_log: the chain's tail keeps moving (a concurrent writer?)");
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {{"audit", 1, "audit log with hash chain head and append-only triggers",
           [](store::Store& s) {
             store::create_table<Record>(s);
             store::create_table<ChainHead>(s);
             s.execute("INSERT INTO audit_head (id, version, seq, hash) VALUES (1, 1, 0, '" +
                       genesis + "')");
             create_append_only_triggers_v1(s);
           }},
          {"audit", 2,
           "the chain head moves from audit_head into the log (the tail mark); cheaper checks",
           [](store::Store& s) {
             store::add_column(s, &Record::tail);
             // The rebuild and the record appended below are written with today's description,
             // so the column of migration 3 must be there already (migration 3 then skips it).
             store::add_column(s, &Record::origin);
             // Mark the record the head names, if it is there with that hash. A head that names no
             // such record (the log's end deleted, the head edited) marks nothing, so verify()
             // keeps reporting the loss, and the record appended below says so too.
             std::string found = "a new log";
             if (s.table_exists("audit_head")) {
               drop_guards(s);
               if (auto head = store::Repository<ChainHead>(s).get(1); head && head->seq > 0) {
                 store::Cell cells[2];
                 cells[0].i = head->seq;
                 cells[1].s = head->hash;
                 const store::Param params[] = {{&cells[0], store::Storage::integer},
                                                {&cells[1], store::Storage::text}};
                 auto marked = s.execute(
                     "UPDATE audit_log SET tail = 1 WHERE id = :p1 AND hash = :p2", params);
                 found = "chain head seq " + std::to_string(head->seq) +
                         (marked == 1 ? ""
                                      : " (matching no record: the log was cut short or the "
                                        "head changed before this migration)");
               }
               s.execute("DROP TABLE audit_head");
             }
             if (s.dialect() == store::Dialect::sqlite) {
               drop_guards(s);
               rebuild_sqlite_log_with_cheap_checks(s);
             }
             create_append_only_triggers(s);
             // On a new database this is the log's first record: a log is never empty from now on,
             // so an emptied one is found too.
             append(s, "service:houqin", std::nullopt,
                    Entry{"audit.migrate",
                          "audit_log",
                          std::nullopt,
                          Outcome::success,
                          "audit migration 2: " + found +
                              "; the chain's head is now the tail mark "
                              "of the last record",
                          {},
                          {}});
           }},
          {"audit", 3, "where a call came from (the HTTP client's address), hashed when given",
           [](store::Store& s) {
             store::add_column(s, &Record::origin);
             drop_guards(s);  // the guards are made again to cover the new column
             create_append_only_triggers(s);
           }}};
}

namespace {
const char origin_key = 0;
}

void set_origin(store::Store& store, std::string origin) {
  auto& slot = store.attachment(&origin_key);
  if (!slot) slot = std::make_shared<std::string>();
  *std::static_pointer_cast<std::string>(slot) = std::move(origin);
}

const std::string& origin(store::Store& store) {
  static const std::string none;
  auto& slot = store.attachment(&origin_key);
  return slot ? *std::static_pointer_cast<std::string>(slot) : none;
}

void suspend_guards(store::Store& s) {
  if (s.dialect() == store::Dialect::sqlite)
    drop_guards(s);
  else
    s.execute("ALTER TABLE audit_log DISABLE TRIGGER USER");
}

void restore_guards(store::Store& s) {
  if (s.dialect() == store::Dialect::sqlite)
    create_append_only_triggers(s);
  else
    s.execute("ALTER TABLE audit_log ENABLE TRIGGER USER");
}

std::string digest(const json::Json& value) {
  return crypto::to_hex(crypto::blake2b(value.dump()));
}

namespace {

/// Chains `r` (time, actor, what happened and digests filled in) onto the log's end and writes
/// it, inside the caller's transaction or its own.
Record append_record(store::Store& store, Record& r) {
  // Inside the caller's transaction the record simply joins it (no savepoint: appending cannot
  // half-fail in a way the caller's rollback would not undo).
  std::optional<store::Transaction> tx;
  if (store.transaction_depth() == 0) tx.emplace(store);
  r.version = 1;
  // The tail this store last wrote is usually still the tail: then claiming it is the only
  // statement besides the insert. Another connection's append (or a rollback) makes the hint
  // stale, and the end of the log is read.
  Head head;
  if (!cached_head(store, head) || !claim(store, head)) head = find_head(store);
  r.seq = head.next;
  r.id = r.seq;  // the id is the sequence number: the primary key keeps seq unique
  r.prev_hash = std::move(head.hash);
  r.hash = chain_hash(r);
  r.tail = true;
  // The row's cells and their parameters are kept per thread (a Store is used by one thread at
  // a time), so their strings keep their buffers from one append to the next.
  thread_local std::vector<store::Cell> row;
  thread_local std::vector<store::Param> params;
  if (row.empty()) {
    const auto& t = store::table_info<Record>();
    row.resize(t.columns.size());
    for (std::size_t i = 0; i < row.size(); ++i)
      params.push_back({&row[i], store::storage_of(t.columns[i].type)});
  }
  store::encode_row(r, row);
  insert(store, row, params);
  remember_head(store, r);
  if (tx) tx->commit();
  return r;
}

Record new_record(store::Store& store, std::string_view actor_label, std::optional<Id> user_id,
                  const std::string& action, std::string entity, std::optional<Id> entity_id,
                  Outcome outcome, std::string detail) {
  Record r;
  r.time = store.clock().now();
  r.actor = std::string(actor_label);
  r.user_id = user_id;
  r.action = action;
  r.entity = std::move(entity);
  r.entity_id = entity_id;
  r.outcome = outcome;
  r.detail = std::move(detail);
  r.origin = origin(store);
  return r;
}

}  // namespace

Record append(store::Store& store, std::string_view actor_label, std::optional<Id> user_id,
              const Entry& e) {
  auto r =
      new_record(store, actor_label, user_id, e.action, e.entity, e.entity_id, e.outcome, e.detail);
  if (e.before) r.before_digest = digest(*e.before);
  if (e.after) r.after_digest = digest(*e.after);
  return append_record(store, r);
}

Record append(store::Store& store, const auth::Actor& actor, const Entry& entry) {
  return append(store, actor.label(), actor.user_id(), entry);
}

Verification verify_chain(store::Store& store) {
  Verification v;
  std::int64_t expected = 1;
  std::string prev = genesis;
  bool prev_tail = false;
  const auto& table = store::table_info<Record>();
  store::Query<Record> q;
  q.order_by(&Record::id);
  auto bad = [&](std::int64_t seq, std::optional<Id> id, std::string problem) {
    if (!v.ok) return;
    v.ok = false;
    v.first_bad_seq = seq;
    v.first_bad_id = id;
    v.problem = std::move(problem);
  };
  Record r;
  store.select_rows(table, q.spec(), [&](std::span<const store::Cell> row) {
    store::decode_row<Record>(row, r);
    v.head_seq = r.seq;  // whatever else is wrong, the head is the last record
    v.head_hash = r.hash;
    if (!v.ok) return;
    ++v.records;
    auto name = "record seq " + std::to_string(r.seq) + " (id " + std::to_string(r.id) + ")";
    if (r.seq != expected || r.id != r.seq) {
      if (r.seq == expected) {
        bad(r.seq, r.id, name + ": id and seq differ (inserted or renumbered)");
        return;
      }
      bad(expected, std::nullopt,
          "record seq " + std::to_string(expected) + " is missing (deleted); the next is " + name);
      return;
    }
    if (r.prev_hash != prev) {
      bad(r.seq, r.id,
          name + ": does not follow seq " + std::to_string(r.seq - 1) +
              " (a record before it was changed, inserted or removed)");
      return;
    }
    if (chain_hash(r) != r.hash) {
      bad(r.seq, r.id, name + ": hash does not match its contents (modified)");
      return;
    }
    if (prev_tail) {
      bad(r.seq, r.id,
          name + ": follows seq " + std::to_string(r.seq - 1) +
              ", which is marked as the chain's tail (inserted after the head, or the mark set "
              "by hand)");
      return;
    }
    prev = r.hash;
    prev_tail = r.tail;
    ++expected;
  });
  if (!v.ok) return v;
  const std::int64_t last = expected - 1;
  if (last == 0)
    bad(1, std::nullopt, "record seq 1 is missing (deleted); the log is empty");
  else if (!prev_tail)
    bad(last + 1, std::nullopt,
        "record seq " + std::to_string(last + 1) + " is missing (deleted); the last record, seq " +
            std::to_string(last) + ", is not the chain's tail");
  return v;
}

Verification verify(store::Store& store, const auth::Actor& actor) {
  return audited(store, actor, "audit.verify", [&](Call& call) {
    call.require("audit.verify");
    auto v = verify_chain(store);
    call.record("audit_log", std::nullopt, std::nullopt, std::nullopt,
                v.ok ? "chain intact: " + std::to_string(v.records) + " records"
                     : "chain broken: " + v.problem);
    return v;
  });
}

std::vector<Record> query(store::Store& store, const auth::Actor& actor, const Filter& filter) {
  return audited(store, actor, "audit.query", [&](Call& call) {
    call.require("audit.read");
    std::vector<Record> out;
    store.select_rows(store::table_info<Record>(), to_spec(filter, true),
                      [&](std::span<const store::Cell> row) {
                        out.emplace_back();
                        store::decode_row<Record>(row, out.back());
                      });
    call.record("audit_log", std::nullopt, std::nullopt, std::nullopt,
                std::to_string(out.size()) + " records");
    return out;
  });
}

std::int64_t export_jsonl(store::Store& store, const auth::Actor& actor, const Filter& filter,
                          std::ostream& out) {
  return audited(store, actor, "audit.export", [&](Call& call) {
    call.require("audit.export");
    std::int64_t n = 0;
    Record r;
    store.select_rows(store::table_info<Record>(), to_spec(filter, false),
                      [&](std::span<const store::Cell> row) {
                        store::decode_row<Record>(row, r);
                        out << json::to_json(r).dump() << '\n';
                        ++n;
                      });
    if (!out) fail(ErrorCode::unavailable, "audit export: the output stream failed");
    call.record("audit_log", std::nullopt, std::nullopt, std::nullopt,
                std::to_string(n) + " records exported");
    return n;
  });
}

// ---- Call
// ----------------------------------------------------------------------------------------

Call::Call(store::Store& store, const auth::Actor& actor, std::string action)
    : store_(store), actor_(actor), action_(std::move(action)) {}

void Call::require(std::string_view permission, const auth::Scope& target) {
  actor_.require(permission, target);
}

void Call::target(std::string_view entity, std::optional<Id> id) {
  entity_ = std::string(entity);
  entity_id_ = id;
}

void Call::record(std::string_view entity, std::optional<Id> id,
                  const std::optional<json::Json>& before, const std::optional<json::Json>& after,
                  std::string detail) {
  // The digests straight from the caller's JSON, without copying it into an Entry.
  auto r = new_record(store_, actor_.label(), actor_.user_id(), action_,
                      std::string(entity.empty() ? entity_ : entity), id ? id : entity_id_,
                      Outcome::success, std::move(detail));
  if (before) r.before_digest = digest(*before);
  if (after) r.after_digest = digest(*after);
  append_record(store_, r);
  ++recorded_;
}

void Call::record_failure(Outcome outcome, const std::string& detail) noexcept {
  try {
    store::Transaction tx(store_, store::Transaction::note);
    append(store_, actor_, Entry{action_, entity_, entity_id_, outcome, detail, {}, {}});
    tx.commit();
  } catch (...) {  // the caller's error is the one to report; a dead store fails both anyway
  }
}

}  // namespace houqin::audit
