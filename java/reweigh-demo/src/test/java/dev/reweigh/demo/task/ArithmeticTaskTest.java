package dev.reweigh.demo.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.demo.model.CharTokenizer;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ArithmeticTaskTest {
  @Test
  void goldChainOfThoughtIsConsistentAndExtractable() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticTask.Shape.standard());
    SplittableRandom rnd = new SplittableRandom(1);
    CharTokenizer tk = new CharTokenizer();
    for (int i = 0; i < 500; i++) {
      Problem p = task.generate(rnd, i % 3 == 0);
      assertTrue(p.prompt().startsWith("Q: ") && p.prompt().endsWith(" A:"), p.prompt());
      assertTrue(p.response().endsWith(".\n"), p.response());
      assertEquals(OptionalInt.of(p.answer()), AnswerExtractor.extract(p.response()));
      assertTrue(p.answer() >= 0);
      // Every step "a+b=c." or "a-b=c." is right, and chains from the previous result.
      String[] steps = p.response().trim().split("\\. ");
      for (int s = 0; s < steps.length - 1; s++) {
        String[] eq = steps[s].split("=");
        int c = Integer.parseInt(eq[1]);
        String[] ab = eq[0].split("[+-]");
        int a = Integer.parseInt(ab[0]);
        int b = Integer.parseInt(ab[1]);
        assertEquals(eq[0].contains("+") ? a + b : a - b, c, p.text());
      }
      assertEquals(p.text().length(), tk.encode(p.text()).length);
    }
  }

  @Test
  void splitsAreReproducibleAndThePoolIsPartlyShifted() {
    ArithmeticTask task = new ArithmeticTask(ArithmeticTask.Shape.standard());
    Splits.Sizes sizes = new Splits.Sizes(20, 200, 10, 30, 0.3);
    Splits a = Splits.generate(task, sizes, 5);
    Splits b = Splits.generate(task, sizes, 5);
    assertEquals(a, b);
    long shifted = a.pool().stream().filter(Problem::shifted).count();
    assertTrue(shifted > 30 && shifted < 90, "about 30% shifted: " + shifted);
    assertFalse(a.test().stream().anyMatch(Problem::shifted), "test set is in-distribution");
    assertFalse(a.valid().stream().anyMatch(Problem::shifted), "D_v is in-distribution");
  }

  @Test
  void extractorTakesTheLastAnswerAndRejectsNone() {
    assertEquals(OptionalInt.of(12), AnswerExtractor.extract(" 1+2=3. The answer is 3. The answer is 12.\n"));
    assertEquals(OptionalInt.empty(), AnswerExtractor.extract(" 1+2=3. The answr is 3.\n"));
  }
}
