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
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
# RE2: every regular expression that meets outside input (linear time, no
# recursion: GCC's std::regex recursed per character and crashed on 100 KB).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
# libical: the CRM's iCalendar feeds (RFC 5545).
pkg_check_modules(ICAL REQUIRED IMPORTED_TARGET libical)
# libxlsxwriter: the reports module's XLSX export.
pkg_check_modules(XLSXWRITER REQUIRED IMPORTED_TARGET xlsxwriter)
# cairo + pango: letters as PDF (messaging), with real text layout.
pkg_check_modules(PANGOCAIRO REQUIRED IMPORTED_TARGET pangocairo cairo-pdf)
# libxml2: invoicing's NAV Online Számla XML, written with xmlTextWriter and
# validated against NAV's XSDs.
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
# messaging: reading received email (MIME, encoded words, charsets, reports)
pkg_check_modules(GMIME REQUIRED IMPORTED_TARGET gmime-3.0)
# OpenSSL: libcrypto for SHA3-512 in NAV's request signatures (libsodium has
# no SHA3); libssl for the HTTP server's HTTPS (Boost.Asio's ssl streams).
find_package(OpenSSL REQUIRED COMPONENTS Crypto SSL)
# kartond: gzips the web client's files once at start (kernel/src/web_app.cpp)
find_package(ZLIB REQUIRED)
# libcsv: RFC 4180 parsing for the partners' CSV import.
find_path(CSV_INCLUDE_DIR csv.h REQUIRED)
find_library(CSV_LIBRARY csv REQUIRED)

# libphonenumber: the runtime library from Debian's libphonenumber8, the
# headers unpacked by tools/setup into .deps/ (its -dev package conflicts
# with the Boost 1.81 -dev packages; see tools/setup). A system that has the
# -dev package installed works too.
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h
          HINTS ${PROJECT_SOURCE_DIR}/.deps/libphonenumber/usr/include REQUIRED)
find_library(PHONENUMBER_LIBRARY NAMES phonenumber libphonenumber.so.8 REQUIRED)
find_package(absl CONFIG REQUIRED)
add_library(Phonenumber::phonenumber SHARED IMPORTED)
set_target_properties(Phonenumber::phonenumber PROPERTIES IMPORTED_LOCATION ${PHONENUMBER_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(Phonenumber::phonenumber INTERFACE protobuf::libprotobuf absl::node_hash_set
                                                         absl::node_hash_map)

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
