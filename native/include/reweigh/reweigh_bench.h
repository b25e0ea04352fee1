/*
 * reweigh_bench.h: roofline helpers for the benchmarks (not part of the loss
 * API of reweigh.h). They use the kernels' thread pool, so a benchmark can
 * compare a kernel's bandwidth with a plain copy or read on the same threads.
 */
#ifndef REWEIGH_REWEIGH_BENCH_H
#define REWEIGH_REWEIGH_BENCH_H

#include "reweigh/reweigh.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copy `bytes` from src to dst with the kernels' thread pool: the copy roofline. */
REWEIGH_API reweigh_status_t reweigh_bench_copy(const void* src, void* dst, int64_t bytes);
/* Read `bytes` with vector loads and the thread pool; *checksum defeats dead-code elimination. */
REWEIGH_API reweigh_status_t reweigh_bench_read(const void* src, int64_t bytes, double* checksum);

/* `elements` exps through the active CPU variant's vector exp (the one the kernels use) over an
   L1-resident block, on the kernels' thread pool; *checksum (the sum of the exps) defeats
   dead-code elimination. Its time is the arithmetic floor of any kernel that takes one exp per
   logit. */
REWEIGH_API reweigh_status_t reweigh_bench_exp(int64_t elements, double* checksum);

#ifdef __cplusplus
}
#endif

#endif /* REWEIGH_REWEIGH_BENCH_H */
