#include "houqin/store/schema.hpp"

#include <algorithm>

namespace houqin::store {

Storage storage_of(SqlType type) noexcept {
  switch (type) {
    case SqlType::real:
      return Storage::real;
    case SqlType::text:
    case SqlType::enumeration:
    case SqlType::json:
      return Storage::text;
    default:
      return Storage::integer;
  }
}

std::string_view sql_type_name(SqlType type, Dialect dialect) noexcept {
  const bool pg = dialect == Dialect::postgresql;
  switch (type) {
    case SqlType::boolean:
    case SqlType::int32:
    case SqlType::date:
      return "INTEGER";
    case SqlType::int64:
    case SqlType::timestamp:
      return "BIGINT";
    case SqlType::real:
      return pg ? "DOUBLE PRECISION" : "REAL";
    case SqlType::text:
    case SqlType::enumeration:
    case SqlType::json:
      return "TEXT";
  }
  return "TEXT";
}

void fail_stored(std::string_view column, const std::string& what) {
  fail(ErrorCode::data_loss, std::string(column) + ": " + what);
}

std::size_t TableInfo::column_index(std::string_view column) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i].name == column) return i;
  fail(ErrorCode::invalid_argument, name + ": no column '" + std::string(column) + "'");
}

void TableInfo::check() const {
  auto need = [&](const std::string& col, const char* what) {
    if (std::none_of(columns.begin(), columns.end(),
                     [&](const ColumnInfo& c) { return c.name == col; }))
      fail(ErrorCode::internal, name + ": " + what + " names unknown column '" + col + "'");
  };
  if (columns.empty() || columns[0].name != "id" || columns[0].type != SqlType::int64)
    fail(ErrorCode::internal, name + ": the first member must be `Id id`");
  need("version", "the entity");
  for (const auto& key : unique)
    for (const auto& col : key) need(col, "a unique key");
  for (const auto& fk : references) need(fk.column, "a reference");
  // A sealed value is random bytes: it cannot be compared, unique or referenced.
  for (const auto& c : columns) {
    if (!c.personal) continue;
    if (storage_of(c.type) != Storage::text || c.type == SqlType::enumeration)
      fail(ErrorCode::internal, name + "." + c.name + ": personal members must be text or JSON");
    for (const auto& key : unique)
      if (std::find(key.begin(), key.end(), c.name) != key.end())
        fail(ErrorCode::internal, name + "." + c.name + ": a personal member cannot be unique");
  }
}

TableInfo as_stored(const TableInfo& table) {
  TableInfo out = table;
  for (auto& c : out.columns) c.personal = false;
  out.has_personal = false;
  return out;
}

TableInfo projection(const TableInfo& table, const std::vector<std::string_view>& columns) {
  TableInfo out;
  out.name = table.name;
  out.collection = table.collection;
  for (auto c : columns) {
    out.columns.push_back(table.columns[table.column_index(c)]);
    out.has_personal = out.has_personal || out.columns.back().personal;
  }
  return out;
}

std::string sql_literal(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

namespace {

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

}  // namespace

std::string column_definition(const ColumnInfo& c, Dialect dialect, bool with_default) {
  std::string def = c.name + " " + std::string(sql_type_name(c.type, dialect));
  if (!c.nullable) {
    def += " NOT NULL";
    if (with_default) {
      def += " DEFAULT ";
      switch (storage_of(c.type)) {
        case Storage::integer:
          def += std::to_string(c.zero.i);
          break;
        case Storage::real:
          def += std::to_string(c.zero.d);
          break;
        case Storage::text:
          def += sql_literal(c.zero.s);
          break;
      }
    }
  }
  if (c.type == SqlType::boolean) def += " CHECK (" + c.name + " IN (0, 1))";
  if (c.type == SqlType::enumeration) {
    // SQLite evaluates a CHECK with an IN list of three or more values by building a temporary
    // b-tree on every INSERT and UPDATE (measured: 3 of the 7 us of an audit insert); the same
    // test spelled with OR costs nothing. NULL passes both spellings alike.
    std::vector<std::string> names;
    for (const auto& v : c.enum_values)
      names.push_back(dialect == Dialect::sqlite ? c.name + " = " + sql_literal(v)
                                                 : sql_literal(v));
    def += dialect == Dialect::sqlite ? " CHECK (" + join(names, " OR ") + ")"
                                      : " CHECK (" + c.name + " IN (" + join(names, ", ") + "))";
  }
  return def;
}

std::vector<std::string> create_table_sql(const TableInfo& t, Dialect dialect) {
  std::vector<std::string> defs;
  for (const auto& c : t.columns) {
    if (c.name == "id") {
      std::string def = c.name + " ";
      def += dialect == Dialect::sqlite ? (t.ids_never_reused ? "INTEGER PRIMARY KEY AUTOINCREMENT"
                                                              : "INTEGER PRIMARY KEY")
                                        : "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
      defs.push_back(std::move(def));
      continue;
    }
    defs.push_back(column_definition(c, dialect, false));
  }
  for (const auto& fk : t.references)
    defs.push_back("FOREIGN KEY (" + fk.column + ") REFERENCES " + fk.table + " (id)");
  std::vector<std::string> out;
  out.push_back("CREATE TABLE IF NOT EXISTS " + t.name + " (\n  " + join(defs, ",\n  ") + "\n)");
  for (const auto& key : t.unique)
    out.push_back("CREATE UNIQUE INDEX IF NOT EXISTS ux_" + t.name + "_" + join(key, "_") + " ON " +
                  t.name + " (" + join(key, ", ") + ")");
  // Foreign key columns are indexed: deletes of the parent and joins both look them up.
  for (const auto& fk : t.references)
    out.push_back("CREATE INDEX IF NOT EXISTS ix_" + t.name + "_" + fk.column + " ON " + t.name +
                  " (" + fk.column + ")");
  return out;
}

}  // namespace houqin::store
