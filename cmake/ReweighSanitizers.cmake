# REWEIGH_SANITIZE=ON builds every target with AddressSanitizer + UndefinedBehaviorSanitizer,
# UBSan made fatal so a report fails the test run (native/scripts/sanitize.sh).
option(REWEIGH_SANITIZE "Build with ASan + UBSan" OFF)
if(REWEIGH_SANITIZE)
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-sanitize-recover=all>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=address,undefined)
endif()

# REWEIGH_TSAN=ON builds every target with ThreadSanitizer (native/scripts/tsan.sh); it cannot be
# combined with REWEIGH_SANITIZE (ASan and TSan exclude each other).
option(REWEIGH_TSAN "Build with ThreadSanitizer" OFF)
if(REWEIGH_TSAN)
  if(REWEIGH_SANITIZE)
    message(FATAL_ERROR "REWEIGH_TSAN and REWEIGH_SANITIZE cannot be combined")
  endif()
  add_compile_options($<$<COMPILE_LANGUAGE:CXX>:-fsanitize=thread>
                      $<$<COMPILE_LANGUAGE:CXX>:-fno-omit-frame-pointer>)
  add_link_options(-fsanitize=thread)
endif()
