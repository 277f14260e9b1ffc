# karton_generate_proto_library(<target> PROTO_ROOT <dir> PROTOS <files...>
#                               [IMPORT_ROOTS <dirs...>]
#                               [EXTRA_ROOT <dir> EXTRA_PROTOS <files...>])
#   Runs protoc (C++ and gRPC) over PROTOS (paths under PROTO_ROOT) and builds
#   one shared library with default symbol visibility from the output.
#   IMPORT_ROOTS are searched for imports only: nothing of them is generated
#   here, their code is in the library that owns them, which the caller links.
#   EXTRA_ROOT is a second root whose EXTRA_PROTOS are generated into the same
#   library (the vendored standard protos of karton_proto).
#
# karton_add_module_protos(<module> [PROTO_ROOT <dir>] PROTOS <files...>
#                          [LINK <proto libraries of other modules...>])
#   A module's own proto library, karton_<module>_proto (alias
#   karton::<module>_proto): its files compiled once, here, and linked by the
#   module, its tests and its clients. It imports Karton's protos
#   (karton/common/v1, karton/kernel/v1, google/rpc) and links karton::proto;
#   LINK names the proto libraries of the modules whose files it imports.
#   PROTO_ROOT defaults to Karton's own proto/ folder in this repository and
#   to the module project's proto/ folder out of tree.
#
# Why one library per module: a generated file compiled into two binaries
# that meet in one process aborts at load ("File already exists in
# database"), and a module shipped on its own must not need everybody else's
# generated code.

set(KARTON_PROTO_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

function(karton_generate_proto_library target)
  cmake_parse_arguments(ARG "" "PROTO_ROOT;EXTRA_ROOT" "PROTOS;EXTRA_PROTOS;IMPORT_ROOTS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated/${target})
  set(include_args --proto_path=${ARG_PROTO_ROOT})
  if(ARG_EXTRA_ROOT)
    list(APPEND include_args --proto_path=${ARG_EXTRA_ROOT})
  endif()
  foreach(root IN LISTS ARG_IMPORT_ROOTS)
    list(APPEND include_args --proto_path=${root})
  endforeach()
  set(sources "")
  foreach(root_and_list IN ITEMS "PROTO_ROOT:PROTOS" "EXTRA_ROOT:EXTRA_PROTOS")
    string(REPLACE ":" ";" pair ${root_and_list})
    list(GET pair 0 root_var)
    list(GET pair 1 list_var)
    set(root ${ARG_${root_var}})
    foreach(proto IN LISTS ARG_${list_var})
      file(RELATIVE_PATH rel ${root} ${proto})
      string(REGEX REPLACE "\\.proto$" "" stem ${rel})
      # grpc_cpp_plugin writes .grpc.pb.* for every file, services or not.
      set(outputs ${out_dir}/${stem}.pb.cc ${out_dir}/${stem}.pb.h
                  ${out_dir}/${stem}.grpc.pb.cc ${out_dir}/${stem}.grpc.pb.h)
      add_custom_command(
        OUTPUT ${outputs}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
        COMMAND protobuf::protoc ${include_args} --cpp_out=${out_dir}
                --grpc_out=generate_mock_code=false:${out_dir}
                --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${rel}
        DEPENDS ${proto} protobuf::protoc gRPC::grpc_cpp_plugin
        WORKING_DIRECTORY ${root}
        COMMENT "protoc ${rel}"
        VERBATIM)
      list(APPEND sources ${outputs})
    endforeach()
  endforeach()
  add_library(${target} SHARED ${sources})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${out_dir}>
                                              $<INSTALL_INTERFACE:include>)
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  # Generated code is not ours to lint; keep its warnings out of -Werror.
  target_compile_options(${target} PRIVATE -w)
  # Where the headers are, for karton_install_proto_library.
  set_target_properties(${target} PROPERTIES KARTON_GENERATED_DIR ${out_dir})
endfunction()

function(karton_add_module_protos module)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "PROTOS;LINK" ${ARGN})
  if(NOT ARG_PROTOS)
    message(FATAL_ERROR "karton_add_module_protos(${module}): PROTOS is required")
  endif()
  if(NOT ARG_PROTO_ROOT)
    if(KARTON_IN_TREE)
      set(ARG_PROTO_ROOT ${PROJECT_SOURCE_DIR}/proto)
    else()
      set(ARG_PROTO_ROOT ${CMAKE_CURRENT_SOURCE_DIR}/proto)
    endif()
  endif()
  set(import_roots "")
  foreach(root IN LISTS KARTON_PROTO_IMPORT_ROOTS)
    if(NOT root STREQUAL ARG_PROTO_ROOT)
      list(APPEND import_roots ${root})
    endif()
  endforeach()
  set(target karton_${module}_proto)
  karton_generate_proto_library(${target} PROTO_ROOT ${ARG_PROTO_ROOT} PROTOS ${ARG_PROTOS}
                                IMPORT_ROOTS ${import_roots})
  add_library(karton::${module}_proto ALIAS ${target})
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${module}_proto)
  target_link_libraries(${target} PUBLIC karton::proto ${ARG_LINK})
  # The product modules' protos are part of the SDK: an integrator's module
  # may call partners or crm with them.
  if(KARTON_IN_TREE)
    karton_install_proto_library(${target} PROTO_ROOT ${ARG_PROTO_ROOT} PROTOS ${ARG_PROTOS})
  endif()
endfunction()

# karton_install_proto_library(<target> [PROTO_ROOT <dir> PROTOS <files...>])
#   Installs the library (export set KartonTargets), its generated headers
#   under include/, and its .proto files under share/karton/proto/ so that
#   modules built against the installed Karton can import them.
function(karton_install_proto_library target)
  cmake_parse_arguments(ARG "" "PROTO_ROOT" "PROTOS" ${ARGN})
  get_target_property(out_dir ${target} KARTON_GENERATED_DIR)
  install(TARGETS ${target} EXPORT KartonTargets LIBRARY DESTINATION lib)
  install(DIRECTORY ${out_dir}/ DESTINATION include FILES_MATCHING PATTERN "*.pb.h")
  if(ARG_PROTOS)
    karton_install_protos(ROOT ${ARG_PROTO_ROOT} FILES ${ARG_PROTOS})
  endif()
endfunction()

# karton_install_protos(ROOT <dir> FILES <files...>): .proto files under
# share/karton/proto/, at their paths relative to ROOT.
function(karton_install_protos)
  cmake_parse_arguments(ARG "" "ROOT" "FILES" ${ARGN})
  foreach(proto IN LISTS ARG_FILES)
    file(RELATIVE_PATH rel ${ARG_ROOT} ${proto})
    get_filename_component(rel_dir ${rel} DIRECTORY)
    install(FILES ${proto} DESTINATION share/karton/proto/${rel_dir})
  endforeach()
endfunction()
