package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.set_num_threads;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo's parallelism: independent jobs (a seed's base model, sampling and evaluations; one
 * method's fine-tuning on one seed) run on {@code --threads} worker threads, each job with {@link
 * #INTRA_OP_THREADS} libtorch thread. The model is so small that libtorch's own threads spend a
 * step waiting for each other at OpenMP barriers (two intra-op threads trained no faster than one
 * on 2 cores), while two jobs side by side train twice as many steps per second. A job's result
 * depends only on its inputs and seeds, never on which worker ran it or when, so the results do
 * not depend on {@code --threads}.
 */
final class Workers {
  /**
   * libtorch intra-op threads of every job. libtorch keeps one process-wide count that each new
   * thread takes on its first parallel op, so it is set once, before any worker starts.
   */
  static final int INTRA_OP_THREADS = 1;

  private Workers() {}

  /** Sets libtorch's thread count to {@link #INTRA_OP_THREADS}; call before the first job. */
  static void useIntraOpThreads() {
    set_num_threads(INTRA_OP_THREADS);
  }

  /**
   * Runs {@code jobs} on up to {@code threads} workers (on the calling thread when {@code threads}
   * is 1 or there is one job) and returns their results in the order of {@code jobs}. The first
   * failure, in that order, is rethrown once every started job has stopped; jobs not yet started
   * are cancelled.
   */
  static <T> List<T> run(int threads, List<? extends Callable<T>> jobs) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads: " + threads + " < 1");
    }
    List<T> out = new ArrayList<>(jobs.size());
    if (threads == 1 || jobs.size() <= 1) {
      for (Callable<T> j : jobs) {
        out.add(call(j));
      }
      return out;
    }
    AtomicInteger id = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, jobs.size()), r -> {
      Thread t = new Thread(r, "demo-worker-" + id.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<T>> futures = new ArrayList<>(jobs.size());
      for (Callable<T> j : jobs) {
        futures.add(pool.submit(j));
      }
      for (Future<T> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          pool.shutdownNow();
          pool.awaitTermination(Long.MAX_VALUE, TimeUnit.DAYS);
          throw rethrown(e.getCause());
        }
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the demo's jobs", e);
    } finally {
      pool.shutdownNow();
    }
  }

  private static <T> T call(Callable<T> j) {
    try {
      return j.call();
    } catch (Exception e) {
      throw rethrown(e);
    }
  }

  /** {@code t} itself when unchecked (an {@link Error} is thrown here), else wrapped. */
  private static RuntimeException rethrown(Throwable t) {
    if (t instanceof Error e) {
      throw e;
    }
    return t instanceof RuntimeException r ? r : new IllegalStateException("a demo job failed: " + t, t);
  }
}
