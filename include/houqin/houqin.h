/* houqin's stable C ABI (library libhouqin-c, CMake target houqin::c): one header for hosts in C or
 * any language with a C FFI. It compiles as C99 and as C++. The C++ API is houqin/houqin.hpp.
 * Conventions, ownership, error codes and the versioning policy: docs/c-abi.md. */
#ifndef HOUQIN_H
#define HOUQIN_H

#include "houqin/c/auth.h"
#include "houqin/c/common.h"
#include "houqin/c/driver.h"
#include "houqin/c/entity.h"
#include "houqin/c/host.h"
#include "houqin/c/service.h"
#include "houqin/c/site.h"
#include "houqin/c/store.h"
#include "houqin/c/telemetry.h"

#endif /* HOUQIN_H */
