/*
 * roofline.cpp: the memory-bandwidth roofline measured next to every kernel
 * benchmark. Same thread pool and chunking as the kernels, so the ratio
 * kernel / roofline isolates the kernel's own efficiency.
 */
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "../common/errors.h"
#include "reweigh/reweigh_bench.h"
#include "thread_pool.h"

namespace reweigh {
namespace cpu {
namespace {

/* 1 MiB chunks: large enough to amortise scheduling, small enough to balance 2..64 threads. */
constexpr int64_t kChunkBytes = int64_t{1} << 20;

struct CopyJob {
    const char* src;
    char* dst;
    int64_t bytes;
};

void copy_chunks(void* ctx, int64_t begin, int64_t end) {
    CopyJob& job = *static_cast<CopyJob*>(ctx);
    const int64_t lo = begin * kChunkBytes;
    const int64_t hi = std::min(job.bytes, end * kChunkBytes);
    memcpy(job.dst + lo, job.src + lo, static_cast<size_t>(hi - lo));
}

struct ReadJob {
    const float* src;
    int64_t floats;
    std::vector<double>* partial;
};

void read_chunks(void* ctx, int64_t begin, int64_t end) {
    ReadJob& job = *static_cast<ReadJob*>(ctx);
    const int64_t per_chunk = kChunkBytes / 4;
    for (int64_t c = begin; c < end; ++c) {
        const int64_t lo = c * per_chunk;
        const int64_t hi = std::min(job.floats, lo + per_chunk);
        // Eight independent sums: the compiler vectorises this (-O3) and the
        // adds never become the bottleneck of a memory-bound read.
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t i = lo;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; ++j) acc[j] += job.src[i + j];
        for (; i < hi; ++i) acc[0] += job.src[i];
        double sum = 0;
        for (float a : acc) sum += a;
        (*job.partial)[static_cast<size_t>(c)] = sum;
    }
}

}  // namespace
}  // namespace cpu
}  // namespace reweigh

using reweigh::guarded;

extern "C" reweigh_status_t reweigh_bench_copy(const void* src, void* dst, int64_t bytes) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(bytes >= 0, "bytes = %lld must be >= 0", static_cast<long long>(bytes));
        REWEIGH_CHECK_ARG(bytes == 0 || (src != nullptr && dst != nullptr), "src or dst is NULL");
        reweigh::cpu::CopyJob job{static_cast<const char*>(src), static_cast<char*>(dst), bytes};
        const int64_t chunks = (bytes + reweigh::cpu::kChunkBytes - 1) / reweigh::cpu::kChunkBytes;
        reweigh::cpu::parallel_for(chunks, 1, reweigh::cpu::copy_chunks, &job);
    });
}

extern "C" reweigh_status_t reweigh_bench_read(const void* src, int64_t bytes, double* checksum) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(bytes >= 0 && bytes % 4 == 0, "bytes = %lld must be >= 0 and a multiple of 4",
                          static_cast<long long>(bytes));
        REWEIGH_CHECK_ARG(bytes == 0 || src != nullptr, "src is NULL");
        REWEIGH_CHECK_ARG(checksum != nullptr, "checksum is NULL");
        const int64_t chunks = (bytes + reweigh::cpu::kChunkBytes - 1) / reweigh::cpu::kChunkBytes;
        std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
        reweigh::cpu::ReadJob job{static_cast<const float*>(src), bytes / 4, &partial};
        reweigh::cpu::parallel_for(chunks, 1, reweigh::cpu::read_chunks, &job);
        double sum = 0;
        for (double p : partial) sum += p;
        *checksum = sum;
    });
}
