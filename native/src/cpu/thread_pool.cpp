#include "thread_pool.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu_quota.h"

namespace reweigh {
namespace cpu {
namespace {

int32_t default_threads() {
    const char* env = getenv("REWEIGH_NUM_THREADS");
    if (env != nullptr) {
        long n = strtol(env, nullptr, 10);
        if (n >= 1 && n <= 4096) return static_cast<int32_t>(n);
    }
    return usable_cpus();
}

class Pool {
public:
    Pool() { resize_locked(default_threads()); }

    ~Pool() { stop_workers(); }

    /* Lock-free: callers inside other regions must not wait for a running one to finish. */
    int32_t threads() const { return threads_.load(std::memory_order_relaxed); }

    void resize(int32_t threads) {
        std::lock_guard<std::mutex> region(region_mutex_);  // waits for a running region
        resize_locked(threads);
    }

    void run(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
        if (n <= 0) return;
        grain = std::max<int64_t>(grain, 1);
        const int64_t chunks = (n + grain - 1) / grain;
        std::unique_lock<std::mutex> region(region_mutex_, std::try_to_lock);
        if (!region.owns_lock() || threads_.load() == 1 || chunks == 1) {
            fn(ctx, 0, n);  // busy or nothing to split: run inline
            return;
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            job_fn_ = fn;
            job_ctx_ = ctx;
            job_n_ = n;
            job_grain_ = grain;
            next_chunk_.store(0);
            job_chunks_ = chunks;
            pending_workers_ = static_cast<int32_t>(workers_.size());
            ++generation_;
        }
        wake_.notify_all();
        work_on_job(fn, ctx, n, grain, chunks);
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_workers_ == 0; });
    }

private:
    void work_on_job(RangeFn fn, void* ctx, int64_t n, int64_t grain, int64_t chunks) {
        for (;;) {
            int64_t c = next_chunk_.fetch_add(1);
            if (c >= chunks) return;
            int64_t begin = c * grain;
            fn(ctx, begin, std::min(n, begin + grain));
        }
    }

    /*
     * `seen` starts at the generation current when the worker was created, not at 0: a worker
     * created by a resize would otherwise take the last, finished job for a new one, and if the
     * next job was posted meanwhile it would consume that job's chunk indices with the old
     * (dead) job's function and context, so rows of the new job would never be computed.
     */
    void worker_loop(uint64_t seen) {
        for (;;) {
            RangeFn fn;
            void* ctx;
            int64_t n, grain, chunks;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
                if (stopping_) return;
                seen = generation_;
                fn = job_fn_;
                ctx = job_ctx_;
                n = job_n_;
                grain = job_grain_;
                chunks = job_chunks_;
            }
            work_on_job(fn, ctx, n, grain, chunks);
            {
                std::lock_guard<std::mutex> lock(mutex_);
                if (--pending_workers_ == 0) done_.notify_one();
            }
        }
    }

    void stop_workers() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stopping_ = false;
    }

    void resize_locked(int32_t threads) {
        stop_workers();
        const int32_t n = std::max<int32_t>(threads, 1);
        uint64_t current;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            current = generation_;
        }
        for (int32_t i = 1; i < n; ++i) workers_.emplace_back(&Pool::worker_loop, this, current);
        threads_.store(n);
    }

    std::mutex region_mutex_;  // held for a whole parallel region
    std::mutex mutex_;         // guards the job fields below
    std::condition_variable wake_;
    std::condition_variable done_;
    std::vector<std::thread> workers_;
    std::atomic<int32_t> threads_{1};
    bool stopping_ = false;
    uint64_t generation_ = 0;
    RangeFn job_fn_ = nullptr;
    void* job_ctx_ = nullptr;
    int64_t job_n_ = 0;
    int64_t job_grain_ = 1;
    int64_t job_chunks_ = 0;
    int32_t pending_workers_ = 0;
    std::atomic<int64_t> next_chunk_{0};
};

/* Built on first use (never during static initialisation) and intentionally
 * leaked: joining threads from a static destructor at process exit can hang. */
Pool& pool() {
    static Pool* instance = new Pool();
    return *instance;
}

}  // namespace

int32_t pool_threads() { return pool().threads(); }

void pool_set_threads(int32_t threads) { pool().resize(threads); }

void parallel_for(int64_t n, int64_t grain, RangeFn fn, void* ctx) { pool().run(n, grain, fn, ctx); }

}  // namespace cpu
}  // namespace reweigh
