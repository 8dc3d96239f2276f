// Protection of data beyond access control: re-sealing personal data under a new key, masking it
// for people without the unmask permission, retention (erase or anonymise what is old enough), and
// the business data checks (数据校核) that find dangling references, impossible states, duplicate
// codes and time-order violations, naming the rows involved.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "houqin/core/actor.hpp"
#include "houqin/core/json.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/store/store.hpp"

namespace houqin::protect {

// ---- keys
// ----------------------------------------------------------------------------------------

struct RotationReport {
  std::int64_t resealed = 0;  // values sealed again under the active key (or for the first time)
  std::int64_t current = 0;   // values already under the active key
  std::int64_t tables = 0;
};
BOOST_DESCRIBE_STRUCT(RotationReport, (), (resealed, current, tables))

/// Re-seals every personal value not under the keyring's active key (plaintext left by an older
/// version included), table by table in batches, without changing rows' versions. Needs
/// protect.rotate_keys; audited. Values whose key the ring lacks are an error naming the row.
HOUQIN_EXPORT RotationReport rotate_keys(store::Store& store, const auth::Actor& actor);

// ---- masking
// -------------------------------------------------------------------------------------

/// `row` (an entity as JSON) with its personal fields masked, unless the actor holds
/// protect.unmask for `target`.
HOUQIN_EXPORT json::Json present(const store::TableInfo& table, json::Json row,
                                 const auth::Actor& actor, const auth::Scope& target = {});
/// Masks the personal fields of every row in a collection array of `table`'s entities.
HOUQIN_EXPORT void mask_rows(const store::TableInfo& table, json::Json& rows);

// ---- retention
// -----------------------------------------------------------------------------------

BOOST_DEFINE_ENUM_CLASS(RetentionAction, erase, anonymise)

struct RetentionRule {
  std::string table;        // e.g. "waste_bag"
  std::string time_column;  // a timestamp or date column: the row's age
  std::chrono::days keep{0};
  RetentionAction action = RetentionAction::erase;
};

/// The shortest keep a table may have by law or rule (e.g. medical waste records 3 years);
/// retention rules below it are refused. Domains declare theirs.
HOUQIN_EXPORT void set_minimum_retention(std::string table, std::chrono::days minimum);

struct RetentionReport {
  std::int64_t erased = 0;
  std::int64_t anonymised = 0;
};
BOOST_DESCRIBE_STRUCT(RetentionReport, (), (erased, anonymised))

/// Applies the rules: rows older than keep are deleted, or their personal fields cleared (NULL,
/// or "*" for required ones). Needs protect.retention; audited per table. The audit log itself
/// is never subject to retention (its chain must stay whole).
HOUQIN_EXPORT RetentionReport apply_retention(store::Store& store, const auth::Actor& actor,
                                              const std::vector<RetentionRule>& rules);

// ---- integrity
// -----------------------------------------------------------------------------------

struct Finding {
  std::string check;  // "dangling_reference", "duplicate_code", "impossible_state", ...
  std::string table;
  std::vector<Id> ids;
  std::string message;
};
BOOST_DESCRIBE_STRUCT(Finding, (), (check, table, ids, message))

/// A domain's own check: appends findings for rows that break a rule the schema cannot state.
using Check = std::function<void(store::Store&, std::vector<Finding>&)>;
HOUQIN_EXPORT void register_check(std::string name, Check check);

/// Runs the generic checks over every catalogued table (dangling references, codes that differ
/// only in case or spaces) and every registered domain check. Needs protect.integrity; audited.
HOUQIN_EXPORT std::vector<Finding> check_integrity(store::Store& store, const auth::Actor& actor);

}  // namespace houqin::protect
