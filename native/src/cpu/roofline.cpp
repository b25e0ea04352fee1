/*
 * roofline.cpp: the ceilings measured next to every kernel benchmark, on the
 * kernels' own thread pool, so kernel / ceiling isolates the kernel's own
 * efficiency:
 *   copy  memcpy: one read and one write per byte (forwardBackward, backward);
 *   read  a sum over the bytes (forward);
 *   exp   one exp per logit through the active variant's vector exp (the
 *         one the softmax pass runs on z' - max <= 0) over an L1-resident
 *         block: the arithmetic floor no kernel can beat.
 */
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "../common/errors.h"
#include "isa.h"
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

/*
 * Independent float sums per 64-byte line: sixteen per line and four lines in
 * flight, so the adds form 64 separate chains and the loop runs at the load
 * ports' rate, far above memory bandwidth, with SSE2 alone (this file has no
 * -m flags). The bytes are summed as floats whatever the logits' dtype, so an
 * fp32 and a bf16 buffer of the same size cost the same work per byte.
 */
constexpr int kReadLanes = 64;

void read_chunks(void* ctx, int64_t begin, int64_t end) {
    ReadJob& job = *static_cast<ReadJob*>(ctx);
    const int64_t per_chunk = kChunkBytes / 4;
    for (int64_t c = begin; c < end; ++c) {
        const int64_t lo = c * per_chunk;
        const int64_t hi = std::min(job.floats, lo + per_chunk);
        float acc[kReadLanes] = {};
        int64_t i = lo;
        for (; i + kReadLanes <= hi; i += kReadLanes)
            for (int j = 0; j < kReadLanes; ++j) acc[j] += job.src[i + j];
        for (; i < hi; ++i) acc[0] += job.src[i];
        double sum = 0;
        for (float a : acc) sum += a;
        (*job.partial)[static_cast<size_t>(c)] = sum;
    }
}

/* The exp ceiling: a 4 KiB block (L1-resident) swept once per kExpBlock logits. */
constexpr int64_t kExpBlock = 1024;
constexpr int64_t kExpChunk = int64_t{1} << 18; /* logits per parallel chunk */

struct ExpJob {
    const float* block;
    int64_t elements;
    std::vector<double>* partial;
};

void exp_chunks(void* ctx, int64_t begin, int64_t end) {
    ExpJob& job = *static_cast<ExpJob*>(ctx);
    const CeRowKernels& k = active_kernels();
    for (int64_t c = begin; c < end; ++c) {
        const int64_t lo = c * kExpChunk;
        const int64_t hi = std::min(job.elements, lo + kExpChunk);
        double sum = 0;
        for (int64_t i = lo; i < hi; i += kExpBlock) sum += k.exp_sum(job.block, std::min(kExpBlock, hi - i));
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

extern "C" reweigh_status_t reweigh_bench_exp(int64_t elements, double* checksum) {
    return guarded([&] {
        REWEIGH_CHECK_ARG(elements >= 0, "elements = %lld must be >= 0", static_cast<long long>(elements));
        REWEIGH_CHECK_ARG(checksum != nullptr, "checksum is NULL");
        // Arguments spread over [-16, 0), the range exp(z - max) sees in a softmax.
        std::vector<float> block(static_cast<size_t>(reweigh::cpu::kExpBlock));
        for (size_t i = 0; i < block.size(); ++i) block[i] = -16.0f * static_cast<float>(i) / 1024.0f;
        const int64_t chunks = (elements + reweigh::cpu::kExpChunk - 1) / reweigh::cpu::kExpChunk;
        std::vector<double> partial(static_cast<size_t>(chunks), 0.0);
        reweigh::cpu::ExpJob job{block.data(), elements, &partial};
        reweigh::cpu::parallel_for(chunks, 1, reweigh::cpu::exp_chunks, &job);
        double sum = 0;
        for (double p : partial) sum += p;
        *checksum = sum;
    });
}
