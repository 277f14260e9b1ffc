# `cmake --install build --prefix <dir>` installs Karton as a product and as
# an SDK for modules built outside this repository:
#   bin/kartond, bin/karton
#   lib/                      the kernel, karton_proto, each module's proto library
#   lib/karton/modules/       the product modules
#   include/                  the kernel's public headers, generated proto headers,
#                             karton/kernel/testing/, karton/testing/
#   share/karton/proto/       the .proto files, to import
#   lib/cmake/Karton/         find_package(Karton)
# The targets of the export set KartonTargets are installed where they are
# defined (kernel/, proto/, modules/, tests/).
include(CMakePackageConfigHelpers)

install(TARGETS kartond karton RUNTIME DESTINATION bin)

# The kernel API version modules are checked against, for the package.
file(STRINGS ${PROJECT_SOURCE_DIR}/kernel/include/karton/kernel/module_api.h api_version_line
     REGEX "^#define KARTON_KERNEL_API_VERSION [0-9]+")
string(REGEX MATCH "VERSION ([0-9]+)" unused "${api_version_line}")
set(KARTON_KERNEL_API_VERSION_NUMBER ${CMAKE_MATCH_1})

install(EXPORT KartonTargets NAMESPACE karton:: DESTINATION lib/cmake/Karton)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KartonConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/KartonConfig.cmake
                              INSTALL_DESTINATION lib/cmake/Karton)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KartonConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/KartonConfig.cmake ${PROJECT_BINARY_DIR}/KartonConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/KartonModule.cmake ${PROJECT_SOURCE_DIR}/cmake/KartonProto.cmake
              ${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake
              ${PROJECT_SOURCE_DIR}/cmake/module_entry.cpp.in
        DESTINATION lib/cmake/Karton)
