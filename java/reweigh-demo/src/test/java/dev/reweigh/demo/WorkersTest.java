package dev.reweigh.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.ChainTask;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A job's result must not depend on the worker that ran it or on what ran beside it: seeded
 * model construction and training on two workers, next to a job that keeps building models from
 * libtorch's global generator (as every fine-tune's copy of the base does), must give, bit for
 * bit, the models of one worker running the jobs alone.
 */
class WorkersTest {
  private static final CharTokenizer TOKENIZER = new CharTokenizer();
  private static final ModelConfig MODEL = new ModelConfig(TOKENIZER.vocabSize(), 16, 2, 1, 128);
  private static final List<Example> DATA = PoolSampler.examples(TrainingSplits.generate(
      new ChainTask(ChainTask.Shape.standard()), new TrainingSplits.Sizes(12, 1, 1, 1, 0.0), 5).seed());

  @Test
  void seededTrainingOnTwoWorkersBesideOtherModelsMatchesOneWorker() {
    Workers.useIntraOpThreads();
    List<float[]> alone = Workers.run(1, trainings(3));

    AtomicBoolean done = new AtomicBoolean();
    List<Callable<float[]>> jobs = new ArrayList<>();
    jobs.add(() -> {
      // Draws from the global generator until the seeded jobs are over.
      for (int i = 0; i < 10_000 && !done.get(); i++) {
        new TinyTransformer(MODEL).close();
      }
      return new float[0];
    });
    List<Callable<float[]>> seeded = trainings(3);
    for (int i = 0; i < seeded.size(); i++) {
      Callable<float[]> job = seeded.get(i);
      boolean last = i == seeded.size() - 1;
      jobs.add(() -> {
        float[] p = job.call();
        if (last) {
          done.set(true);
        }
        return p;
      });
    }
    List<float[]> side = Workers.run(2, jobs).subList(1, jobs.size());
    for (int i = 0; i < alone.size(); i++) {
      assertArrayEquals(alone.get(i), side.get(i), "job " + i + " on two workers");
    }
    assertFalse(Arrays.equals(alone.get(0), alone.get(1)), "different seeds give different models");
  }

  @Test
  void resultsComeInJobOrderAndTheFirstFailureIsRethrown() {
    List<Callable<Integer>> jobs = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      final int v = i;
      jobs.add(() -> {
        Thread.sleep(7 - v);
        return v * v;
      });
    }
    assertEquals(List.of(0, 1, 4, 9, 16, 25, 36), Workers.run(3, jobs));
    List<Callable<Integer>> failing = List.of(() -> 1, () -> {
      throw new IllegalArgumentException("job 1");
    }, () -> {
      throw new IllegalStateException("job 2");
    });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workers.run(2, failing));
    assertEquals("job 1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Workers.run(0, jobs), "threads < 1");
  }

  /** Job i: a model seeded with 100 + i, trained 8 steps (batch 4, shuffling seed i). */
  private static List<Callable<float[]>> trainings(int n) {
    List<Callable<float[]>> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      final int k = i;
      jobs.add(() -> {
        try (TinyTransformer m = TinyTransformer.seeded(MODEL, 100 + k)) {
          new Trainer(new Batcher(TOKENIZER, false)).train(m, DATA, List.of(), null,
              new Trainer.Options(8, 4, 3e-3, 0.01, k), null);
          return BandSearchTest.parameters(m);
        }
      });
    }
    return jobs;
  }
}
