# Compiler warnings used for every target of the project.
add_compile_options(-Wall -Wextra -Wstrict-prototypes -Wshadow
                    -Wno-unused-parameter)
add_compile_definitions(_GNU_SOURCE)
if(SM_WERROR)
  add_compile_options(-Werror)
endif()
