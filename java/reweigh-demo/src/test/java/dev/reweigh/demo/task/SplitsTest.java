package dev.reweigh.demo.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The splits come from one stream each, taken from {@code new SplittableRandom(seed).split()} in
 * the order seed, pool, valid, test, dev: checked against streams drawn by hand, so the training
 * splits (and the cached base models trained on them) are those of the test run, and no test
 * question is drawn when only the training splits are generated.
 */
class SplitsTest {
  private static final ChainTask TASK = new ChainTask(ChainTask.Shape.standard());
  private static final TrainingSplits.Sizes SIZES = new TrainingSplits.Sizes(30, 20, 10, 5, 0.25);

  @Test
  void everySplitIsItsOwnStreamInTheDocumentedOrder() {
    SplittableRandom root = new SplittableRandom(11);
    List<SplittableRandom> streams = List.of(root.split(), root.split(), root.split(), root.split(), root.split());
    Splits s = Splits.generate(TASK, SIZES, 7, 11);
    assertEquals(texts(TASK.generate(streams.get(0), 30, 0.0)), texts(s.seed()));
    assertEquals(texts(TASK.generate(streams.get(1), 20, 0.25)), texts(s.pool()));
    assertEquals(texts(TASK.generate(streams.get(2), 5, 0.0)), texts(s.valid()));
    assertEquals(texts(TASK.generate(streams.get(3), 7, 0.0)), texts(s.test()));
    assertEquals(texts(TASK.generate(streams.get(4), 10, 0.0)), texts(s.dev()));
  }

  @Test
  void trainingSplitsAreTheRunsAndIndependentOfTheTestSize() {
    List<String> alone = texts(TrainingSplits.generate(TASK, SIZES, 11));
    assertEquals(alone, texts(Splits.generate(TASK, SIZES, 7, 11).training()));
    assertEquals(alone, texts(Splits.generate(TASK, SIZES, 300, 11).training()));
    assertNotEquals(alone, texts(TrainingSplits.generate(TASK, SIZES, 12)));
  }

  private static List<String> texts(TrainingSplits t) {
    List<String> out = new ArrayList<>();
    for (List<Problem> split : List.of(t.seed(), t.pool(), t.dev(), t.valid())) {
      out.add(String.join("|", texts(split)));
    }
    return out;
  }

  /** Problems compared by their full text (a record with an array component compares by identity). */
  private static List<String> texts(List<Problem> problems) {
    List<String> out = new ArrayList<>();
    for (Problem p : problems) {
      out.add(p.prompt() + p.response() + (p.shifted() ? " shifted" : ""));
    }
    return out;
  }
}
