# One place for the warning flags every houqin target builds with.
function(houqin_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow=local
                                           $<$<BOOL:${HOUQIN_WERROR}>:-Werror>)
endfunction()
