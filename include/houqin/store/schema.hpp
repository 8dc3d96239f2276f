// The SQL side of "describe once": how each member type becomes a column (type, nullability,
// allowed enum names), how a whole entity becomes a table (DDL for SQLite and PostgreSQL), and how
// values travel to and from the database as Cells. Nothing here is written per entity.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "houqin/core/describe.hpp"
#include "houqin/core/export.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/time.hpp"

namespace houqin::store {

enum class Dialect { sqlite, postgresql };

/// The logical column type; each has one SQL type per dialect and one Cell storage.
enum class SqlType {
  boolean,      // INTEGER 0/1 with a CHECK
  int32,        // INTEGER
  int64,        // BIGINT
  real,         // DOUBLE PRECISION / REAL
  text,         // TEXT
  enumeration,  // TEXT with CHECK (col IN (names))
  timestamp,    // BIGINT microseconds since 1970-01-01T00:00:00Z
  date,         // INTEGER days since 1970-01-01
  json,         // TEXT holding JSON (vectors, nested structs)
};

enum class Storage { integer, real, text };
HOUQIN_EXPORT Storage storage_of(SqlType type) noexcept;

/// One value on its way to or from the database. Exactly one of i/d/s is meaningful, chosen by
/// the column's Storage; null marks SQL NULL.
struct Cell {
  long long i = 0;
  double d = 0;
  std::string s;
  bool null = false;
};

struct ColumnInfo {
  std::string name;
  SqlType type;
  bool nullable = false;
  std::vector<std::string> enum_values;  // for enumeration columns
  Cell zero;  // a default-constructed member as stored: the value added columns get in old rows
  bool personal = false;  // sealed at rest with the store's keyring (entity_traits<T>::personal)
  Mask mask = Mask::full;
};

struct ForeignKey {
  std::string column;
  std::string table;  // referenced table; always its id column
};

/// Everything the store needs to know about an entity's table. Column 0 is always `id`.
struct TableInfo {
  std::string name;
  std::string collection;
  std::vector<ColumnInfo> columns;
  std::vector<std::vector<std::string>> unique;  // each entry one unique key
  std::vector<ForeignKey> references;
  bool has_personal = false;  // any column personal
  /// An id is never given out twice, even after the newest rows are deleted (entity_traits'
  /// `ids_never_reused`; SQLite AUTOINCREMENT, PostgreSQL identities always): for sequences
  /// that readers keep positions in, like the event log.
  bool ids_never_reused = false;

  /// Index of the named column; throws Error(invalid_argument) naming the table and column.
  HOUQIN_EXPORT std::size_t column_index(std::string_view column) const;
  /// Throws Error(internal) when the traits name a column the description lacks.
  HOUQIN_EXPORT void check() const;
};

/// The table as stored: personal flags off, so row operations move sealed values unopened
/// (backup, restore, key rotation, integrity checks).
HOUQIN_EXPORT TableInfo as_stored(const TableInfo& table);

/// The table with only the named columns, in that order: a narrow scan for reports, which reads
/// nothing else and opens nothing sealed that it does not name. Error(invalid_argument) naming
/// an unknown column.
HOUQIN_EXPORT TableInfo projection(const TableInfo& table,
                                   const std::vector<std::string_view>& columns);

/// CREATE TABLE IF NOT EXISTS plus its indexes (unique keys, foreign key columns).
HOUQIN_EXPORT std::vector<std::string> create_table_sql(const TableInfo& table, Dialect dialect);

/// 'text' with quotes doubled: only for DDL built from descriptions, never for values from users.
HOUQIN_EXPORT std::string sql_literal(std::string_view text);

/// "name TYPE [NOT NULL [DEFAULT zero]] [CHECK ...]": one column as CREATE TABLE and
/// ALTER TABLE ADD COLUMN both write it. `with_default` adds the zero value for NOT NULL columns.
HOUQIN_EXPORT std::string column_definition(const ColumnInfo& column, Dialect dialect,
                                            bool with_default);

/// "INTEGER", "BIGINT", ... for a column in a dialect.
HOUQIN_EXPORT std::string_view sql_type_name(SqlType type, Dialect dialect) noexcept;

// ---- member type -> column ---------------------------------------------------------------------

/// Raised while decoding a stored value that its description cannot hold (data_loss).
[[noreturn]] HOUQIN_EXPORT void fail_stored(std::string_view column, const std::string& what);

template <class M>
struct column;  // specialised for every supported member type

template <>
struct column<bool> {
  static constexpr SqlType type = SqlType::boolean;
  static void encode(bool v, Cell& c) { c.i = v ? 1 : 0; }
  static void decode(const Cell& c, bool& v, std::string_view) { v = c.i != 0; }
};

template <std::integral I>
requires(!std::is_same_v<I, bool>) struct column<I> {
  static_assert(sizeof(I) <= 8 && (std::is_signed_v<I> || sizeof(I) < 8),
                "uint64 does not fit the signed 64-bit SQL integer");
  // uint32 needs 64 bits: PostgreSQL's INTEGER is signed 32-bit.
  static constexpr SqlType type =
      sizeof(I) < 4 || (sizeof(I) == 4 && std::is_signed_v<I>) ? SqlType::int32 : SqlType::int64;
  static void encode(I v, Cell& c) { c.i = static_cast<long long>(v); }
  static void decode(const Cell& c, I& v, std::string_view name) {
    if (c.i < static_cast<long long>(std::numeric_limits<I>::min()) ||
        c.i > static_cast<long long>(std::numeric_limits<I>::max()))
      fail_stored(name, "value " + std::to_string(c.i) + " is out of range");
    v = static_cast<I>(c.i);
  }
};

template <std::floating_point F>
struct column<F> {
  static constexpr SqlType type = SqlType::real;
  static void encode(F v, Cell& c) { c.d = static_cast<double>(v); }
  static void decode(const Cell& c, F& v, std::string_view) { v = static_cast<F>(c.d); }
};

template <>
struct column<std::string> {
  static constexpr SqlType type = SqlType::text;
  static void encode(const std::string& v, Cell& c) { c.s = v; }
  static void decode(const Cell& c, std::string& v, std::string_view) { v = c.s; }
};

template <>
struct column<Timestamp> {
  static constexpr SqlType type = SqlType::timestamp;
  static void encode(Timestamp v, Cell& c) { c.i = v.time_since_epoch().count(); }
  static void decode(const Cell& c, Timestamp& v, std::string_view) {
    v = Timestamp{std::chrono::microseconds{c.i}};
  }
};

template <>
struct column<Date> {
  static constexpr SqlType type = SqlType::date;
  static void encode(Date v, Cell& c) { c.i = v.time_since_epoch().count(); }
  static void decode(const Cell& c, Date& v, std::string_view) { v = Date{std::chrono::days{c.i}}; }
};

template <DescribedEnum E>
struct column<E> {
  static constexpr SqlType type = SqlType::enumeration;
  static void encode(E v, Cell& c) { c.s = enum_name(v); }
  static void decode(const Cell& c, E& v, std::string_view name) {
    auto e = enum_from_name<E>(c.s);
    if (!e)
      fail_stored(name, "stored value '" + c.s + "' is not one of: " + enum_names_joined<E>());
    v = *e;
  }
};

/// Vectors, maps, nested structs and raw JSON values are stored as JSON text through the JSON
/// codecs.
template <class M>
requires is_vector<M>::value || is_string_map<M>::value || DescribedStruct<M> ||
    std::is_same_v<M, json::Json>
struct column<M> {
  static constexpr SqlType type = SqlType::json;
  static void encode(const M& v, Cell& c) { c.s = json::to_json(v).dump(); }
  static void decode(const Cell& c, M& v, std::string_view name) {
    try {
      v = json::from_string<M>(c.s, name);
    } catch (const Error& e) {
      fail_stored(name, e.what());
    }
  }
};

template <class M>
struct column<std::optional<M>> {
  static constexpr SqlType type = column<M>::type;
  static void encode(const std::optional<M>& v, Cell& c) {
    c.null = !v;
    if (v) column<M>::encode(*v, c);
  }
  static void decode(const Cell& c, std::optional<M>& v, std::string_view name) {
    if (c.null) {
      v.reset();
      return;
    }
    M value{};
    column<M>::decode(c, value, name);
    v = std::move(value);
  }
};

template <class M>
std::vector<std::string> column_enum_values() {
  if constexpr (is_optional<M>::value) {
    return column_enum_values<typename M::value_type>();
  } else if constexpr (DescribedEnum<M>) {
    std::vector<std::string> out;
    for (auto n : enum_names<M>()) out.emplace_back(n);
    return out;
  } else {
    return {};
  }
}

// ---- entity -> table ---------------------------------------------------------------------------

template <Entity T>
TableInfo make_table_info() {
  using traits = entity_traits<T>;
  TableInfo info;
  info.name = traits::table;
  info.collection = traits::collection;
  for_each_member<T>([&](const char* name, auto pointer) {
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*pointer)>;
    ColumnInfo col{name, column<M>::type, is_optional<M>::value, column_enum_values<M>(), {}};
    if constexpr (DescribedEnum<M>) {
      col.zero.s = col.enum_values.empty() ? std::string() : col.enum_values.front();
    } else if constexpr (!is_optional<M>::value) {
      column<M>::encode(M{}, col.zero);
    }
    info.columns.push_back(std::move(col));
  });
  if constexpr (requires { traits::unique; }) {
    for (std::string_view key : traits::unique) {
      std::vector<std::string> cols;
      std::size_t start = 0;
      while (start <= key.size()) {
        auto comma = key.find(',', start);
        if (comma == std::string_view::npos) comma = key.size();
        cols.emplace_back(key.substr(start, comma - start));
        start = comma + 1;
      }
      info.unique.push_back(std::move(cols));
    }
  }
  if constexpr (requires { traits::ids_never_reused; })
    info.ids_never_reused = traits::ids_never_reused;
  if constexpr (requires { traits::personal; }) {
    for (const Personal& p : traits::personal) {
      auto& col = info.columns[info.column_index(p.member)];
      col.personal = true;
      col.mask = p.mask;
      info.has_personal = true;
    }
  }
  for_each_reference<T>([&](const auto& r) {
    using Target = typename std::remove_cvref_t<decltype(r)>::target;
    info.references.push_back(
        ForeignKey{std::string(member_name(r.member)), std::string(entity_traits<Target>::table)});
  });
  info.check();
  return info;
}

/// The table description of T, built once.
template <Entity T>
const TableInfo& table_info() {
  static const TableInfo info = make_table_info<T>();
  return info;
}

/// Writes every member of `value` into cells (one per column, in column order).
template <Entity T>
void encode_row(const T& value, std::span<Cell> cells) {
  std::size_t i = 0;
  for_each_member<T>([&](const char*, auto pointer) {
    using M = std::remove_cvref_t<decltype(value.*pointer)>;
    Cell& c = cells[i++];
    c.null = false;
    column<M>::encode(value.*pointer, c);
  });
}

/// Reads cells (one per column, in column order) into `value`.
template <Entity T>
void decode_row(std::span<const Cell> cells, T& value) {
  std::size_t i = 0;
  for_each_member<T>([&](const char* name, auto pointer) {
    using M = std::remove_cvref_t<decltype(value.*pointer)>;
    const Cell& c = cells[i++];
    if constexpr (!is_optional<M>::value) {
      if (c.null) fail_stored(name, "stored NULL in a NOT NULL member");
    }
    column<M>::decode(c, value.*pointer, name);
  });
}

/// Encodes a JSON value as the named column of T would store it (used by filters that arrive as
/// JSON from the C ABI or Python). Type errors name the column.
template <Entity T>
Cell encode_json_value(std::string_view column_name, const json::Json& value) {
  Cell cell;
  bool found = false;
  for_each_member<T>([&](const char* name, auto pointer) {
    if (found || column_name != name) return;
    found = true;
    using M = std::remove_cvref_t<decltype(std::declval<T&>().*pointer)>;
    if (value.is_null()) {
      cell.null = true;
      return;
    }
    M decoded{};
    json::codec<M>::decode(value, decoded,
                           json::Path{nullptr, name, static_cast<std::size_t>(-1), {}});
    column<M>::encode(decoded, cell);
  });
  if (!found) table_info<T>().column_index(column_name);  // throws naming the column
  return cell;
}

}  // namespace houqin::store
