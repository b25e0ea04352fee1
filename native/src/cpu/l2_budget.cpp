/*
 * l2_budget.cpp: the per-core L2 this machine reports (sysconf, then cpuid
 * leaf 4) and the keep-or-recompute decision l2_budget.h describes.
 */
#include "l2_budget.h"

#include <cpuid.h>
#include <unistd.h>

namespace reweigh {
namespace cpu {

int64_t machine_l2_bytes() {
    const long reported = sysconf(_SC_LEVEL2_CACHE_SIZE);  // glibc; 0 or -1 when it does not know
    if (reported > 0) return reported;
    unsigned a, b, c, d;
    for (unsigned sub = 0; sub < 16 && __get_cpuid_count(4, sub, &a, &b, &c, &d); ++sub) {
        const unsigned type = a & 0x1f, level = (a >> 5) & 0x7;
        if (type == 0) break;  // no more caches
        if (level == 2 && (type == 1 || type == 3)) return cache_bytes_from_leaf4(b, c);  // data or unified
    }
    return 0;
}

int64_t kept_exponentials_bytes() {
    static const int64_t bound = kept_exponentials_bound(machine_l2_bytes());
    return bound;
}

bool row_keeps_exponentials(int32_t dtype, int64_t vocab) {
    return keeps_exponentials(dtype, vocab, kept_exponentials_bytes());
}

}  // namespace cpu
}  // namespace reweigh
