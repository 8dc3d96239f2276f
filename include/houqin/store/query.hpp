// Filters, ordering and paging for Repository<T>::find and count. Column names are checked against
// the entity's description and values are always bound as parameters: a value never becomes SQL
// text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "houqin/store/schema.hpp"

namespace houqin::store {

enum class Op {
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  in,        // any of values
  contains,  // case-insensitive substring on text columns; % and _ in the value are literal
  is_null,
  not_null,
};
BOOST_DESCRIBE_ENUM(Op, eq, ne, lt, le, gt, ge, in, contains, is_null, not_null)

struct Filter {
  std::string column;
  Op op = Op::eq;
  std::vector<Cell> values;
};

struct Order {
  std::string column;
  bool descending = false;
};

/// The untyped form every query takes on its way to SQL.
struct QuerySpec {
  std::vector<Filter> filters;  // joined with AND
  std::vector<Order> order;     // default: by id
  std::optional<std::int64_t> limit;
  std::int64_t offset = 0;
};

/// Every row in id order: how whole-table tools read.
inline QuerySpec by_id() {
  QuerySpec q;
  q.order.push_back({"id", false});
  return q;
}

/// Renders "SELECT cols FROM t WHERE ... ORDER BY ... LIMIT ... OFFSET ..." with :pN placeholders
/// and collects the bound values in order. Throws Error(invalid_argument) naming a bad column,
/// operator/type mismatch, or negative paging. `count` renders SELECT COUNT(*) instead.
struct Param {
  const Cell* cell;
  Storage storage;
};
HOUQIN_EXPORT std::string render_select(const TableInfo& table, const QuerySpec& query, bool count,
                                        Dialect dialect, std::vector<Param>& params);

/// Typed query builder: Query<Room>().where(&Room::floor_id, Op::eq,
/// floor.id).order_by(&Room::code)
template <Entity T>
class Query {
 public:
  template <class M, class V>
  Query& where(M T::*member, Op op, const V& value) {
    Filter f{std::string(member_name(member)), op, {}};
    f.values.push_back(encode(member, value));
    spec_.filters.push_back(std::move(f));
    return *this;
  }
  template <class M, class V>
  Query& where_in(M T::*member, const std::vector<V>& values) {
    Filter f{std::string(member_name(member)), Op::in, {}};
    for (const auto& v : values) f.values.push_back(encode(member, v));
    spec_.filters.push_back(std::move(f));
    return *this;
  }
  template <class M>
  Query& where_null(M T::*member, bool is_null = true) {
    spec_.filters.push_back(
        Filter{std::string(member_name(member)), is_null ? Op::is_null : Op::not_null, {}});
    return *this;
  }
  /// By column name with a JSON value (the form the C ABI and Python use).
  Query& where(std::string_view column, Op op, const json::Json& value) {
    Filter f{std::string(column), op, {}};
    if (op == Op::in) {
      if (!value.is_array())
        fail(ErrorCode::invalid_argument, std::string(column) + ": 'in' needs an array");
      for (const auto& v : value) f.values.push_back(encode_json_value<T>(column, v));
    } else if (op == Op::contains) {  // a substring of the stored text, whatever the member type
      if (!value.is_string())
        fail(ErrorCode::invalid_argument, std::string(column) + ": 'contains' needs a string");
      table_info<T>().column_index(column);
      Cell c;
      c.s = value.template get<std::string>();
      f.values.push_back(std::move(c));
    } else if (op != Op::is_null && op != Op::not_null) {
      f.values.push_back(encode_json_value<T>(column, value));
    }
    spec_.filters.push_back(std::move(f));
    return *this;
  }
  template <class M>
  Query& order_by(M T::*member, bool descending = false) {
    spec_.order.push_back(Order{std::string(member_name(member)), descending});
    return *this;
  }
  Query& order_by(std::string_view column, bool descending = false) {
    spec_.order.push_back(Order{std::string(column), descending});
    return *this;
  }
  Query& limit(std::int64_t n) {
    spec_.limit = n;
    return *this;
  }
  Query& offset(std::int64_t n) {
    spec_.offset = n;
    return *this;
  }
  const QuerySpec& spec() const { return spec_; }

 private:
  template <class M, class V>
  static Cell encode(M T::*, const V& value) {
    Cell c;
    if constexpr (is_optional<M>::value) {
      using Inner = typename M::value_type;
      if constexpr (std::is_same_v<V, std::nullopt_t>) {
        c.null = true;
      } else {
        column<Inner>::encode(static_cast<Inner>(value), c);
      }
    } else if constexpr (std::is_same_v<M, std::string>) {
      column<std::string>::encode(std::string(value), c);  // accepts string literals and views
    } else {
      column<M>::encode(static_cast<M>(value), c);
    }
    return c;
  }
  QuerySpec spec_;
};

}  // namespace houqin::store
