// auth::Actor lives in houqin/core/actor.hpp: every layer takes an Actor, and the accounts service
// of this folder (auth.hpp) sits above site. This header stays for code written against the old
// path.
#pragma once

#include "houqin/core/actor.hpp"
