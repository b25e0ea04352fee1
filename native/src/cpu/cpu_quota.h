/*
 * cpu_quota.h: how many CPUs this process may use, for the default size of
 * the thread pool: the affinity mask (taskset, cpusets), capped by a cgroup
 * CPU quota (docker --cpus, Kubernetes limits). A container limited to 2 CPUs
 * on a 64-core host gets 2 workers, not 64.
 */
#ifndef REWEIGH_CPU_CPU_QUOTA_H
#define REWEIGH_CPU_CPU_QUOTA_H

#include <stdint.h>

#include <string>

namespace reweigh {
namespace cpu {

/* CPUs in this process's affinity mask; 0 when it cannot be read. */
int32_t affinity_cpus();

/*
 * The cgroup CPU limit ceil(quota / period), or 0 for none. proc_self_cgroup
 * is the text of /proc/self/cgroup, cgroup_root the cgroup mount point
 * (/sys/fs/cgroup); v2 (cpu.max, the smallest along the path to the root)
 * and v1 (cpu.cfs_quota_us / cpu.cfs_period_us) are both read.
 */
int32_t cgroup_cpu_limit(const std::string& proc_self_cgroup, const std::string& cgroup_root);

/* min(affinity, cgroup limit), at least 1; the machine's count when neither is known. */
int32_t usable_cpus();

}  // namespace cpu
}  // namespace reweigh

#endif
