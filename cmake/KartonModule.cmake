# karton_embed_migrations(<target> <schema_dir> <output.inc>)
#   Generates <output.inc> from <schema_dir>/*.sql at build time and adds it
#   as a dependency of <target>.
#
# karton_add_module(<name>
#     VERSION <semver>
#     CLASS <C++ class implementing karton::kernel::Module>
#     HEADER <header declaring CLASS, relative to the module's folder>
#     SOURCES <files...>
#     [DEPENDS <module>[>=<version>] ...]
#     [SCHEMA_DIR <dir>]           default: <repo>/schema/<name>
#     [OUTPUT_DIR <dir>]           default: build/lib/karton/modules (out of
#                                  tree: <build>/modules); a module given no
#                                  OUTPUT_DIR is a shipped one: it is installed
#                                  and its tests are registered
#     [TARGET <cmake target>]      default: karton_module_<name>
#     [FILE_NAME <stem>]           default: <name> (the file is <stem>.so)
#     [LINK <libraries...>]
#     [KERNEL_API_VERSION <n>])    tests only: build a deliberately wrong module
#
# Builds the module as a MODULE library with hidden visibility, exporting only
# the generated entry point. The descriptor (name, version, dependencies,
# migrations) is generated from this one call, so what the kernel reads can
# never drift from what the build declares.
#
# The same file serves this repository and modules built against an
# installed Karton (KartonConfig.cmake includes it); KARTON_IN_TREE tells
# them apart.

set(KARTON_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(karton_embed_migrations target schema_dir output)
  file(GLOB sql_files CONFIGURE_DEPENDS ${schema_dir}/*.sql)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} "-DOUTPUT=${output}" "-DFILES=${sql_files}"
            -P ${KARTON_CMAKE_DIR}/EmbedMigrations.cmake
    DEPENDS ${sql_files} ${KARTON_CMAKE_DIR}/EmbedMigrations.cmake
    COMMENT "embedding migrations of ${schema_dir}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
endfunction()

function(karton_add_module name)
  cmake_parse_arguments(ARG "" "VERSION;CLASS;HEADER;SCHEMA_DIR;OUTPUT_DIR;TARGET;FILE_NAME;KERNEL_API_VERSION"
                        "SOURCES;DEPENDS;LINK" ${ARGN})
  foreach(required VERSION CLASS HEADER SOURCES)
    if(NOT ARG_${required})
      message(FATAL_ERROR "karton_add_module(${name}): ${required} is required")
    endif()
  endforeach()
  if(NOT ARG_SCHEMA_DIR)
    set(ARG_SCHEMA_DIR ${PROJECT_SOURCE_DIR}/schema/${name})
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR ${KARTON_MODULES_OUTPUT_DIR})
    set(is_shipped_module TRUE)
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET karton_module_${name})
  endif()
  if(NOT ARG_FILE_NAME)
    set(ARG_FILE_NAME ${name})
  endif()
  if(NOT ARG_KERNEL_API_VERSION)
    set(ARG_KERNEL_API_VERSION KARTON_KERNEL_API_VERSION)
  endif()

  set(depends_initializers "")
  foreach(dependency IN LISTS ARG_DEPENDS)
    if(dependency MATCHES "^([a-z][a-z0-9_]*)>=(.+)$")
      string(APPEND depends_initializers "    {\"${CMAKE_MATCH_1}\", \"${CMAKE_MATCH_2}\"},\n")
    elseif(dependency MATCHES "^[a-z][a-z0-9_]*$")
      string(APPEND depends_initializers "    {\"${dependency}\", \"\"},\n")
    else()
      message(FATAL_ERROR "karton_add_module(${name}): bad dependency '${dependency}'")
    endif()
  endforeach()
  string(APPEND depends_initializers "    {nullptr, nullptr},\n")

  set(generated_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_TARGET}_generated)
  set(KARTON_MODULE_NAME ${name})
  set(KARTON_MODULE_VERSION ${ARG_VERSION})
  set(KARTON_MODULE_CLASS ${ARG_CLASS})
  set(KARTON_MODULE_HEADER ${ARG_HEADER})
  set(KARTON_MODULE_API_VERSION ${ARG_KERNEL_API_VERSION})
  set(KARTON_MODULE_DEPENDS ${depends_initializers})
  configure_file(${KARTON_CMAKE_DIR}/module_entry.cpp.in ${generated_dir}/module_entry.cpp @ONLY)

  add_library(${ARG_TARGET} MODULE ${ARG_SOURCES} ${generated_dir}/module_entry.cpp)
  karton_embed_migrations(${ARG_TARGET} ${ARG_SCHEMA_DIR} ${generated_dir}/migrations.inc)
  target_include_directories(${ARG_TARGET} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${generated_dir})
  target_link_libraries(${ARG_TARGET} PRIVATE karton::kernel karton::proto karton::warnings
                                              ${ARG_LINK})
  # Installed in lib/karton/modules, it finds the kernel and the proto
  # libraries two folders up, in lib.
  set_target_properties(${ARG_TARGET} PROPERTIES INSTALL_RPATH "$ORIGIN/../..")
  set_target_properties(${ARG_TARGET} PROPERTIES
    OUTPUT_NAME ${ARG_FILE_NAME}
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # Every symbol a module uses must resolve when it is linked, not at dlopen.
  target_link_options(${ARG_TARGET} PRIVATE -Wl,--no-undefined)
  if(is_shipped_module)
    set_property(GLOBAL APPEND PROPERTY KARTON_PRODUCT_MODULE_TARGETS ${ARG_TARGET})
    install(TARGETS ${ARG_TARGET} LIBRARY DESTINATION lib/karton/modules)
    karton_add_module_tests(${name} LINK ${ARG_LINK} MODULE_TARGET ${ARG_TARGET}
                            MODULES_DIR ${ARG_OUTPUT_DIR})
  endif()
endfunction()

# A module's own tests, beside its code (in any of its folders), found by name:
#   *_test.cpp     unit tests (no database): <module>_unit_tests, label unit
#   *_pgtest.cpp   database tests on a throwaway PostgreSQL
#                  (karton/testing/throwaway_postgres.h): <module>_pg_tests,
#                  label pg
#   *_e2etest.cpp  black-box tests of a real kartond
#                  (karton/testing/kartond_process.h) that loads the modules
#                  of MODULES_DIR (KARTON_MODULES_DIR is set for them):
#                  <module>_e2e_tests, label e2e
# Each links the module's LINK libraries (its code), karton::kernel_testing
# (FakeModuleContext) and, for pg and e2e, karton::testing. pg and e2e tests
# abort on a connection hazard (docs/module-guide.md). Out of tree, the tests
# use the installed kartond and karton, and ApplyShippedSchemas reads the
# project's schema/ folder. These settings are environment variables the
# test program sets for itself (a generated source), so running it by hand
# is the same as under ctest. karton_add_module calls this for shipped
# modules.
function(karton_add_module_tests name)
  cmake_parse_arguments(ARG "" "MODULE_TARGET;MODULES_DIR" "LINK" ${ARGN})
  file(GLOB_RECURSE unit_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cpp)
  file(GLOB_RECURSE pg_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_pgtest.cpp)
  file(GLOB_RECURSE e2e_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_e2etest.cpp)
  set(environment KARTON_ABORT_ON_CONNECTION_HAZARD=1)
  if(NOT KARTON_IN_TREE)
    list(APPEND environment KARTON_KARTOND=${KARTON_PREFIX}/bin/kartond
                            KARTON_CLIENT=${KARTON_PREFIX}/bin/karton
                            KARTON_PRODUCT_MODULES_DIR=${KARTON_PREFIX}/lib/karton/modules
                            KARTON_SCHEMA_ROOT=${PROJECT_SOURCE_DIR}/schema)
  endif()
  if(unit_sources)
    add_executable(${name}_unit_tests ${unit_sources})
    target_link_libraries(${name}_unit_tests PRIVATE ${ARG_LINK} karton::kernel_testing
                                                     GTest::gtest_main karton::warnings)
    gtest_discover_tests(${name}_unit_tests DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
    set_property(GLOBAL APPEND PROPERTY KARTON_MODULE_TEST_TARGETS ${name}_unit_tests)
  endif()
  foreach(kind pg e2e)
    if(NOT ${kind}_sources)
      continue()
    endif()
    set(test_target ${name}_${kind}_tests)
    set(test_environment ${environment})
    if(kind STREQUAL "e2e")
      list(APPEND test_environment KARTON_MODULES_DIR=${ARG_MODULES_DIR})
    endif()
    # The variables are set by the test program itself, before main (unless
    # already set), so it behaves the same under ctest and run by hand.
    set(setenv_calls "")
    foreach(assignment IN LISTS test_environment)
      string(REGEX MATCH "^([A-Z_]+)=(.*)$" unused "${assignment}")
      string(APPEND setenv_calls "  setenv(\"${CMAKE_MATCH_1}\", R\"karton(${CMAKE_MATCH_2})karton\", 0);\n")
    endforeach()
    set(environment_source ${CMAKE_CURRENT_BINARY_DIR}/${test_target}_environment.cpp)
    file(CONFIGURE OUTPUT ${environment_source} CONTENT [=[
// Generated by karton_add_module_tests (cmake/KartonModule.cmake): the
// environment this test program runs in.
#include <cstdlib>

namespace {
[[maybe_unused]] const bool kEnvironmentSet = [] {
@setenv_calls@  return true;
}();
}  // namespace
]=] @ONLY)
    add_executable(${test_target} ${${kind}_sources} ${environment_source})
    target_link_libraries(${test_target} PRIVATE ${ARG_LINK} karton::kernel_testing karton::testing
                                                 GTest::gtest_main karton::warnings)
    if(kind STREQUAL "e2e")
      if(ARG_MODULE_TARGET)
        add_dependencies(${test_target} ${ARG_MODULE_TARGET})
      endif()
    else()
      # The sanitizer build makes every unit and pg test program.
      set_property(GLOBAL APPEND PROPERTY KARTON_MODULE_TEST_TARGETS ${test_target})
    endif()
    gtest_discover_tests(${test_target} DISCOVERY_MODE PRE_TEST PROPERTIES LABELS ${kind})
  endforeach()
endfunction()
