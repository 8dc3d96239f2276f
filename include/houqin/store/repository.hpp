// Repository<T>: storage for any described entity, generated from its description. Inserts assign
// the id and version 1; updates check the version the caller read (optimistic locking) and bump it;
// finds take a Query<T> whose values are always bound parameters.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "houqin/store/query.hpp"
#include "houqin/store/schema.hpp"
#include "houqin/store/store.hpp"

namespace houqin::store {

template <Entity T>
class Repository {
 public:
  explicit Repository(Store& store) : store_(store), table_(table_info<T>()) {
    cells_.resize(table_.columns.size());
  }

  Store& store() const { return store_; }
  const TableInfo& table() const { return table_; }

  /// Validates, stores and returns the new id; sets value.id and value.version = 1.
  Id insert(T& value);

  /// insert() under the id given instead of the store's next one: for rows whose id must not tell
  /// when they were written (anonymous survey responses take random ids). Error(already_exists)
  /// when the id is taken.
  Id insert_with_id(T& value, Id id);

  /// Inserts all values in one transaction (all or nothing). On failure the values keep their
  /// old ids and versions.
  void insert_many(std::span<T> values);

  std::optional<T> get(Id id);

  /// get() that treats absence as an error: Error(not_found) naming the table and id.
  T require(Id id);

  /// Stores `value` if nobody changed the row since value.version was read; bumps value.version.
  /// Error(conflict) when the version moved on, Error(not_found) when the row is gone.
  void update(T& value) { update_impl(value, nullptr); }

  /// update() of a row read as `before`: only the members that differ from it are written (and
  /// the version), so the indexes and references of the others are left alone -- for jobs that
  /// move one or two members of many rows. `before` must be the row at value.version.
  void update(T& value, const T& before) { update_impl(value, &before); }

  /// Deletes by id; false when there was no such row. With expected_version, Error(conflict) when
  /// the row has moved on.
  bool remove(Id id, std::optional<std::int64_t> expected_version = std::nullopt);

  std::vector<T> find(const Query<T>& query = {});

  std::optional<T> find_one(Query<T> query);

  /// Rows matching the filters (ordering and paging are ignored).
  std::int64_t count(const Query<T>& query = {}) { return store_.count_rows(table_, query.spec()); }

 private:
  void update_impl(T& value, const T* before);

  std::size_t version_column() const { return table_.column_index("version"); }

  Store& store_;
  const TableInfo& table_;
  std::vector<Cell> cells_;
  std::vector<Cell> read_;
};

// The members are defined below, out of the class and so not inline: a program that sees
// HOUQIN_EXTERN_ENTITY(T) compiles none of them, even at -O2.
template <Entity T>
Id Repository<T>::insert(T& value) {
  validate_if_defined(value);
  value.version = 1;
  encode_row(value, cells_);
  value.id = store_.insert_row(table_, cells_);
  return value.id;
}

template <Entity T>
Id Repository<T>::insert_with_id(T& value, Id id) {
  if (id <= 0) fail(ErrorCode::invalid_argument, table_.name + ": an id must be positive");
  validate_if_defined(value);
  const auto saved = value.id;
  value.id = id;
  value.version = 1;
  encode_row(value, cells_);
  try {
    store_.put_row(table_, cells_);
  } catch (...) {
    value.id = saved;
    throw;
  }
  return id;
}

template <Entity T>
void Repository<T>::insert_many(std::span<T> values) {
  for (const T& v : values) validate_if_defined(v);
  std::vector<Id> ids;
  ids.reserve(values.size());
  in_transaction(store_, [&] {
    for (T& v : values) {
      auto saved_version = v.version;
      v.version = 1;
      encode_row(v, cells_);
      v.version = saved_version;
      ids.push_back(store_.insert_row(table_, cells_));
    }
  });
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i].id = ids[i];
    values[i].version = 1;
  }
}

template <Entity T>
std::optional<T> Repository<T>::get(Id id) {
  if (!store_.get_row(table_, id, read_)) return std::nullopt;
  T out{};
  decode_row<T>(read_, out);
  return out;
}

template <Entity T>
T Repository<T>::require(Id id) {
  auto v = get(id);
  if (!v) fail(ErrorCode::not_found, table_.name + " " + std::to_string(id) + ": not found");
  return std::move(*v);
}

template <Entity T>
bool Repository<T>::remove(Id id, std::optional<std::int64_t> expected_version) {
  if (store_.delete_row(table_, id, expected_version) == 1) return true;
  if (expected_version && store_.get_row(table_, id, read_))
    fail(ErrorCode::conflict, table_.name + " " + std::to_string(id) + ": version " +
                                  std::to_string(*expected_version) + " is stale");
  return false;
}

template <Entity T>
std::vector<T> Repository<T>::find(const Query<T>& query) {
  std::vector<T> out;
  store_.select_rows(table_, query.spec(), [&](std::span<const Cell> row) {
    out.emplace_back();
    decode_row<T>(row, out.back());
  });
  return out;
}

template <Entity T>
std::optional<T> Repository<T>::find_one(Query<T> query) {
  auto rows = find(query.limit(1));
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

template <Entity T>
void Repository<T>::update_impl(T& value, const T* before) {
  validate_if_defined(value);
  auto expected = value.version;
  if (before && before->version != expected)
    fail(ErrorCode::internal,
         table_.name + " " + std::to_string(value.id) + ": updated from a row of version " +
             std::to_string(before->version) + ", not " + std::to_string(expected));
  value.version = expected + 1;
  encode_row(value, cells_);
  if (before) {
    read_.resize(cells_.size());
    encode_row(*before, read_);
  }
  std::int64_t changed = 0;
  try {
    changed = store_.update_row(table_, cells_, expected,
                                before ? std::span<const Cell>(read_) : std::span<const Cell>());
  } catch (...) {
    value.version = expected;
    throw;
  }
  if (changed == 0) {
    value.version = expected;
    if (!store_.get_row(table_, value.id, read_))
      fail(ErrorCode::not_found, table_.name + " " + std::to_string(value.id) + ": not found");
    fail(ErrorCode::conflict, table_.name + " " + std::to_string(value.id) + ": version " +
                                  std::to_string(expected) + " is stale (stored version " +
                                  std::to_string(read_[version_column()].i) + ")");
  }
}

/// The one row of a settings table (a domain's rules): the first by id, or T{} -- the named
/// defaults -- when none was saved.
template <Entity T>
T settings(Store& store) {
  auto r = Repository<T>(store).find_one(Query<T>().order_by("id").limit(1));
  return r ? std::move(*r) : T{};
}

/// Saves `value` as the one row of its settings table: the existing row updated (with the
/// version check), or the first inserted. Sets value.id and value.version.
template <Entity T>
void save_settings(Store& store, T& value) {
  Repository<T> repo(store);
  if (auto old = repo.find_one(Query<T>().order_by("id").limit(1))) {
    value.id = old->id;
    value.version = old->version;
    repo.update(value);
  } else {
    value.id = 0;
    value.version = 0;
    repo.insert(value);
  }
}

}  // namespace houqin::store

// Explicit instantiation of what every stored entity needs -- its JSON codec, table description,
// row codec and Repository -- once, in libhouqin beside its domain (src/<layer>/entities.cpp:
// HOUQIN_INSTANTIATE_ENTITY(T)). The entity's header declares them extern
// (HOUQIN_EXTERN_ENTITY(T), after its entity_traits), so the tests, bindings and programs that use
// the entity call libhouqin's copy instead of compiling their own (docs/development.md). At global
// scope, with the type fully qualified.
#define HOUQIN_ENTITY_TEMPLATES_(KIND, EXPORT, ...)                                              \
  KIND template struct EXPORT houqin::json::codec<__VA_ARGS__>;                                  \
  KIND template EXPORT houqin::store::TableInfo houqin::store::make_table_info<__VA_ARGS__>();   \
  KIND template EXPORT const houqin::store::TableInfo& houqin::store::table_info<__VA_ARGS__>(); \
  KIND template EXPORT void houqin::store::encode_row<__VA_ARGS__>(                              \
      const __VA_ARGS__&, std::span<houqin::store::Cell>);                                       \
  KIND template EXPORT void houqin::store::decode_row<__VA_ARGS__>(                              \
      std::span<const houqin::store::Cell>, __VA_ARGS__&);                                       \
  KIND template class EXPORT houqin::store::Repository<__VA_ARGS__>;
// The declaration carries the export attribute (a definition may not add it to a class).
#define HOUQIN_EXTERN_ENTITY(...) HOUQIN_ENTITY_TEMPLATES_(extern, HOUQIN_EXPORT, __VA_ARGS__)
#define HOUQIN_INSTANTIATE_ENTITY(...) HOUQIN_ENTITY_TEMPLATES_(, , __VA_ARGS__)
