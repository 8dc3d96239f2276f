# How houqin builds fast on a small machine (docs/development.md has the measurements):
# precompiled headers shared across targets, unity builds per layer, line-table debug info, lld,
# tests compiled at -O0, g++'s garbage collector held back, and no relinking of executables when
# only libhouqin's code changed.

# Debug information: "line" (-g1: file, line and function for backtraces, perf and sanitizers;
# the default) or "full" (-g: variables and types, for gdb sessions). libhouqin-c always has full
# information, because abidiff compares types.
set(HOUQIN_DEBUG_INFO "line" CACHE STRING "Debug information in RelWithDebInfo/Debug builds: line or full")
set_property(CACHE HOUQIN_DEBUG_INFO PROPERTY STRINGS line full)
if(HOUQIN_DEBUG_INFO STREQUAL "line")
  add_compile_options($<$<CONFIG:RelWithDebInfo,Debug>:-g1>)
endif()

# g++'s garbage collector: by default it collects whenever its heap grows by a third past 128 MB
# or so, and spends 12-19 % of a heavy translation unit's time doing it (-ftime-report; a test
# unity batch 9.0-9.5 -> 7.7-8.0 CPU-s, the Python module's largest 45.6 -> 36.9). Collecting
# only past 4 GB and a tenfold growth trades memory for that time: the largest translation unit
# peaks at 3.4 GB instead of 2.6. On by default where the machine has 8 GiB or more.
cmake_host_system_information(RESULT _houqin_memory_mib QUERY TOTAL_PHYSICAL_MEMORY)
if(_houqin_memory_mib GREATER_EQUAL 8192)
  set(_houqin_gc_default ON)
else()
  set(_houqin_gc_default OFF)
endif()
option(HOUQIN_GCC_LAZY_GC "g++ collects its garbage rarely (faster, more memory per compile)"
       ${_houqin_gc_default})
if(HOUQIN_GCC_LAZY_GC AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:--param=ggc-min-expand=1000>
                      $<$<COMPILE_LANGUAGE:CXX>:--param=ggc-min-heapsize=4194304>)
endif()

# Unity builds: each layer's sources (and each test program's) compile as one or a few
# translation units. File-local names must therefore be unique within a folder.
option(HOUQIN_UNITY "Unity builds per layer and per test program" ON)
set(HOUQIN_UNITY_BATCH 4 CACHE STRING "Source files per unity translation unit")
function(houqin_unity target)
  if(HOUQIN_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE BATCH
                                               UNITY_BUILD_BATCH_SIZE ${HOUQIN_UNITY_BATCH})
    # g++ takes a .cpp included by the unity file for a header, and warns about a class there
    # with members of file-local types (Impl holding anonymous-namespace structs): not a header.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()
endfunction()

# lld links several times faster than GNU ld on libhouqin and the test programs.
option(HOUQIN_USE_LLD "Link with lld when the compiler accepts -fuse-ld=lld" ON)
if(HOUQIN_USE_LLD)
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" HOUQIN_HAVE_LLD)
  if(HOUQIN_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()

# An executable is not relinked when only the code of a shared library it links changed (the
# dynamic loader resolves it at run time): touching one domain .cpp relinks libhouqin only.
set(CMAKE_LINK_DEPENDS_NO_SHARED ON)

# houqin_pch(<target> <flavour> <header>): precompiles <header> once per flavour (the first
# target of a flavour builds it, the others reuse it: same compiler options, so the compiler
# accepts it; -Winvalid-pch with -Werror makes a mismatch a build error, not a silent slowdown).
option(HOUQIN_PCH "Precompiled headers" ON)
function(houqin_pch target flavour header)
  if(NOT HOUQIN_PCH)
    return()
  endif()
  get_property(owner GLOBAL PROPERTY HOUQIN_PCH_OWNER_${flavour})
  if(NOT owner)
    target_precompile_headers(${target} PRIVATE ${header})
    set_property(GLOBAL PROPERTY HOUQIN_PCH_OWNER_${flavour} ${target})
  else()
    target_precompile_headers(${target} REUSE_FROM ${owner})
  endif()
endfunction()
