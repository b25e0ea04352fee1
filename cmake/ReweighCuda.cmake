# Decide on CUDA before any target exists (CMake 3.25 + nvcc 13 otherwise fails
# with "CUDA_ARCHITECTURES is empty"; see docs/toolchain.md).
#
# REWEIGH_CUDA = AUTO (build the CUDA kernels when nvcc is found), ON (require
# them) or OFF (CPU only). Sets REWEIGH_WITH_CUDA.
set(REWEIGH_CUDA "AUTO" CACHE STRING "Build CUDA kernels: AUTO, ON or OFF")
set_property(CACHE REWEIGH_CUDA PROPERTY STRINGS AUTO ON OFF)

set(REWEIGH_WITH_CUDA OFF)
if(NOT REWEIGH_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    # sm_80 (A100) and sm_90 (H100/H200) as SASS, plus compute_90 PTX for newer GPUs.
    if(NOT CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "80-real;90-real;90-virtual")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(REWEIGH_WITH_CUDA ON)
  elseif(REWEIGH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "REWEIGH_CUDA=ON but no CUDA compiler (nvcc) was found")
  endif()
endif()
message(STATUS "Reweigh: CUDA kernels ${REWEIGH_WITH_CUDA} (REWEIGH_CUDA=${REWEIGH_CUDA})")
