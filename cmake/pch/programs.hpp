// The precompiled header of the benchmark programs: what cmake/pch/library.hpp holds plus the
// store headers every benchmark includes.
#pragma once

#include "library.hpp"

#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"
