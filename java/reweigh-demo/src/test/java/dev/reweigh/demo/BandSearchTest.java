package dev.reweigh.demo;

import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.set_num_threads;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import dev.reweigh.demo.task.ChainTask;
import dev.reweigh.demo.task.TrainingSplits;
import dev.reweigh.demo.train.Batcher;
import dev.reweigh.demo.train.Example;
import dev.reweigh.demo.train.Trainer;
import dev.reweigh.demo.train.TrainingRun;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.bytedeco.pytorch.TensorVector;
import org.junit.jupiter.api.Test;

/**
 * The band search on a real (tiny) training run with a dev accuracy given as a function of the
 * step, so the checkpoints it must visit are worked out by hand: coarse checkpoints every 20
 * steps, a jump past the band sends it back with checkpoints every 4, then every step. The model
 * it ends with must equal, bit for bit, a run trained straight to that step: the replay after a
 * restore takes the same batches and the same AdamW updates.
 */
class BandSearchTest {
  private static final int MAX_STEPS = 60;
  private static final CharTokenizer TOKENIZER = new CharTokenizer();
  private static final List<Example> DATA = data();

  @Test
  void aJumpPastTheBandIsReplayedWithCloserCheckpointsDownToOneStep() {
    // Below the band until step 26, inside it (under the target 0.38) at 26, at the target at 27,
    // above the band from 28 on: 20 steps apart the checkpoints see 0.1 then 0.6.
    IntToDoubleFunction dev = s -> s < 26 ? 0.1 : s == 26 ? 0.35 : s == 27 ? 0.40 : 0.6;
    Run r = search(dev);
    assertEquals(List.of("20:0.1@20", "40:0.6@20", "24:0.1@4", "28:0.6@4", "25:0.1@1", "26:0.35@1", "27:0.4@1"),
        r.visited);
    assertEquals(27, r.result.step());
    assertEquals(0.40, r.result.devAccuracy());
    assertEquals(2, r.result.replays());
    assertArrayEquals(parameters(straight(27)), parameters(r.model), "the model of step 27");
  }

  @Test
  void aSingleStepPastTheBandKeepsTheLastCheckpointInsideIt() {
    IntToDoubleFunction dev = s -> s < 25 ? 0.1 : s == 25 ? 0.32 : 0.7;
    Run r = search(dev);
    assertEquals(List.of("20:0.1@20", "40:0.7@20", "24:0.1@4", "28:0.7@4", "25:0.32@1", "26:0.7@1"), r.visited);
    assertEquals(25, r.result.step());
    assertEquals(0.32, r.result.devAccuracy());
    assertArrayEquals(parameters(straight(25)), parameters(r.model), "the model of step 25");
  }

  private record Run(BandSearch.Result result, TinyTransformer model, List<String> visited) {}

  private static Run search(IntToDoubleFunction dev) {
    TinyTransformer model = fresh();
    List<String> visited = new ArrayList<>();
    try (TrainingRun run = trainer().start(model, DATA, List.of(), null, options())) {
      BandSearch.Result r = new BandSearch(0.30, 0.38, 0.50, 20, 5).search(run, model, MAX_STEPS,
          () -> dev.applyAsDouble(run.step()), null, c -> visited.add(c.step() + ":" + c.devAccuracy() + "@" + c.spacing()));
      return new Run(r, model, visited);
    }
  }

  private static TinyTransformer straight(int steps) {
    TinyTransformer model = fresh();
    try (TrainingRun run = trainer().start(model, DATA, List.of(), null, options())) {
      run.advance(steps, null);
    }
    return model;
  }

  private static TinyTransformer fresh() {
    set_num_threads(1);
    manual_seed(3);
    return new TinyTransformer(new ModelConfig(TOKENIZER.vocabSize(), 16, 2, 1, 128));
  }

  private static Trainer trainer() {
    return new Trainer(new Batcher(TOKENIZER, false));
  }

  /** Batch 4 over 18 examples: epochs end mid-batch, and the replays cross epoch boundaries. */
  private static Trainer.Options options() {
    return new Trainer.Options(MAX_STEPS, 4, 3e-3, 0.01, 11);
  }

  private static List<Example> data() {
    TrainingSplits s = TrainingSplits.generate(new ChainTask(ChainTask.Shape.standard()),
        new TrainingSplits.Sizes(18, 1, 1, 1, 0.0), 5);
    return PoolSampler.examples(s.seed());
  }

  /** Every parameter of {@code m}, in {@link TinyTransformer#parameters()} order. */
  static float[] parameters(TinyTransformer m) {
    TensorVector ps = m.parameters();
    int n = (int) m.parameterCount();
    float[] all = new float[n];
    int at = 0;
    for (long i = 0; i < ps.size(); i++) {
      float[] v = new float[(int) ps.get(i).numel()];
      ps.get(i).contiguous().data_ptr_float().get(v);
      System.arraycopy(v, 0, all, at, v.length);
      at += v.length;
    }
    return all;
  }
}
