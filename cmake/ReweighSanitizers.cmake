# REWEIGH_SANITIZE=ON builds every target with AddressSanitizer + UndefinedBehaviorSanitizer,
# UBSan made fatal so a report fails the test run (native/scripts/sanitize.sh).
option(REWEIGH_SANITIZE "Build with ASan + UBSan" OFF)
if(REWEIGH_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=address,undefined)
endif()
