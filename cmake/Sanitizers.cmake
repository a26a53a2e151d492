# SM_ASAN / SM_UBSAN: sanitizer builds (CI runs the unit and golden tests
# under both).  SM_TSAN: ThreadSanitizer, for the gateway's threads
# (bench/tsan.sh); not with SM_ASAN (each has its own runtime and shadow
# memory).
set(_sm_san "")
if(SM_TSAN AND SM_ASAN)
  message(FATAL_ERROR "SM_TSAN and SM_ASAN cannot be combined")
endif()
if(SM_ASAN)
  list(APPEND _sm_san address)
endif()
if(SM_UBSAN)
  list(APPEND _sm_san undefined)
endif()
if(SM_TSAN)
  list(APPEND _sm_san thread)
endif()
if(_sm_san)
  list(JOIN _sm_san "," _sm_san_list)
  add_compile_options(-fsanitize=${_sm_san_list} -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${_sm_san_list})
endif()
# Under TSan every target links the C11-threads shim (librdkafka's threads
# and locks made visible to TSan; see tsan_c11threads.c).  An object
# library: its definitions land in each executable, which is what makes
# them interpose libc's for librdkafka.
if(SM_TSAN)
  add_library(sm_tsan_c11threads OBJECT
              ${CMAKE_CURRENT_LIST_DIR}/tsan_c11threads.c)
  link_libraries(sm_tsan_c11threads)
endif()
