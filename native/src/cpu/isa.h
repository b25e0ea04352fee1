/*
 * isa.h: which CPU kernel variant runs.
 *
 * Chosen once, on first use, from CPUID plus XGETBV (the OS must save the
 * AVX / AVX-512 register state, which ggml's x86 scorer does not check), and
 * overridable by REWEIGH_CPU_ISA=scalar|avx2|avx512|auto or
 * reweigh_set_cpu_isa() so each variant can be tested and benchmarked.
 */
#ifndef REWEIGH_CPU_ISA_H
#define REWEIGH_CPU_ISA_H

#include "ce_kernels.h"

namespace reweigh {
namespace cpu {

/* The kernels in use. */
const CeRowKernels& active_kernels();

/* Select by name ("scalar", "avx2", "avx512", "auto"); throws Error if unsupported. */
void select_isa(const char* name);

bool cpu_has_avx2();
bool cpu_has_avx512();

}  // namespace cpu
}  // namespace reweigh

#endif
