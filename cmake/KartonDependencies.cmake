# Every third-party dependency is found here, once. docs/operations.md says why
# each one is in the project.

find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS system json url)
find_package(fmt CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG QUIET)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)

# CLI11 (Debian 2.1.2) is header-only; its CMake config is not always shipped.
if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  target_include_directories(CLI11::CLI11 INTERFACE ${CLI11_INCLUDE_DIR})
endif()

# SOCI 4.0.3 on Debian ships neither a CMake config nor a .pc file.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql REQUIRED)
add_library(SOCI::core SHARED IMPORTED)
set_target_properties(SOCI::core PROPERTIES IMPORTED_LOCATION ${SOCI_CORE_LIBRARY}
                                            INTERFACE_INCLUDE_DIRECTORIES ${SOCI_INCLUDE_DIR})
add_library(SOCI::postgresql SHARED IMPORTED)
set_target_properties(SOCI::postgresql PROPERTIES IMPORTED_LOCATION ${SOCI_POSTGRESQL_LIBRARY})
target_link_libraries(SOCI::postgresql INTERFACE SOCI::core PkgConfig::PQ)

# The PostgreSQL server binaries used for the embedded cluster and for tests.
find_program(KARTON_PG_CONFIG pg_config PATHS /usr/lib/postgresql/15/bin)
set(KARTON_POSTGRES_BIN_DIR /usr/lib/postgresql/15/bin CACHE PATH
    "Directory with initdb and postgres")
