# Writes SM_OUT, a C file holding every file of SM_AVSC_FILES (a ;-list)
# as a NUL-terminated byte array plus the table sm_schemas_table[] that
# src/schemas.c reads.  Run in script mode (cmake -P) by
# schemas/CMakeLists.txt whenever an .avsc or this script changes.
if(NOT SM_OUT)
  message(FATAL_ERROR "Embed.cmake: SM_OUT is not set")
endif()

set(_body "")
set(_table "")
set(_count 0)
foreach(_file IN LISTS SM_AVSC_FILES)
  get_filename_component(_name ${_file} NAME_WE)
  get_filename_component(_base ${_file} NAME)
  if(NOT _name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "${_file}: the file name must be the record name")
  endif()
  file(READ ${_file} _hex HEX)
  string(LENGTH "${_hex}" _hexlen)
  math(EXPR _len "${_hexlen} / 2")
  if(_len EQUAL 0)
    message(FATAL_ERROR "${_file}: empty schema file")
  endif()
  set(_bytes "")
  set(_pos 0)
  while(_pos LESS _hexlen)
    string(SUBSTRING "${_hex}" ${_pos} 32 _chunk)
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" " 0x\\1," _chunk "${_chunk}")
    string(APPEND _bytes "       ${_chunk}\n")
    math(EXPR _pos "${_pos} + 32")
  endwhile()
  string(APPEND _body
         "/* ${_base} */\nstatic const unsigned char schema_${_name}[] = {\n"
         "${_bytes}        0x00};\n\n")
  string(APPEND _table
         "        {\"${_name}\", \"${_base}\", (const char *)schema_${_name}, ${_len}},\n")
  math(EXPR _count "${_count} + 1")
endforeach()

set(_out "/* Generated from the .avsc files in schemas/ by schemas/cmake/Embed.cmake; do not edit. */\n")
string(APPEND _out "#include \"sm/schemas.h\"\n\n")
string(APPEND _out "${_body}")
string(APPEND _out "const sm_schema_src_t sm_schemas_table[] = {\n${_table}")
string(APPEND _out "        {0, 0, 0, 0},\n};\n\n")
string(APPEND _out "const size_t sm_schemas_table_count = ${_count};\n")

file(WRITE ${SM_OUT} "${_out}")
