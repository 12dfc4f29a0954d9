# Writes OUT, a C++ file defining `std::vector<handoff::sql::Migration> NAMESPACE::FUNCTION()`
# from the migration files FILES (NNNN_name.sql paths separated by "|"). A line
# "-- @include PATH" (PATH relative to ROOT) is replaced by that file, so the tables every
# service shares (request log, outbox, events) are written once. Run by
# handoff_embed_migrations() at build time: cmake -DOUT=... -DNAMESPACE=... -DFUNCTION=...
# -DROOT=... -DFILES=... -P embed_migrations.cmake
string(REPLACE "|" ";" FILES "${FILES}")
set(body "")
set(last 0)
foreach(file IN LISTS FILES)
  get_filename_component(base ${file} NAME_WE)
  if(NOT base MATCHES "^([0-9][0-9][0-9][0-9])_([a-z0-9_]+)$")
    message(FATAL_ERROR "${file}: a migration is named NNNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name ${CMAKE_MATCH_2})
  math(EXPR expected "${last} + 1")
  if(NOT version EQUAL expected)
    message(FATAL_ERROR "${file}: migration ${version} follows ${last}; versions go 1, 2, 3 ... without gaps")
  endif()
  set(last ${version})
  file(READ ${file} sql)
  string(REGEX MATCHALL "-- @include [^\n]+" includes "${sql}")
  foreach(line IN LISTS includes)
    string(REPLACE "-- @include " "" included "${line}")
    file(READ ${ROOT}/${included} text)
    string(REPLACE "${line}" "${text}" sql "${sql}")
  endforeach()
  if(sql MATCHES "\\)migration_sql\"")
    message(FATAL_ERROR "${file} holds the raw-string terminator")
  endif()
  string(APPEND body "      {${version}, \"${name}\", R\"migration_sql(${sql})migration_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from ${FILES} by common/sql/embed_migrations.cmake; do not edit.
#include <vector>

#include \"common/sql/sql.h\"

namespace ${NAMESPACE} {

std::vector<handoff::sql::Migration> ${FUNCTION}() {
  return {
${body}  };
}

}  // namespace ${NAMESPACE}
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
