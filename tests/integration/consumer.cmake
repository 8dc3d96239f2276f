# Installs the built houqin into a fresh prefix, then configures, builds and runs examples/cpp/hello
# (C++, houqin::houqin) and examples/c/hello (C, houqin::c) as separate projects that know houqin
# only through find_package(houqin).
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed (${rc})")
endif()

# consume(<example folder> <program> <regex its output must match>)
function(consume folder program expected)
  set(build ${WORK_DIR}/build-${program})
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/examples/${folder} -B ${build}
                          -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "configuring ${folder} failed (${rc})")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} -j2 RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "building ${folder} failed (${rc})")
  endif()
  execute_process(COMMAND ${build}/${program} ${WORK_DIR}/prefix/share/houqin/hospital.json
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(rc)
    message(FATAL_ERROR "${folder} failed (${rc})")
  endif()
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "${folder} printed no room count")
  endif()
endfunction()

consume(cpp/hello hello "rooms: [0-9]+")
consume(c/hello hello_c "rooms: [0-9]+")
