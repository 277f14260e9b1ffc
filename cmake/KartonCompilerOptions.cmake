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
