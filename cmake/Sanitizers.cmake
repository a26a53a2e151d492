# SM_ASAN / SM_UBSAN: sanitizer builds (CI runs the unit and golden tests
# under both).
set(_sm_san "")
if(SM_ASAN)
  list(APPEND _sm_san address)
endif()
if(SM_UBSAN)
  list(APPEND _sm_san undefined)
endif()
if(_sm_san)
  list(JOIN _sm_san "," _sm_san_list)
  add_compile_options(-fsanitize=${_sm_san_list} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_sm_san_list})
endif()
