# Adds bench/ to a build tree whose top-level CMakeLists.txt does not
# (with add_subdirectory(bench) there, this is a no-op). The Makefile's
# `bench` target passes it as CMAKE_PROJECT_vigil_INCLUDE; the include is
# deferred to the end of the top-level file, when vigil's targets and
# variables exist (a deferred call may not add_subdirectory, so it includes).
function(vigil_bench_attach)
  if(NOT TARGET vigil_bench_all)
    include(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../CMakeLists.txt)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL vigil_bench_attach)
