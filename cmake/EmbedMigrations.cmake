# Build-time script: cmake -DOUTPUT=<file.inc> -DFILES=<a.sql;b.sql> -P EmbedMigrations.cmake
# Writes one KartonMigration initializer per file, in name order, followed by
# a {nullptr, nullptr} terminator, so a module with no migrations still
# compiles. The file bytes are embedded verbatim: their checksum is what the
# kernel records.
set(content "// Generated from schema/ by cmake/EmbedMigrations.cmake. Do not edit.\n")
list(SORT FILES)
foreach(file IN LISTS FILES)
  get_filename_component(name ${file} NAME)
  file(READ ${file} sql)
  string(FIND "${sql}" ")karton_sql\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string terminator )karton_sql\"")
  endif()
  string(APPEND content "{\"${name}\", R\"karton_sql(${sql})karton_sql\"},\n")
endforeach()
string(APPEND content "{nullptr, nullptr},\n")
file(WRITE ${OUTPUT}.tmp "${content}")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
