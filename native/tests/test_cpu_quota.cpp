/*
 * test_cpu_quota.cpp: the default thread count comes from the CPUs this
 * process may use (cpu/cpu_quota.h), not from the machine's core count.
 *
 * The cgroup parser runs on fake /sys/fs/cgroup trees (v1 and v2, quotas set
 * at the group or at an ancestor); the end-to-end case pins this process to
 * one CPU before the library's pool exists and reads reweigh_num_threads().
 */
#include <gtest/gtest.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "../src/cpu/cpu_quota.h"
#include "reweigh/reweigh.h"

namespace {

using reweigh::cpu::cgroup_cpu_limit;

/* One fake cgroup tree: its files below the mount point, this process's /proc/self/cgroup, the limit expected. */
struct Tree {
    const char* name;
    std::vector<std::pair<std::string, std::string>> files;
    const char* self_cgroup;
    int limit;
};

class FakeCgroup : public ::testing::TestWithParam<Tree> {
protected:
    std::string root;

    void SetUp() override {
        char tmpl[] = "/tmp/reweigh-cgroup-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        root = tmpl;
    }

    void TearDown() override { ASSERT_EQ(system(("rm -rf '" + root + "'").c_str()), 0); }

    void write(const std::string& rel, const std::string& text) {
        std::string dir = root;
        size_t start = 1;
        for (size_t slash; (slash = rel.find('/', start)) != std::string::npos; start = slash + 1) {
            dir = root + rel.substr(0, slash);
            mkdir(dir.c_str(), 0700);
        }
        std::ofstream(root + rel) << text;
    }
};

TEST_P(FakeCgroup, Limit) {
    for (const auto& [rel, text] : GetParam().files) write(rel, text);
    EXPECT_EQ(cgroup_cpu_limit(GetParam().self_cgroup, root), GetParam().limit);
}

const char* const kV1Quota = "/cpu/cpu.cfs_quota_us";
const char* const kV1Period = "/cpu/cpu.cfs_period_us";
const char* const kNotMounted = "1:cpu:/host/path/not/mounted\n";

INSTANTIATE_TEST_SUITE_P(
    Trees, FakeCgroup,
    ::testing::Values(
        Tree{"V2QuotaOfTheGroup", {{"/cpu.max", "max 100000\n"}, {"/job/cpu.max", "200000 100000\n"}}, "0::/job\n", 2},
        // 1.5 CPUs at /a round up to 2; /a/b itself has no quota.
        Tree{"V2FractionalQuotaRoundsUpAndAncestorsCount",
             {{"/cpu.max", "max 100000\n"}, {"/a/cpu.max", "150000 100000\n"}, {"/a/b/cpu.max", "max 100000\n"}},
             "0::/a/b\n", 2},
        Tree{"V2NoQuotaAnywhere", {{"/cpu.max", "max 100000\n"}, {"/a/cpu.max", "max 100000\n"}}, "0::/a\n", 0},
        Tree{"V2ContainerSeesItsGroupAtTheRoot", {{"/cpu.max", "300000 100000\n"}}, "0::/\n", 3},
        Tree{"V1CfsQuota",
             {{"/cpu,cpuacct/docker/x/cpu.cfs_quota_us", "50000\n"},
              {"/cpu,cpuacct/docker/x/cpu.cfs_period_us", "100000\n"}},
             "4:memory:/docker/x\n3:cpu,cpuacct:/docker/x\n", 1},
        // A container sees its own group at the mount point whatever path /proc/self/cgroup names.
        Tree{"V1Unlimited", {{kV1Quota, "-1\n"}, {kV1Period, "100000\n"}}, kNotMounted, 0},
        Tree{"V1ContainerRoot", {{kV1Quota, "400000\n"}, {kV1Period, "100000\n"}}, kNotMounted, 4},
        Tree{"MissingFilesMeanNoLimit", {}, "0::/nothing\n1:cpu:/nothing\n", 0},
        Tree{"GarbageMeansNoLimit", {}, "garbage\n", 0}),
    [](const ::testing::TestParamInfo<Tree>& info) { return std::string(info.param.name); });

TEST(UsableCpus, PoolFollowsTheAffinityMask) {
    if (getenv("REWEIGH_NUM_THREADS") != nullptr) GTEST_SKIP() << "REWEIGH_NUM_THREADS overrides the default";
    // Before the library's pool is created (it is made on first use).
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu(), &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_EQ(reweigh::cpu::affinity_cpus(), 1);
    EXPECT_EQ(reweigh_num_threads(), 1);
}

}  // namespace
