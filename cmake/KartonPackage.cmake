# `cpack -G DEB` in the build directory makes karton_<version>_amd64.deb:
# kartond, karton and the product modules under /usr, the SDK beside them
# (headers, CMake package, protos), a systemd unit (kartond.service, run as
# the system user karton, hardened), /etc/karton/kartond.toml (a conffile)
# and an empty /var/lib/karton for the data. Library dependencies are worked
# out by dpkg-shlibdeps; the embedded PostgreSQL and the letters' font are
# declared by hand. tests/package/check_deb checks the result with lintian.
# docs/operations.md, "Installing the package".

# The unit and the config file live outside the install prefix, so they are
# installed for the package only: `cmake --install` (tools/check-sdk) skips
# the component.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/kartond.service
        DESTINATION lib/systemd/system COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/deb/kartond.toml
        DESTINATION /etc/karton COMPONENT system EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_BINARY_DIR}/packaging/copyright
        ${PROJECT_BINARY_DIR}/packaging/changelog.gz
        DESTINATION share/doc/karton COMPONENT system EXCLUDE_FROM_ALL)

file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/packaging)
file(WRITE ${PROJECT_BINARY_DIR}/packaging/copyright
     "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
     "Upstream-Name: karton\n\n"
     "Files: *\nCopyright: 2026 The Karton authors\nLicense: proprietary\n"
     " All rights reserved by the Karton authors.\n")
file(WRITE ${PROJECT_BINARY_DIR}/packaging/changelog
     "karton (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
     "  * Built from the Karton repository (see git log).\n\n"
     " -- Karton maintainers <karton@example.com>  Thu, 03 Dec 2026 00:00:00 +0000\n")
execute_process(COMMAND gzip -9 -n -f -k ${PROJECT_BINARY_DIR}/packaging/changelog)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME karton)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Karton maintainers <karton@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "modular ERP and CRM server")
# The long description, one string (CPack puts the summary above it as the
# synopsis and indents these lines).
string(CONCAT CPACK_DEBIAN_PACKAGE_DESCRIPTION
       "kartond serves partners, CRM, messaging, orders, invoicing, automation\n"
       "and campaigns over gRPC and HTTP from one PostgreSQL database; karton is\n"
       "its command-line client. Includes the SDK for modules built elsewhere.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://karton.example.com")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Our own libraries are in the package; dpkg-shlibdeps must find them there.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/lib)
# The font of the letters' PDFs, and adduser for the system user. The
# embedded PostgreSQL's server binaries (initdb, postgres) are recommended,
# not required: apt installs recommendations by default, so a plain
# install runs its own database, while an install against an external one
# (the container image: --no-install-recommends) leaves out the server,
# about half of the image.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fonts-dejavu-core, adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql-15")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/deb/postinst ${PROJECT_SOURCE_DIR}/packaging/deb/postrm
    ${PROJECT_SOURCE_DIR}/packaging/deb/conffiles ${PROJECT_SOURCE_DIR}/packaging/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# Everything in one package, the system files included.
set(CPACK_COMPONENTS_ALL Unspecified system)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
include(CPack)
