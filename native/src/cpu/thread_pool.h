/*
 * thread_pool.h: the CPU kernels' own worker threads.
 *
 * Why not OpenMP: libtorch and ND4J each bring an OpenMP runtime with its own
 * pool; a third one inside the same JVM would oversubscribe the cores and
 * spin. These workers sleep on a condition variable between calls, so they
 * cost nothing while a trainer's own pools run.
 *
 * Concurrency: one parallel region runs at a time. A call that finds the pool
 * busy (another Java thread is inside a kernel) runs its work inline on the
 * calling thread instead of waiting. Results do not depend on which thread
 * ran which chunk: chunks only write their own rows, and every reduction
 * across rows happens afterwards, serially, in row order.
 */
#ifndef REWEIGH_CPU_THREAD_POOL_H
#define REWEIGH_CPU_THREAD_POOL_H

#include <stdint.h>

namespace reweigh {
namespace cpu {

/* Body of a parallel loop: handles items [begin, end). Must not throw. */
typedef void (*RangeFn)(void* ctx, int64_t begin, int64_t end);

/* Worker count (including the caller), >= 1. */
int32_t pool_threads();
/* Resize; waits for a running region to finish first. threads >= 1. */
void pool_set_threads(int32_t threads);

/*
 * Run fn over [0, n) in chunks of `grain` items, on up to pool_threads()
 * threads, the caller included. Returns when every chunk is done.
 */
void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx);

}  // namespace cpu
}  // namespace reweigh

#endif
