// The tamper-evident audit log (安全审计). Every state-changing call, every denied or failed
// attempt and every read of personal data appends a Record in the same transaction as the change.
// Records form a BLAKE2b hash chain: each record's hash covers its fields and the previous hash,
// and the last record carries the chain's tail mark (cleared when the next one is appended), so
// verify() finds any edited, inserted or deleted record, at the end too, and names the first one.
// The table is append-only in the database as well (triggers; only the tail mark may be cleared).
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"

namespace houqin::audit {

BOOST_DEFINE_ENUM_CLASS(Outcome, success, denied, failed)

struct Record {
  Id id = 0;
  std::int64_t version = 0;
  std::int64_t seq = 0;  // 1, 2, 3 ... without gaps; the id is the same number
  Timestamp time;
  std::string actor;  // "user:alice", "service:telemetry", "anonymous"
  std::optional<Id> user_id;
  std::string action;  // "repair.dispatch", "auth.login", "site.staff.read_personal"
  std::string entity;  // table, e.g. "repair_work_order"; empty when none
  std::optional<Id> entity_id;
  Outcome outcome = Outcome::success;
  std::string detail;         // one line: what was denied or failed, and why
  std::string before_digest;  // BLAKE2b-256 hex of the entity's JSON before, empty when none
  std::string after_digest;   // ... and after
  std::string prev_hash;      // the previous record's hash (64 zeros for the first)
  std::string hash;           // BLAKE2b-256 over every field above
  // True on the last record only: the chain's head. Appending the next record clears it (the
  // one change the database allows), so a log cut short ends in a record without it. Not hashed.
  bool tail = false;
  // Where the call came from, when a binding said so (set_origin): "http 10.2.3.4:51200" for a
  // request to the HTTP server. Hashed when not empty (records from before audit migration 3
  // have none, and their hashes are as they were).
  std::string origin;
};

BOOST_DESCRIBE_STRUCT(Record, (),
                      (id, version, seq, time, actor, user_id, action, entity, entity_id, outcome,
                       detail, before_digest, after_digest, prev_hash, hash, tail, origin))

/// Creates audit_log with its append-only triggers (domain "audit"); migration 2 moves the chain
/// head from the former audit_head row into the log (the tail mark) and records that it did.
HOUQIN_EXPORT std::vector<store::Migration> migrations();

/// What happened, for append().
struct Entry {
  std::string action;
  std::string entity;
  std::optional<Id> entity_id;
  Outcome outcome = Outcome::success;
  std::string detail;
  std::optional<json::Json> before;
  std::optional<json::Json> after;
};

/// Appends one record inside the caller's transaction (or its own when there is none) and
/// returns it. Concurrent appenders are serialised by the tail record (BEGIN IMMEDIATE on
/// SQLite, the tail row's lock on PostgreSQL).
HOUQIN_EXPORT Record append(store::Store& store, const auth::Actor& actor, const Entry& entry);
/// Same, naming the actor by label only (logins before there is an Actor: "anonymous").
HOUQIN_EXPORT Record append(store::Store& store, std::string_view actor_label,
                            std::optional<Id> user_id, const Entry& entry);

/// Where the calls made on `store` come from, written into every record appended through it
/// until it is set again (empty: none). A binding that serves many clients on one connection
/// sets it per request: the HTTP server's workers set "http <client address>".
HOUQIN_EXPORT void set_origin(store::Store& store, std::string origin);
HOUQIN_EXPORT const std::string& origin(store::Store& store);

/// Restore only: lifts and puts back the append-only triggers around replacing the whole log.
HOUQIN_EXPORT void suspend_guards(store::Store& store);
HOUQIN_EXPORT void restore_guards(store::Store& store);

/// BLAKE2b-256 of the JSON text, hex: the digest records keep of before/after states.
HOUQIN_EXPORT std::string digest(const json::Json& value);

struct Verification {
  bool ok = true;
  std::int64_t records = 0;  // records checked
  std::optional<std::int64_t> first_bad_seq;
  std::optional<Id> first_bad_id;
  std::string problem;  // "record seq 17 (id 17): hash does not match its contents (modified)"
  std::int64_t head_seq = 0;  // the last record's seq and hash
  std::string head_hash;
};
BOOST_DESCRIBE_STRUCT(Verification, (),
                      (ok, records, first_bad_seq, first_bad_id, problem, head_seq, head_hash))

/// Walks the whole chain (needs audit.verify; the verification itself is audited).
HOUQIN_EXPORT Verification verify(store::Store& store, const auth::Actor& actor);
/// The same walk without an actor, for restore and offline tools.
HOUQIN_EXPORT Verification verify_chain(store::Store& store);

struct Filter {
  std::optional<std::string> actor;
  std::optional<std::string> action;
  std::optional<std::string> entity;
  std::optional<Id> entity_id;
  std::optional<Outcome> outcome;
  std::optional<Timestamp> from;  // inclusive
  std::optional<Timestamp> to;    // exclusive
  std::int64_t limit = 1000;
  std::int64_t offset = 0;
};
BOOST_DESCRIBE_STRUCT(Filter, (),
                      (actor, action, entity, entity_id, outcome, from, to, limit, offset))

/// Records matching the filter in seq order (needs audit.read).
HOUQIN_EXPORT std::vector<Record> query(store::Store& store, const auth::Actor& actor,
                                        const Filter& filter);
/// Writes matching records as JSON lines, all of them (limit ignored); returns how many
/// (needs audit.export).
HOUQIN_EXPORT std::int64_t export_jsonl(store::Store& store, const auth::Actor& actor,
                                        const Filter& filter, std::ostream& out);

}  // namespace houqin::audit

template <>
struct houqin::entity_traits<houqin::audit::Record> {
  static constexpr std::string_view table = "audit_log";
  static constexpr std::string_view collection = "audit_log";  // id = seq, the primary key
};

// Instantiated once, in libhouqin (src/audit/entities.cpp).
HOUQIN_EXTERN_ENTITY(houqin::audit::Record)
