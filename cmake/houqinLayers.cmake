# The layers of libhouqin as build targets. Each layer (a folder of include/houqin and src) is an
# OBJECT library; libhouqin links them all. A layer compiles against a *view* of the headers that
# holds only itself and the layers below it:
#
#   <build>/layers/<layer>/include/houqin/<dep>  ->  <source>/include/houqin/<dep>
#   <build>/layers/<layer>/src/<dep>             ->  <source>/src/<dep>
#
# so `#include "houqin/repair/model.hpp"` in src/store/ fails to build with "No such file".
# Consumers of libhouqin (bindings, tests, hosts) see the whole include/ tree.
#
#   houqin_layer(<name> [FOLDERS <folders...>] [DEPENDS <layers...>] [SOURCES <files...>]
#                [PUBLIC_LIBS <targets...>] [ROOT_FILES <headers...>])
#
# FOLDERS are the include/houqin and src folders the layer owns (default: <name>); DEPENDS the
# layers directly below it (the view takes their closure); PUBLIC_LIBS third-party targets whose
# usage requirements the layer's code needs (they reach libhouqin's link step, not its consumers);
# ROOT_FILES headers directly in include/houqin/ that the layer owns (platform.hpp); OWN_UNIT
# sources that must stay out of the unity build (SOCI's SQLite header wraps <sqlite3.h> in a
# namespace and breaks when another file of the batch included it first).

set(HOUQIN_LAYER_ROOT ${PROJECT_BINARY_DIR}/layers)
# Layers compiled with extra options of their own, after the tree's: the ThreadSanitizer tree
# (./dev.sh tsan) builds the domains, which start no thread of their own, uninstrumented and at
# -O0 (HOUQIN_PLAIN_LAYER_OPTIONS "-O0;-fno-sanitize=thread"), and instruments only the threaded
# layers below them. Plain layers share a precompiled header of their own.
# HOUQIN_LIGHT_LAYERS (set in CMakeLists.txt: the domain layers) compile at -O1 in Release and
# RelWithDebInfo builds, with a precompiled header of their own (same options).
set(HOUQIN_PLAIN_LAYERS "" CACHE STRING "Layers compiled with HOUQIN_PLAIN_LAYER_OPTIONS added")
set(HOUQIN_PLAIN_LAYER_OPTIONS "" CACHE STRING "Compile options added to HOUQIN_PLAIN_LAYERS")
# Or not compiled at all: a file listing object files another tree of the same sources built
# (one path per line; ./dev.sh test lists the release tree's libhouqin objects). A plain layer
# whose objects are listed there is an imported object library of those objects: the TSan tree
# links the release build's domain objects, uninstrumented like a plain layer, instead of
# compiling the domains a second time (docs/development.md).
set(HOUQIN_PLAIN_LAYER_OBJECTS "" CACHE FILEPATH "Prebuilt objects for HOUQIN_PLAIN_LAYERS")
if(HOUQIN_PLAIN_LAYER_OBJECTS)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HOUQIN_PLAIN_LAYER_OBJECTS})
endif()
set_property(GLOBAL PROPERTY HOUQIN_LAYERS "")

function(houqin_layer name)
  cmake_parse_arguments(L "" "" "FOLDERS;DEPENDS;SOURCES;PUBLIC_LIBS;ROOT_FILES;OWN_UNIT" ${ARGN})
  if(NOT L_FOLDERS)
    set(L_FOLDERS ${name})
  endif()
  # The closure of the layers below, and the folders they own.
  set(closure ${L_DEPENDS})
  set(folders ${L_FOLDERS})
  foreach(dep IN LISTS L_DEPENDS)
    get_property(dep_defined GLOBAL PROPERTY HOUQIN_LAYER_${dep}_FOLDERS SET)
    if(NOT dep_defined)
      message(FATAL_ERROR "houqin_layer(${name}): layer '${dep}' must be defined before it")
    endif()
    get_property(dep_closure GLOBAL PROPERTY HOUQIN_LAYER_${dep}_CLOSURE)
    get_property(dep_folders GLOBAL PROPERTY HOUQIN_LAYER_${dep}_ALL_FOLDERS)
    list(APPEND closure ${dep_closure})
    list(APPEND folders ${dep_folders})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  list(REMOVE_DUPLICATES folders)
  set_property(GLOBAL PROPERTY HOUQIN_LAYER_${name}_FOLDERS ${L_FOLDERS})
  set_property(GLOBAL PROPERTY HOUQIN_LAYER_${name}_DEPENDS ${L_DEPENDS})
  set_property(GLOBAL PROPERTY HOUQIN_LAYER_${name}_CLOSURE ${closure})
  set_property(GLOBAL PROPERTY HOUQIN_LAYER_${name}_ALL_FOLDERS ${folders})
  set_property(GLOBAL APPEND PROPERTY HOUQIN_LAYERS ${name})

  # The view: symbolic links to the folders this layer may include.
  set(view ${HOUQIN_LAYER_ROOT}/${name})
  file(REMOVE_RECURSE ${view})
  file(MAKE_DIRECTORY ${view}/include/houqin ${view}/src)
  foreach(folder IN LISTS folders)
    if(EXISTS ${PROJECT_SOURCE_DIR}/include/houqin/${folder})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/houqin/${folder}
           ${view}/include/houqin/${folder} SYMBOLIC)
    endif()
    if(EXISTS ${PROJECT_SOURCE_DIR}/src/${folder})
      file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${view}/src/${folder} SYMBOLIC)
    endif()
  endforeach()
  foreach(file IN LISTS L_ROOT_FILES)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/include/houqin/${file} ${view}/include/houqin/${file}
         SYMBOLIC)
  endforeach()

  if(name IN_LIST HOUQIN_PLAIN_LAYERS AND HOUQIN_PLAIN_LAYER_OBJECTS)
    file(STRINGS ${HOUQIN_PLAIN_LAYER_OBJECTS} objects REGEX "/houqin_${name}\\.dir/")
    if(objects)
      add_library(houqin_${name} OBJECT IMPORTED GLOBAL)
      set_target_properties(houqin_${name} PROPERTIES IMPORTED_OBJECTS "${objects}")
      foreach(dep IN LISTS L_DEPENDS)
        target_link_libraries(houqin_${name} INTERFACE houqin_${dep})
      endforeach()
      target_link_libraries(houqin_${name} INTERFACE ${L_PUBLIC_LIBS})
      return()
    endif()
  endif()
  add_library(houqin_${name} OBJECT ${L_SOURCES})
  set_target_properties(houqin_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  # Objects of libhouqin: the export macro marks their symbols for export.
  target_compile_definitions(houqin_${name} PRIVATE houqin_EXPORTS)
  target_include_directories(houqin_${name} PRIVATE ${view}/include ${view}/src
                                                    ${PROJECT_BINARY_DIR}/include)
  foreach(dep IN LISTS L_DEPENDS)
    target_link_libraries(houqin_${name} PUBLIC houqin_${dep})
  endforeach()
  target_link_libraries(houqin_${name} PUBLIC Boost::headers nlohmann_json::nlohmann_json
                                              ${L_PUBLIC_LIBS})
  target_compile_features(houqin_${name} PUBLIC cxx_std_20)
  houqin_warnings(houqin_${name})
  houqin_unity(houqin_${name})
  if(L_OWN_UNIT)
    set_source_files_properties(${L_OWN_UNIT} PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
  endif()
  if(name IN_LIST HOUQIN_PLAIN_LAYERS)
    target_compile_options(houqin_${name} PRIVATE ${HOUQIN_PLAIN_LAYER_OPTIONS})
    houqin_pch(houqin_${name} library_plain ${PROJECT_SOURCE_DIR}/cmake/pch/library.hpp)
  elseif(name IN_LIST HOUQIN_LIGHT_LAYERS)
    target_compile_options(houqin_${name} PRIVATE $<$<CONFIG:Release,RelWithDebInfo>:-O1>)
    houqin_pch(houqin_${name} library_light ${PROJECT_SOURCE_DIR}/cmake/pch/library.hpp)
  else()
    houqin_pch(houqin_${name} library ${PROJECT_SOURCE_DIR}/cmake/pch/library.hpp)
  endif()
endfunction()

# The layer graph as Graphviz DOT (docs/layers.dot is this file, committed; docs/layers.svg is
# rendered from it by `./dev.sh layers`). Edges are the direct DEPENDS, drawn downwards.
function(houqin_write_layer_graph file)
  get_property(layers GLOBAL PROPERTY HOUQIN_LAYERS)
  set(dot "// Generated by cmake/houqinLayers.cmake from the houqin_layer() calls in CMakeLists.txt.\n")
  string(APPEND dot "// Do not edit: ./dev.sh layers rewrites it (and docs/layers.svg).\n")
  string(APPEND dot "digraph houqin_layers {\n  rankdir=BT;\n  node [shape=box, fontname=\"Helvetica\"];\n")
  foreach(layer IN LISTS layers)
    get_property(folders GLOBAL PROPERTY HOUQIN_LAYER_${layer}_FOLDERS)
    list(JOIN folders ", " label)
    string(APPEND dot "  ${layer} [label=\"${label}\"];\n")
  endforeach()
  foreach(layer IN LISTS layers)
    get_property(deps GLOBAL PROPERTY HOUQIN_LAYER_${layer}_DEPENDS)
    foreach(dep IN LISTS deps)
      string(APPEND dot "  ${layer} -> ${dep};\n")
    endforeach()
  endforeach()
  string(APPEND dot "}\n")
  file(WRITE ${file} "${dot}")
endfunction()
