package dev.reweigh.demo.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.demo.model.CharTokenizer;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ChainTaskTest {
  private final ChainTask task = new ChainTask(ChainTask.Shape.standard());

  @Test
  void goldChainsPassTheCheckerAndStayInRange() {
    SplittableRandom rnd = new SplittableRandom(1);
    CharTokenizer tk = new CharTokenizer();
    int reordered = 0;
    for (int i = 0; i < 2000; i++) {
      Problem p = task.generate(rnd, i % 3 == 0);
      tk.encode(p.text());
      assertTrue(p.prompt().startsWith("Q: ") && p.prompt().endsWith(" A:"), p.prompt());
      assertEquals(OptionalInt.of(p.answer()), AnswerExtractor.extract(p.response()));
      assertTrue(ChainChecker.allStepsRight(p, p.response()), p.text());
      int sum = p.start();
      for (int op : p.operands()) {
        assertTrue(Math.abs(op) >= 2 && Math.abs(op) <= 9, p.prompt());
        sum += op;
      }
      assertEquals(sum, p.answer(), p.text());
      assertTrue(p.answer() >= 0 && p.answer() <= 99, p.text());
      assertEquals(i % 3 == 0 ? 5 : -1, i % 3 == 0 ? p.operands().length : -1);
      assertTrue(p.shifted() || (p.operands().length >= 2 && p.operands().length <= 4), p.prompt());
      if (!p.response().startsWith(" a)")) {
        reordered++;
      }
    }
    assertTrue(reordered > 800, "gold chains use a random step order: " + reordered);
  }

  @Test
  void checkerRejectsEveryKindOfWrongStep() {
    // Q: 23 a)+07 b)-03: gold " a)23+07=30 b)30-03=27 The answer is 27.\n"
    Problem p = new Problem("Q: 23 a)+07 b)-03 A:", " a)23+07=30 b)30-03=27 The answer is 27.\n", 27,
        false, 23, new int[] {7, -3});
    assertTrue(ChainChecker.allStepsRight(p, " b)23-03=20 a)20+07=27 The answer is 27.\n"));
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=31 b)31-03=27 The answer is 27.\n"), "bad sum");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+06=29 b)29-02=27 The answer is 27.\n"), "wrong operand");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=30 The answer is 27.\n"), "skipped step");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=30 a)30+07=37 The answer is 27.\n"), "repeated step");
    assertFalse(ChainChecker.allStepsRight(p, " a)24+07=31 b)31-03=28 The answer is 28.\n"), "wrong start");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=30 b)30-03=27 The answer is 28.\n"), "wrong answer");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=30 b)30+03=33 The answer is 33.\n"), "wrong sign");
    assertFalse(ChainChecker.allStepsRight(p, " a)23+07=30 b)30-03=27 c)27+01=28 The answer is 28.\n"),
        "unknown marker");
  }
}
