# One place for language level, warnings, sanitizers and ccache.

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

option(KARTON_WERROR "Treat warnings as errors" OFF)
set(KARTON_SANITIZERS "" CACHE STRING "Comma-separated -fsanitize= list, e.g. address,undefined")

# Applied to project code only (never to generated protobuf code).
add_library(karton_warnings INTERFACE)
add_library(karton::warnings ALIAS karton_warnings)
target_compile_options(karton_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                                                 -Wnon-virtual-dtor)
if(KARTON_WERROR)
  target_compile_options(karton_warnings INTERFACE -Werror)
endif()

if(KARTON_SANITIZERS)
  # vptr checks need the typeinfo of every polymorphic class they meet, and
  # SOCI's shared libraries do not export theirs (link error otherwise).
  add_compile_options(-fsanitize=${KARTON_SANITIZERS} -fno-sanitize=vptr
                      -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${KARTON_SANITIZERS} -fno-sanitize=vptr)
endif()

# The libFuzzer targets (tests/fuzz, bench/fuzz): a clang build of its own
# (build-fuzz), never the normal one. Everything compiled here, the parsers
# and the kernel with them, carries libFuzzer's coverage instrumentation and
# AddressSanitizer + UndefinedBehaviorSanitizer; only the fuzz programs link
# libFuzzer itself. System libraries (protobuf, libxml2, GMime, libcsv, ...)
# stay as Debian built them: uninstrumented, but their memory errors still
# trip ASan's interceptors.
option(KARTON_FUZZ "Build the libFuzzer targets of tests/fuzz (clang only)" OFF)
if(KARTON_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KARTON_FUZZ=ON needs clang: -DCMAKE_CXX_COMPILER=clang++ (bench/fuzz does this)")
  endif()
  if(KARTON_SANITIZERS)
    message(FATAL_ERROR "KARTON_FUZZ=ON brings its own sanitizers; leave KARTON_SANITIZERS empty")
  endif()
  # vptr: as for KARTON_SANITIZERS above.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr
                      -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr)
endif()
