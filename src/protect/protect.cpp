#include "houqin/protect/protect.hpp"

#include <map>
#include <mutex>
#include <set>

#include "houqin/audit/call.hpp"
#include "houqin/store/catalog.hpp"
#include "houqin/store/event_log.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::protect {
namespace {

using store::Cell;
using store::TableInfo;

std::string row_name(const TableInfo& t, Id id) {
  return t.name + " " + std::to_string(id);
}

struct Registries {
  std::mutex mutex;
  std::map<std::string, std::chrono::days> minimum;
  std::vector<std::pair<std::string, Check>> checks;
};

Registries& registries() {
  static Registries r;
  return r;
}

// ---- the audit chain, checked here (domains register their own checks beside their types) ----

void audit_chain(store::Store& s, std::vector<Finding>& out) {
  if (!s.table_exists("audit_log")) return;
  auto v = audit::verify_chain(s);
  if (!v.ok)
    out.push_back({"audit_chain", "audit_log",
                   v.first_bad_id ? std::vector<Id>{*v.first_bad_id} : std::vector<Id>{},
                   v.problem});
}

/// Every event of the log says what it is and names a table this houqin knows as its aggregate
/// (a row written by hand, or by a newer version, would be handed to consumers that cannot place
/// it).
void event_log(store::Store& s, std::vector<Finding>& out) {
  if (!s.table_exists(entity_traits<store::StoredEvent>::table)) return;
  std::set<std::string, std::less<>> tables;
  for (const auto& e : store::catalog()) tables.insert(e.table->name);
  const auto& t = store::table_info<store::StoredEvent>();
  const auto type_col = t.column_index("type"), aggregate_col = t.column_index("aggregate");
  std::map<std::string, std::vector<Id>> bad;
  s.select_rows(t, store::by_id(), [&](std::span<const store::Cell> row) {
    if (row[type_col].s.empty())
      bad["an event without a type"].push_back(row[0].i);
    else if (!tables.count(row[aggregate_col].s))
      bad["events whose aggregate is not a known table (" + row[aggregate_col].s + ")"].push_back(
          row[0].i);
  });
  for (auto& [what, ids] : bad)
    out.push_back({"event_log", std::string(t.name), std::move(ids), what});
}

[[maybe_unused]] const bool builtin_checks = [] {
  register_check("audit.chain", audit_chain);
  register_check("store.event_log", event_log);
  return true;
}();

}  // namespace

// ---- keys
// ----------------------------------------------------------------------------------------

RotationReport rotate_keys(store::Store& store, const auth::Actor& actor) {
  return audit::audited(store, actor, "protect.rotate_keys", [&](audit::Call& call) {
    call.require("protect.rotate_keys");
    const store::Sealer* keys = store.keyring();
    if (!keys)
      fail(ErrorCode::failed_precondition, "rotate_keys: the store was opened without a keyring");
    const auto active = keys->active_id();
    RotationReport report;
    for (const auto& e : store::catalog()) {
      const TableInfo& t = *e.table;
      if (!t.has_personal || !store.table_exists(t.name)) continue;
      ++report.tables;
      auto r = store::as_stored(t);
      std::vector<std::vector<Cell>> changed;
      store.select_rows(r, store::by_id(), [&](std::span<const Cell> row) {
        std::vector<Cell> copy;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
          const auto& col = t.columns[i];
          if (!col.personal || row[i].null) continue;
          auto kid = Keyring::key_id_of(row[i].s);
          if (kid == active) {
            ++report.current;
            continue;
          }
          if (copy.empty()) copy.assign(row.begin(), row.end());
          auto ctx = store::sealing_context(t, col);
          auto plain =
              kid ? keys->open(row[i].s, ctx,
                               t.name + "." + col.name + " of row " + std::to_string(row[0].i))
                  : row[i].s;  // plaintext from before the column was personal
          copy[i].s = keys->seal(plain, ctx);
          ++report.resealed;
        }
        if (!copy.empty()) changed.push_back(std::move(copy));
      });
      const auto version = t.column_index("version");
      for (const auto& row : changed)  // same version: re-sealing is not a business change
        if (store.update_row(r, row, row[version].i) != 1)
          fail(ErrorCode::conflict,
               row_name(t, row[0].i) + ": changed during key rotation; run again");
    }
    call.record("", std::nullopt, std::nullopt, std::nullopt,
                "active key '" + active + "': " + std::to_string(report.resealed) +
                    " values re-sealed, " + std::to_string(report.current) + " already current");
    return report;
  });
}

// ---- masking
// -------------------------------------------------------------------------------------

void mask_rows(const TableInfo& table, json::Json& rows) {
  auto one = [&](json::Json& row) {
    for (const auto& c : table.columns) {
      if (!c.personal || !row.contains(c.name)) continue;
      auto& v = row[c.name];
      if (v.is_string())
        v = mask(v.get<std::string>(), c.mask);
      else if (!v.is_null())
        v = "***";
    }
  };
  if (rows.is_array())
    for (auto& r : rows) one(r);
  else if (rows.is_object())
    one(rows);
}

json::Json present(const TableInfo& table, json::Json row, const auth::Actor& actor,
                   const auth::Scope& target) {
  if (!table.has_personal || actor.can("protect.unmask", target)) return row;
  mask_rows(table, row);
  return row;
}

// ---- retention
// -----------------------------------------------------------------------------------

void set_minimum_retention(std::string table, std::chrono::days minimum) {
  auto& r = registries();
  std::lock_guard lock(r.mutex);
  r.minimum[std::move(table)] = minimum;
}

RetentionReport apply_retention(store::Store& store, const auth::Actor& actor,
                                const std::vector<RetentionRule>& rules) {
  std::map<std::string, const TableInfo*> known;
  for (const auto& e : store::catalog()) known[e.table->name] = e.table;
  RetentionReport total;
  for (const auto& rule : rules) {
    audit::audited(store, actor, "protect.retention", [&](audit::Call& call) {
      call.target(rule.table, std::nullopt);
      call.require("protect.retention");
      auto it = known.find(rule.table);
      if (it == known.end())
        fail(ErrorCode::invalid_argument, "retention: unknown table '" + rule.table + "'");
      const TableInfo& t = *it->second;
      if (t.name.rfind("audit_", 0) == 0)
        fail(ErrorCode::failed_precondition,
             "retention: " + t.name +
                 " is never pruned (the chain must stay whole); archive it "
                 "with audit::export_jsonl");
      const auto& col = t.columns[t.column_index(rule.time_column)];
      if (col.type != store::SqlType::timestamp && col.type != store::SqlType::date)
        fail(ErrorCode::invalid_argument,
             "retention: " + t.name + "." + col.name + " is not a timestamp or date");
      {
        auto& r = registries();
        std::lock_guard lock(r.mutex);
        if (auto m = r.minimum.find(t.name); m != r.minimum.end() && rule.keep < m->second)
          fail(ErrorCode::failed_precondition, "retention: " + t.name + " must be kept at least " +
                                                   std::to_string(m->second.count()) +
                                                   " days, the rule keeps " +
                                                   std::to_string(rule.keep.count()));
      }
      if (rule.action == RetentionAction::anonymise && !t.has_personal)
        fail(ErrorCode::invalid_argument, "retention: " + t.name + " has no personal fields");
      const auto now = store.clock().now();
      Cell cutoff;
      if (col.type == store::SqlType::timestamp)
        cutoff.i = (now - std::chrono::duration_cast<std::chrono::microseconds>(rule.keep))
                       .time_since_epoch()
                       .count();
      else
        cutoff.i = std::chrono::floor<std::chrono::days>(now).time_since_epoch().count() -
                   rule.keep.count();
      store::QuerySpec q = store::by_id();
      q.filters.push_back({col.name, store::Op::lt, {cutoff}});
      std::int64_t n = 0;
      if (rule.action == RetentionAction::erase) {
        std::vector<Id> ids;
        store.select_rows(store::as_stored(t), q,
                          [&](std::span<const Cell> row) { ids.push_back(row[0].i); });
        for (Id id : ids) n += store.delete_row(t, id, std::nullopt);
        total.erased += n;
      } else {
        std::vector<std::vector<Cell>> rows;
        store.select_rows(t, q, [&](std::span<const Cell> row) {
          std::vector<Cell> copy(row.begin(), row.end());
          bool change = false;
          for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const auto& c = t.columns[i];
            if (!c.personal) continue;
            if (c.nullable && !copy[i].null) {
              copy[i].null = true;
              copy[i].s.clear();
              change = true;
            } else if (!c.nullable && copy[i].s != "*") {
              copy[i].s = "*";
              change = true;
            }
          }
          if (change) rows.push_back(std::move(copy));
        });
        const auto version = t.column_index("version");
        for (auto& row : rows) {
          auto expected = row[version].i;
          row[version].i = expected + 1;
          n += store.update_row(t, row, expected);
        }
        total.anonymised += n;
      }
      call.record(t.name, std::nullopt, std::nullopt, std::nullopt,
                  std::string(enum_name(rule.action)) + " " + std::to_string(n) +
                      " rows older than " + std::to_string(rule.keep.count()) + " days");
    });
  }
  return total;
}

// ---- integrity
// -----------------------------------------------------------------------------------

void register_check(std::string name, Check check) {
  auto& r = registries();
  std::lock_guard lock(r.mutex);
  r.checks.emplace_back(std::move(name), std::move(check));
}

std::vector<Finding> check_integrity(store::Store& store, const auth::Actor& actor) {
  return audit::audited(store, actor, "protect.integrity", [&](audit::Call& call) {
    call.require("protect.integrity");
    std::vector<Finding> out;
    std::map<std::string, std::set<Id>> ids_of;  // table -> ids, loaded on demand
    auto ids = [&](const std::string& table) -> const std::set<Id>& {
      auto it = ids_of.find(table);
      if (it != ids_of.end()) return it->second;
      auto& set = ids_of[table];
      store::TableInfo t;
      t.name = table;
      t.columns.push_back({"id", store::SqlType::int64, false, {}, {}});
      store.select_rows(t, {}, [&](std::span<const Cell> row) { set.insert(row[0].i); });
      return set;
    };
    for (const auto& e : store::catalog()) {
      const TableInfo& t = *e.table;
      if (!store.table_exists(t.name)) continue;
      auto r = store::as_stored(t);
      // Dangling references: possible wherever foreign keys were off (another tool, an old
      // import) or the reference is not a foreign key in every backend.
      for (const auto& fk : t.references) {
        if (!store.table_exists(fk.table)) continue;
        const auto& targets = ids(fk.table);
        auto c = t.column_index(fk.column);
        store.select_rows(r, store::by_id(), [&](std::span<const Cell> row) {
          if (!row[c].null && !targets.count(row[c].i))
            out.push_back({"dangling_reference",
                           t.name,
                           {row[0].i},
                           row_name(t, row[0].i) + ": " + fk.column + " " +
                               std::to_string(row[c].i) + " names no " + fk.table + " row"});
        });
      }
      // Codes unique as stored but equal to a person: "A-101" and "a-101 ".
      for (const auto& key : t.unique) {
        if (key.size() != 1) continue;
        auto c = t.column_index(key[0]);
        if (t.columns[c].type != store::SqlType::text || t.columns[c].personal) continue;
        std::map<std::string, std::vector<std::pair<Id, std::string>>> groups;
        store.select_rows(r, store::by_id(), [&](std::span<const Cell> row) {
          std::string norm;
          for (char ch : row[c].s)
            if (ch != ' ' && ch != '\t')
              norm += (ch >= 'A' && ch <= 'Z') ? char(ch - 'A' + 'a') : ch;
          groups[norm].emplace_back(row[0].i, row[c].s);
        });
        for (const auto& [norm, rows] : groups) {
          if (rows.size() < 2) continue;
          Finding f{"duplicate_code", t.name, {}, t.name + "." + key[0] + ":"};
          for (const auto& [id, code] : rows) {
            f.ids.push_back(id);
            f.message += " '" + code + "' (id " + std::to_string(id) + ")";
          }
          f.message += " differ only in case or spaces";
          out.push_back(std::move(f));
        }
      }
    }
    std::vector<std::pair<std::string, Check>> checks;
    {
      auto& reg = registries();
      std::lock_guard lock(reg.mutex);
      checks = reg.checks;
    }
    for (const auto& [name, check] : checks) check(store, out);
    call.record("", std::nullopt, std::nullopt, std::nullopt,
                std::to_string(out.size()) + " findings");
    return out;
  });
}

}  // namespace houqin::protect
