# Included by the top-level CMakeLists.txt before any target exists.
# -DVIGIL_FUZZ=ON (with clang) builds the libFuzzer targets of fuzz/: every
# project object gets coverage instrumentation (fuzzer-no-link) plus ASan and
# UBSan, so a bug in src/ is found where it happens. This is its own build
# tree (build-fuzz); the main build stays gcc and uninstrumented.
option(VIGIL_FUZZ "Build the libFuzzer targets (clang only; a separate build tree)" OFF)
if(VIGIL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VIGIL_FUZZ needs clang (libFuzzer): configure with "
                        "-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Any UB aborts, so libFuzzer records it as a crash with its input.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
