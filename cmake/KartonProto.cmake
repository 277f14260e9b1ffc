# karton_generate_proto_library(<target> PROTO_ROOT <dir> PROTOS <files...>
#                               [EXTRA_ROOT <dir> EXTRA_PROTOS <files...>])
# Runs protoc (C++ and gRPC) over the files and builds one shared library with
# default symbol visibility from the output. EXTRA_ROOT is a second import
# root (vendored standard protos), compiled into the same library.
function(karton_generate_proto_library target)
  cmake_parse_arguments(ARG "" "PROTO_ROOT;EXTRA_ROOT" "PROTOS;EXTRA_PROTOS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated)
  set(include_args --proto_path=${ARG_PROTO_ROOT})
  if(ARG_EXTRA_ROOT)
    list(APPEND include_args --proto_path=${ARG_EXTRA_ROOT})
  endif()
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
  target_include_directories(${target} PUBLIC ${out_dir})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++)
  # Generated code is not ours to lint; keep its warnings out of -Werror.
  target_compile_options(${target} PRIVATE -w)
endfunction()
