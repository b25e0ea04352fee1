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
#  define REWEIGH_HD inline
#endif

#endif
