// Whole-dataset documents: a set of entity types exported as one JSON object (one array per
// collection) and imported back all-or-nothing. Ids in a document are local keys: references
// between its entries use them, and import gives every row a fresh store id and rewrites the
// references. Everything comes from the descriptions and entity_traits; nothing is per entity.
#pragma once

#include <boost/mp11.hpp>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "houqin/core/json.hpp"
#include "houqin/store/repository.hpp"

namespace houqin::store {

/// What an import inserted: rows per collection and their sum (a member, not a function, so the
/// JSON, C and Python forms carry it from the description).
struct ImportReport {
  std::map<std::string, std::size_t> inserted;  // per collection
  std::size_t total = 0;                        // the sum of inserted
};
BOOST_DESCRIBE_STRUCT(ImportReport, (), (inserted, total))

/// Ts are listed so that a referenced type comes before the types that reference it.
template <Entity... Ts>
class Document {
  using List = boost::mp11::mp_list<Ts...>;

  template <class T>
  static constexpr std::size_t index = boost::mp11::mp_find<List, T>::value;
  template <class T>
  static constexpr bool in_document = index<T> < sizeof...(Ts);

 public:
  /// {"<collection>": [rows ordered by id], ...} plus `header` members.
  static json::Json export_json(Store& store, json::Json header = json::Json::object()) {
    json::Json out = std::move(header);
    (export_one<Ts>(store, out), ...);
    return out;
  }

  /// The document's JSON Schema: `header` properties (all required), then one array per
  /// collection (required in output; an import may leave a collection out).
  static json::Json schema(json::SchemaBuilder& b, json::Json header) {
    json::Json properties = header;
    json::Json required = json::Json::array();
    for (auto it = header.begin(); it != header.end(); ++it) required.push_back(it.key());
    auto add = [&](std::string_view collection, json::Json items) {
      properties[std::string(collection)] = {{"type", "array"}, {"items", std::move(items)}};
      if (b.direction == json::Direction::output) required.push_back(std::string(collection));
    };
    (add(entity_traits<Ts>::collection, json::codec<Ts>::schema(b)), ...);
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
  }

  /// Calls f(table_info) for each entity type of the document, in order.
  template <class F>
  static void for_each_table(F&& f) {
    (f(table_info<Ts>()), ...);
  }

  /// Validates the whole document first (types, unknown fields, enum names, validate(), duplicate
  /// ids and unique keys, references), then inserts everything in one transaction. Any error names
  /// the entry and field (e.g. "rooms[12].floor_id: no floors entry with id 99") and leaves the
  /// store exactly as it was. `header_keys` are top-level members the caller checks itself.
  static ImportReport import_json(Store& store, const json::Json& doc,
                                  const std::set<std::string>& header_keys = {}) {
    if (!doc.is_object()) json::fail_type(json::Path{}, "object", doc);
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      bool known = header_keys.count(it.key()) > 0;
      ((known = known || it.key() == entity_traits<Ts>::collection), ...);
      if (!known)
        json::fail_at(json::Path{nullptr, it.key(), static_cast<std::size_t>(-1), {}},
                      "unknown collection");
    }
    std::tuple<std::vector<Ts>...> rows;
    (parse_one<Ts>(doc, std::get<index<Ts>>(rows)), ...);
    (check_one<Ts>(store, rows), ...);

    ImportReport report;
    std::array<std::unordered_map<Id, Id>, sizeof...(Ts)> ids;  // document id -> store id, per type
    in_transaction(store, [&] { (insert_one<Ts>(store, rows, ids, report), ...); });
    return report;
  }

 private:
  template <class T>
  static std::string entry(std::size_t i) {
    return std::string(entity_traits<T>::collection) + "[" + std::to_string(i) + "]";
  }

  template <class T>
  static void export_one(Store& store, json::Json& out) {
    Repository<T> repo(store);
    json::Json list = json::Json::array();
    for (const auto& row : repo.find()) list.push_back(json::to_json(row));
    out[std::string(entity_traits<T>::collection)] = std::move(list);
  }

  template <class T>
  static void parse_one(const json::Json& doc, std::vector<T>& out) {
    const auto key = std::string(entity_traits<T>::collection);
    auto it = doc.find(key);
    if (it == doc.end()) return;
    if (!it->is_array())
      json::fail_type(json::Path{nullptr, key, static_cast<std::size_t>(-1), {}}, "array", *it);
    out.reserve(it->size());
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto name = entry<T>(i);
      out.push_back(json::from_json<T>((*it)[i], name));
      try {
        validate_if_defined(out.back());
      } catch (const Error& e) {
        fail(e.code(), name + "." + e.what());
      }
    }
  }

  template <class T, class R>
  static const Id* target_of(const T& row, const R& r) {
    const auto& v = row.*(r.member);
    if constexpr (is_optional<std::remove_cvref_t<decltype(v)>>::value) {
      return v ? &*v : nullptr;
    } else {
      return &v;
    }
  }

  template <class T, class R>
  static Id* target_of(T& row, const R& r) {
    return const_cast<Id*>(target_of(static_cast<const T&>(row), r));
  }

  template <class T>
  static void check_one(Store& store, const std::tuple<std::vector<Ts>...>& rows) {
    const auto& mine = std::get<index<T>>(rows);
    // Ids: positive and unique, they are what references point at.
    std::unordered_map<Id, std::size_t> seen;
    for (std::size_t i = 0; i < mine.size(); ++i) {
      Id id = mine[i].id;
      if (id <= 0)
        fail(ErrorCode::invalid_argument, entry<T>(i) + ".id: must be a positive document id");
      auto [it, fresh] = seen.emplace(id, i);
      if (!fresh)
        fail(ErrorCode::invalid_argument, entry<T>(i) + ".id: duplicate id " + std::to_string(id) +
                                              " (also " + entry<T>(it->second) + ")");
    }
    // Unique keys within the document (clashes with rows already stored surface at insert).
    const auto& table = table_info<T>();
    for (const auto& key : table.unique) {
      std::vector<std::size_t> cols;
      for (const auto& c : key) cols.push_back(table.column_index(c));
      std::map<std::string, std::size_t> keys;
      std::vector<Cell> cells(table.columns.size());
      for (std::size_t i = 0; i < mine.size(); ++i) {
        encode_row(mine[i], cells);
        std::string k, shown;
        for (auto c : cols) {
          const Cell& cell = cells[c];
          auto part = storage_of(table.columns[c].type) == Storage::text   ? cell.s
                      : storage_of(table.columns[c].type) == Storage::real ? std::to_string(cell.d)
                                                                           : std::to_string(cell.i);
          k += (cell.null ? "\x01" : part) + '\x00';
          shown += (shown.empty() ? "" : ", ") + part;
        }
        auto [it, fresh] = keys.emplace(k, i);
        if (!fresh)
          fail(ErrorCode::already_exists, entry<T>(i) + "." + key.front() + ": duplicate value '" +
                                              shown + "' (also " + entry<T>(it->second) + ")");
      }
    }
    // References resolve inside the document, or to a stored row for types it does not carry.
    for_each_reference<T>([&](const auto& r) {
      using Target = typename std::remove_cvref_t<decltype(r)>::target;
      auto field = std::string(member_name(r.member));
      std::set<Id> targets;
      if constexpr (in_document<Target>)
        for (const auto& t : std::get<index<Target>>(rows)) targets.insert(t.id);
      for (std::size_t i = 0; i < mine.size(); ++i) {
        const Id* target = target_of(mine[i], r);
        if (!target) continue;
        bool ok;
        if constexpr (in_document<Target>) {
          ok = targets.count(*target) > 0;
        } else {
          ok = Repository<Target>(store).get(*target).has_value();
        }
        if (!ok)
          fail(ErrorCode::invalid_argument, entry<T>(i) + "." + field + ": no " +
                                                std::string(entity_traits<Target>::collection) +
                                                " entry with id " + std::to_string(*target));
      }
    });
  }

  /// Order in which rows of T can be inserted: parents before children for self-references.
  template <class T>
  static std::vector<std::size_t> insert_order(const std::vector<T>& mine) {
    std::vector<std::size_t> order;
    bool self = false;
    for_each_reference<T>([&](const auto& r) {
      using Target = typename std::remove_cvref_t<decltype(r)>::target;
      self = self || std::is_same_v<Target, T>;
    });
    if (!self) {
      for (std::size_t i = 0; i < mine.size(); ++i) order.push_back(i);
      return order;
    }
    std::unordered_map<Id, std::size_t> pos;
    for (std::size_t i = 0; i < mine.size(); ++i) pos[mine[i].id] = i;
    std::vector<int> state(mine.size(), 0);  // 0 new, 1 visiting, 2 done
    std::function<void(std::size_t)> visit = [&](std::size_t i) {
      if (state[i] == 2) return;
      if (state[i] == 1)
        fail(ErrorCode::invalid_argument, entry<T>(i) + ": references form a cycle");
      state[i] = 1;
      for_each_reference<T>([&](const auto& r) {
        using Target = typename std::remove_cvref_t<decltype(r)>::target;
        if constexpr (std::is_same_v<Target, T>) {
          if (const Id* p = target_of(mine[i], r)) visit(pos.at(*p));
        }
      });
      state[i] = 2;
      order.push_back(i);
    };
    for (std::size_t i = 0; i < mine.size(); ++i) visit(i);
    return order;
  }

  template <class T>
  static void insert_one(Store& store, std::tuple<std::vector<Ts>...>& rows,
                         std::array<std::unordered_map<Id, Id>, sizeof...(Ts)>& ids,
                         ImportReport& report) {
    auto& mine = std::get<index<T>>(rows);
    Repository<T> repo(store);
    auto& my_ids = ids[index<T>];
    for (std::size_t i : insert_order(mine)) {
      T row = mine[i];
      for_each_reference<T>([&](const auto& r) {
        using Target = typename std::remove_cvref_t<decltype(r)>::target;
        if constexpr (in_document<Target>) {
          if (Id* p = target_of(row, r)) *p = ids[index<Target>].at(*p);
        }
      });
      row.id = 0;
      try {
        repo.insert(row);
      } catch (const Error& e) {
        fail(e.code(), entry<T>(i) + ": " + e.what());
      }
      my_ids[mine[i].id] = row.id;
    }
    report.inserted[std::string(entity_traits<T>::collection)] = mine.size();
    report.total += mine.size();
  }
};

}  // namespace houqin::store
