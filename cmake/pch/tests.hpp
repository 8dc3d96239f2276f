// The precompiled header of the test programs: GoogleTest and what cmake/pch/library.hpp holds,
// plus the store headers that nearly every test includes.
#pragma once

#include <gtest/gtest.h>

#include "library.hpp"

#include "houqin/core/actor.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"
