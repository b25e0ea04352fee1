#include "cpu_quota.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace reweigh {
namespace cpu {
namespace {

bool read_file(const std::string& path, std::string* out) {
    std::ifstream in(path);
    if (!in) return false;
    std::stringstream text;
    text << in.rdbuf();
    *out = text.str();
    return true;
}

/* ceil(quota / period) when both are positive, else 0 (no limit). */
int32_t cpus_of(long long quota, long long period) {
    if (quota <= 0 || period <= 0) return 0;
    const long long n = (quota + period - 1) / period;
    return static_cast<int32_t>(n > 4096 ? 4096 : n);
}

int32_t min_limit(int32_t a, int32_t b) {
    if (a == 0) return b;
    if (b == 0) return a;
    return a < b ? a : b;
}

/* v2: "max 100000" or "200000 100000" in cpu.max of the group and of every ancestor. */
int32_t v2_limit(const std::string& root, std::string path) {
    int32_t limit = 0;
    while (true) {
        std::string text;
        if (read_file(root + path + (path.empty() || path.back() == '/' ? "" : "/") + "cpu.max", &text)) {
            char quota[32] = {0};
            long long period = 0;
            if (sscanf(text.c_str(), "%31s %lld", quota, &period) == 2 && std::string(quota) != "max") {
                limit = min_limit(limit, cpus_of(atoll(quota), period));
            }
        }
        if (path.empty() || path == "/") break;
        const size_t slash = path.find_last_of('/');
        path = slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
    }
    return limit;
}

/* v1: cpu.cfs_quota_us (-1 = none) over cpu.cfs_period_us, in the group's directory or the mount's root. */
int32_t v1_limit(const std::string& dir) {
    std::string quota, period;
    if (!read_file(dir + "/cpu.cfs_quota_us", &quota) || !read_file(dir + "/cpu.cfs_period_us", &period)) return -1;
    return cpus_of(atoll(quota.c_str()), atoll(period.c_str()));
}

}  // namespace

int32_t affinity_cpus() {
    // CPU_ALLOC: the fixed cpu_set_t holds 1024 CPUs, fewer than some hosts have.
    for (int size = 1024; size <= 1 << 16; size *= 2) {
        cpu_set_t* set = CPU_ALLOC(size);
        if (set == nullptr) return 0;
        const size_t bytes = CPU_ALLOC_SIZE(size);
        if (sched_getaffinity(0, bytes, set) == 0) {
            const int n = CPU_COUNT_S(bytes, set);
            CPU_FREE(set);
            return n;
        }
        CPU_FREE(set);
    }
    return 0;
}

int32_t cgroup_cpu_limit(const std::string& proc_self_cgroup, const std::string& root) {
    std::istringstream lines(proc_self_cgroup);
    std::string line;
    int32_t limit = 0;
    while (std::getline(lines, line)) {
        // "hierarchy-id:controllers:path"; v2 is "0::path".
        const size_t a = line.find(':');
        const size_t b = a == std::string::npos ? a : line.find(':', a + 1);
        if (b == std::string::npos) continue;
        const std::string controllers = line.substr(a + 1, b - a - 1);
        const std::string path = line.substr(b + 1);
        if (controllers.empty()) {
            limit = min_limit(limit, v2_limit(root, path));
            continue;
        }
        std::istringstream names(controllers);
        std::string name;
        bool cpu = false;
        while (std::getline(names, name, ',')) cpu = cpu || name == "cpu";
        if (!cpu) continue;
        // A container sees its own group at the mount's root, with the host's path in /proc/self/cgroup.
        for (const std::string& dir : {root + "/" + controllers + path, root + "/cpu" + path, root + "/" + controllers,
                                       root + "/cpu"}) {
            const int32_t n = v1_limit(dir);
            if (n >= 0) {
                limit = min_limit(limit, n);
                break;
            }
        }
    }
    return limit;
}

int32_t usable_cpus() {
    int32_t n = affinity_cpus();
    if (n <= 0) {
        const unsigned hw = std::thread::hardware_concurrency();
        n = hw == 0 ? 1 : static_cast<int32_t>(hw);
    }
    std::string cgroup;
    if (read_file("/proc/self/cgroup", &cgroup)) n = min_limit(n, cgroup_cpu_limit(cgroup, "/sys/fs/cgroup"));
    return n < 1 ? 1 : n;
}

}  // namespace cpu
}  // namespace reweigh
