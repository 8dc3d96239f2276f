#include "houqin/audit/audit.hpp"

#include <mutex>
#include <ostream>
#include <unordered_map>

#include "crypto/sodium.hpp"
#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::audit {
namespace {

[[maybe_unused]] const bool registered = store::register_tables<Record, ChainHead>("audit");

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
  return crypto::to_hex(h.final());
}

void create_append_only_triggers(store::Store& s) {
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

// The chain head each store handle last wrote: a hint that saves reading the head before each
// append. It is only ever a hint, checked by the head's version in the UPDATE, so a stale entry
// (another connection appended, a transaction rolled back, a handle freed and its address reused,
// the head row rewritten by hand) costs one extra read, never a wrong chain: the UPDATE that
// moves the head checks its version, seq and hash.
struct HeadHints {
  std::mutex mutex;
  std::unordered_map<const store::Store*, ChainHead> by_store;
};
HeadHints& head_hints() {
  static HeadHints h;
  return h;
}
std::optional<ChainHead> cached_head(const store::Store& store) {
  auto& h = head_hints();
  std::lock_guard lock(h.mutex);
  auto it = h.by_store.find(&store);
  if (it == h.by_store.end()) return std::nullopt;
  return it->second;
}
void remember_head(const store::Store& store, const ChainHead& head) {
  auto& h = head_hints();
  std::lock_guard lock(h.mutex);
  if (h.by_store.size() > 4096) h.by_store.clear();  // bounded, whatever the hosts do
  h.by_store[&store] = head;
}

}  // namespace

std::vector<store::Migration> migrations() {
  return {
      {"audit", 1, "audit log with hash chain head and append-only triggers", [](store::Store& s) {
         store::create_table<Record>(s);
         store::create_table<ChainHead>(s);
         s.execute("INSERT INTO audit_head (id, version, seq, hash) VALUES (1, 1, 0, '" + genesis +
                   "')");
         create_append_only_triggers(s);
       }}};
}

void suspend_guards(store::Store& s) {
  if (s.dialect() == store::Dialect::sqlite) {
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_UPDATE");
    s.execute("DROP TRIGGER IF EXISTS audit_log_no_DELETE");
  } else {
    s.execute("ALTER TABLE audit_log DISABLE TRIGGER USER");
  }
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

Record append(store::Store& store, std::string_view actor_label, std::optional<Id> user_id,
              const Entry& e) {
  // Inside the caller's transaction the record simply joins it (no savepoint: appending cannot
  // half-fail in a way the caller's rollback would not undo).
  std::optional<store::Transaction> tx;
  if (store.transaction_depth() == 0) tx.emplace(store);
  Record r;
  r.time = store.clock().now();
  r.actor = std::string(actor_label);
  r.user_id = user_id;
  r.action = e.action;
  r.entity = e.entity;
  r.entity_id = e.entity_id;
  r.outcome = e.outcome;
  r.detail = e.detail;
  if (e.before) r.before_digest = digest(*e.before);
  if (e.after) r.after_digest = digest(*e.after);
  r.version = 1;

  // Moves the head from `head` to the new record with one conditional UPDATE; false when the
  // stored head is no longer `head` (seq and hash, not only the version: a hint left by a
  // rolled-back append, or a head rewritten by hand, must never be built on), changing nothing.
  // On PostgreSQL the UPDATE also takes the head row's lock, which serialises appenders; SQLite's
  // BEGIN IMMEDIATE already has.
  auto advance = [&](const ChainHead& head) {
    r.seq = head.seq + 1;
    r.id = r.seq;  // the id is the sequence number: the primary key keeps seq unique
    r.prev_hash = head.hash;
    r.hash = chain_hash(r);
    ChainHead next{head.id, head.version + 1, r.seq, r.hash};
    store::Cell cells[6];
    cells[0].i = next.version;
    cells[1].i = next.seq;
    cells[2].s = next.hash;
    cells[3].i = head.version;
    cells[4].i = head.seq;
    cells[5].s = head.hash;
    using store::Storage;
    const store::Param params[] = {{&cells[0], Storage::integer}, {&cells[1], Storage::integer},
                                   {&cells[2], Storage::text},    {&cells[3], Storage::integer},
                                   {&cells[4], Storage::integer}, {&cells[5], Storage::text}};
    if (store.execute("UPDATE audit_head SET version = :p1, seq = :p2, hash = :p3 WHERE id = 1 "
                      "AND version = :p4 AND seq = :p5 AND hash = :p6",
                      params) != 1)
      return false;
    remember_head(store, next);
    return true;
  };
  // The head this store last wrote is usually still the head: then one statement does what a
  // read and a write would. Another connection's append (or a rollback) makes it stale, and the
  // head is read again.
  auto hint = cached_head(store);
  if (!hint || !advance(*hint)) {
    if (store.dialect() == store::Dialect::postgresql)
      store.execute("UPDATE audit_head SET version = version WHERE id = 1");
    auto head = store::Repository<ChainHead>(store).get(1);
    if (!head) fail(ErrorCode::failed_precondition, "audit_head: missing (run audit::migrations)");
    if (!advance(*head))
      fail(ErrorCode::conflict, "audit_head: changed while locked (a concurrent writer?)");
  }
  std::vector<store::Cell> row(store::table_info<Record>().columns.size());
  store::encode_row(r, row);
  store.put_row(store::table_info<Record>(), row);
  if (tx) tx->commit();
  return r;
}

Record append(store::Store& store, const auth::Actor& actor, const Entry& entry) {
  return append(store, actor.label(), actor.user_id(), entry);
}

Verification verify_chain(store::Store& store) {
  Verification v;
  std::int64_t expected = 1;
  std::string prev = genesis;
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
  store.select_rows(table, q.spec(), [&](std::span<const store::Cell> row) {
    if (!v.ok) return;
    Record r;
    store::decode_row<Record>(row, r);
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
    prev = r.hash;
    ++expected;
  });
  auto head = store::Repository<ChainHead>(store).get(1);
  if (!head) {
    bad(expected, std::nullopt, "audit_head: missing");
    return v;
  }
  v.head_seq = head->seq;
  v.head_hash = head->hash;
  if (!v.ok) return v;
  std::int64_t last = expected - 1;
  if (head->seq > last) {
    bad(last + 1, std::nullopt,
        "record seq " + std::to_string(last + 1) + " is missing (deleted); the chain head is seq " +
            std::to_string(head->seq));
  } else if (head->seq < last) {
    bad(head->seq + 1, std::nullopt,
        "record seq " + std::to_string(head->seq + 1) + " is beyond the chain head (inserted)");
  } else if (head->hash != prev) {
    bad(last, std::nullopt,
        "the chain head does not match record seq " + std::to_string(last) + " (modified)");
  }
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
  append(store_, actor_,
         Entry{action_, std::string(entity.empty() ? entity_ : entity), id ? id : entity_id_,
               Outcome::success, std::move(detail), before, after});
  ++recorded_;
}

void Call::record_failure(Outcome outcome, const std::string& detail) noexcept {
  try {
    store::Transaction tx(store_);
    append(store_, actor_, Entry{action_, entity_, entity_id_, outcome, detail, {}, {}});
    tx.commit();
  } catch (...) {  // the caller's error is the one to report; a dead store fails both anyway
  }
}

}  // namespace houqin::audit
