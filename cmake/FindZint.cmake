# Debian's libzint-dev ships no CMake package or pkg-config file: find the header and library.
# Defines Zint::Zint (imported target).
find_path(ZINT_INCLUDE_DIR zint.h)
find_library(ZINT_LIBRARY NAMES zint)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(Zint REQUIRED_VARS ZINT_INCLUDE_DIR ZINT_LIBRARY)
if(Zint_FOUND AND NOT TARGET Zint::Zint)
  add_library(Zint::Zint UNKNOWN IMPORTED)
  set_target_properties(Zint::Zint PROPERTIES IMPORTED_LOCATION "${ZINT_LIBRARY}"
                                              INTERFACE_INCLUDE_DIRECTORIES "${ZINT_INCLUDE_DIR}")
endif()
mark_as_advanced(ZINT_INCLUDE_DIR ZINT_LIBRARY)
