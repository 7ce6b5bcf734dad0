# Builds one layer probe (tests/layers/CMakeLists.txt) and checks the outcome:
#   cmake -DBUILD_DIR=<build> -DTARGET=<probe target> -DEXPECTED=fails|compiles
#         -DHEADER=<the included header> -P build_probe.cmake
# "fails": the build must fail, and on HEADER not being found (GCC: "HEADER: No
# such file or directory"; Clang: "'HEADER' file not found"), not on anything else.
foreach(var BUILD_DIR TARGET EXPECTED HEADER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_probe.cmake: -D${var}=... is missing")
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
string(FIND "${out}" "${HEADER}: No such file or directory" gcc_missing)
string(FIND "${out}" "'${HEADER}' file not found" clang_missing)
if(EXPECTED STREQUAL "fails")
  if(rc EQUAL 0)
    message(FATAL_ERROR "${TARGET}: the include of ${HEADER} compiled, against the layer order:\n${out}")
  endif()
  if(gcc_missing EQUAL -1 AND clang_missing EQUAL -1)
    message(FATAL_ERROR "${TARGET}: the build failed, but not on ${HEADER} being out of reach:\n${out}")
  endif()
  message(STATUS "${TARGET}: ${HEADER} is out of reach, as the layer order says")
elseif(EXPECTED STREQUAL "compiles")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${TARGET}: the include of ${HEADER} failed, though the layer order allows it:\n${out}")
  endif()
  message(STATUS "${TARGET}: ${HEADER} compiles, as the layer order allows")
else()
  message(FATAL_ERROR "build_probe.cmake: EXPECTED is 'fails' or 'compiles', not '${EXPECTED}'")
endif()
