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

#include "../src/cpu/cpu_quota.h"
#include "reweigh/reweigh.h"

namespace {

using reweigh::cpu::cgroup_cpu_limit;

class FakeCgroup : public ::testing::Test {
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

TEST_F(FakeCgroup, V2QuotaOfTheGroup) {
    write("/cpu.max", "max 100000\n");
    write("/job/cpu.max", "200000 100000\n");
    EXPECT_EQ(cgroup_cpu_limit("0::/job\n", root), 2);
}

TEST_F(FakeCgroup, V2FractionalQuotaRoundsUpAndAncestorsCount) {
    write("/cpu.max", "max 100000\n");
    write("/a/cpu.max", "150000 100000\n");
    write("/a/b/cpu.max", "max 100000\n");
    EXPECT_EQ(cgroup_cpu_limit("0::/a/b\n", root), 2);
}

TEST_F(FakeCgroup, V2NoQuotaAnywhere) {
    write("/cpu.max", "max 100000\n");
    write("/a/cpu.max", "max 100000\n");
    EXPECT_EQ(cgroup_cpu_limit("0::/a\n", root), 0);
}

TEST_F(FakeCgroup, V2ContainerSeesItsGroupAtTheRoot) {
    write("/cpu.max", "300000 100000\n");
    EXPECT_EQ(cgroup_cpu_limit("0::/\n", root), 3);
}

TEST_F(FakeCgroup, V1CfsQuota) {
    write("/cpu,cpuacct/docker/x/cpu.cfs_quota_us", "50000\n");
    write("/cpu,cpuacct/docker/x/cpu.cfs_period_us", "100000\n");
    EXPECT_EQ(cgroup_cpu_limit("4:memory:/docker/x\n3:cpu,cpuacct:/docker/x\n", root), 1);
}

TEST_F(FakeCgroup, V1UnlimitedAndContainerRoot) {
    write("/cpu/cpu.cfs_quota_us", "-1\n");
    write("/cpu/cpu.cfs_period_us", "100000\n");
    EXPECT_EQ(cgroup_cpu_limit("1:cpu:/host/path/not/mounted\n", root), 0);
    write("/cpu/cpu.cfs_quota_us", "400000\n");
    EXPECT_EQ(cgroup_cpu_limit("1:cpu:/host/path/not/mounted\n", root), 4);
}

TEST_F(FakeCgroup, MissingFilesMeanNoLimit) {
    EXPECT_EQ(cgroup_cpu_limit("0::/nothing\n1:cpu:/nothing\n", root), 0);
    EXPECT_EQ(cgroup_cpu_limit("garbage\n", root), 0);
}

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
