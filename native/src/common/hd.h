/*
 * hd.h: the one macro that lets row math compile for both CPU and CUDA.
 *
 * Code in src/common is included by the scalar CPU kernels and by the .cu
 * kernels, so the CPU unit tests exercise the formulas the GPU runs
 * (ATen's C10_HOST_DEVICE idiom, e.g. aten/src/ATen/native/Lerp.h).
 */
#ifndef REWEIGH_COMMON_HD_H
#define REWEIGH_COMMON_HD_H

#if defined(__CUDACC__)
#  define REWEIGH_HD __host__ __device__ __forceinline__
#else
/* static: each translation unit keeps its own copy. The per-ISA units
 * (cpu/ce_avx512.cpp, ...) build these functions with their own -m flags;
 * with external linkage the linker would keep one of those copies for every
 * caller, and a scalar or AVX2 caller could run AVX-512 code
 * (native/scripts/check_isa_symbols.sh tests it). */
#  define REWEIGH_HD static inline
#endif

#endif
