// The C++ umbrella header: everything houqin offers to C++ hosts. (The C ABI lives in houqin.h.)
#pragma once

#include "houqin/core/clock.hpp"
#include "houqin/core/describe.hpp"
#include "houqin/core/error.hpp"
#include "houqin/core/events.hpp"
#include "houqin/core/json.hpp"
#include "houqin/core/library.hpp"
#include "houqin/core/time.hpp"
#include "houqin/protect/keyring.hpp"
#include "houqin/site/hospital.hpp"
#include "houqin/site/model.hpp"
#include "houqin/store/document.hpp"
#include "houqin/store/migration.hpp"
#include "houqin/store/registry.hpp"
#include "houqin/store/repository.hpp"
#include "houqin/store/store.hpp"
