// Every described type, listed once: the typed JSON and SQL round-trip tests run over these, so a
// new entity is covered by adding it here.
#pragma once

#include <boost/mp11.hpp>

#include "houqin/site/hospital.hpp"
#include "houqin/site/model.hpp"

namespace houqin::testing {

using EntityTypes =
    boost::mp11::mp_list<site::Campus, site::Building, site::Floor, site::Department, site::Room,
                         site::Shift, site::Staff, site::ShiftAssignment, site::DictionaryEntry,
                         site::KnowledgeArticle>;

/// Described types that are not stored (reports, summaries): JSON only.
using ValueTypes = boost::mp11::mp_list<site::Summary>;

}  // namespace houqin::testing
