#include "houqin/store/query.hpp"

namespace houqin::store {
namespace {

const char* op_sql(Op op) {
  switch (op) {
    case Op::eq:
      return " = ";
    case Op::ne:
      return " <> ";
    case Op::lt:
      return " < ";
    case Op::le:
      return " <= ";
    case Op::gt:
      return " > ";
    case Op::ge:
      return " >= ";
    default:
      return "";
  }
}

}  // namespace

std::string render_select(const TableInfo& t, const QuerySpec& q, bool count, Dialect dialect,
                          std::vector<Param>& params) {
  std::string sql = "SELECT ";
  if (count) {
    sql += "COUNT(*)";
  } else {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (i) sql += ", ";
      sql += t.columns[i].name;
    }
  }
  sql += " FROM " + t.name;
  const ColumnInfo* current = nullptr;
  auto placeholder = [&](const Cell& c) {
    params.push_back(Param{&c, storage_of(current->type)});
    return ":p" + std::to_string(params.size());
  };
  bool first = true;
  for (const auto& f : q.filters) {
    const auto& col = t.columns[t.column_index(f.column)];  // throws naming an unknown column
    current = &col;
    if (col.personal && f.op != Op::is_null && f.op != Op::not_null)
      fail(ErrorCode::invalid_argument, t.name + "." + f.column +
                                            ": personal data is sealed at rest and can only be "
                                            "filtered with is_null or not_null");
    sql += first ? " WHERE " : " AND ";
    first = false;
    auto need_values = [&](std::size_t n) {
      if (f.values.size() != n)
        fail(ErrorCode::invalid_argument, t.name + "." + f.column + ": filter needs " +
                                              std::to_string(n) + " value(s), got " +
                                              std::to_string(f.values.size()));
    };
    switch (f.op) {
      case Op::is_null:
        need_values(0);
        sql += col.name + " IS NULL";
        break;
      case Op::not_null:
        need_values(0);
        sql += col.name + " IS NOT NULL";
        break;
      case Op::in: {
        if (f.values.empty()) {
          sql += "1 = 0";  // nothing is in the empty set
          break;
        }
        sql += col.name + " IN (";
        for (std::size_t i = 0; i < f.values.size(); ++i) {
          if (i) sql += ", ";
          sql += placeholder(f.values[i]);
        }
        sql += ")";
        break;
      }
      case Op::contains: {
        need_values(1);
        if (storage_of(col.type) != Storage::text)
          fail(ErrorCode::invalid_argument,
               t.name + "." + f.column + ": 'contains' works on text columns only");
        // The pattern is built in SQL from the bound value, escaping LIKE's wildcards there, so
        // the value stays a parameter.
        sql += "LOWER(" + col.name + ") LIKE '%' || REPLACE(REPLACE(REPLACE(LOWER(" +
               placeholder(f.values[0]) + "), '!', '!!'), '%', '!%'), '_', '!_') || '%' ESCAPE '!'";
        break;
      }
      default:
        need_values(1);
        if (f.values[0].null)
          fail(ErrorCode::invalid_argument,
               t.name + "." + f.column + ": compare with null through is_null/not_null");
        sql += col.name + op_sql(f.op) + placeholder(f.values[0]);
    }
  }
  if (!count) {
    sql += " ORDER BY ";
    for (const auto& o : q.order) {
      sql += t.columns[t.column_index(o.column)].name + (o.descending ? " DESC, " : ", ");
    }
    sql += "id";  // a total order, so paging is stable
    if (q.limit) {
      if (*q.limit < 0) fail(ErrorCode::invalid_argument, t.name + ": limit must not be negative");
      sql += " LIMIT " + std::to_string(*q.limit);
    }
    if (q.offset < 0) fail(ErrorCode::invalid_argument, t.name + ": offset must not be negative");
    if (q.offset > 0) {
      if (!q.limit) sql += dialect == Dialect::sqlite ? " LIMIT -1" : " LIMIT ALL";
      sql += " OFFSET " + std::to_string(q.offset);
    }
  }
  return sql;
}

}  // namespace houqin::store
