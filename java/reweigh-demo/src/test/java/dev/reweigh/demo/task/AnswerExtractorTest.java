package dev.reweigh.demo.task;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class AnswerExtractorTest {
  @Test
  void readsTheWholeNumberOrNothing() {
    assertEquals(OptionalInt.of(1234567), AnswerExtractor.extract(" x The answer is 1234567.\n"));
    assertEquals(OptionalInt.of(7), AnswerExtractor.extract("The answer is 07."));
    assertEquals(OptionalInt.of(42), AnswerExtractor.extract("The answer is 3. The answer is 42"));
    // Longer than an int: unparsable, never a truncated prefix.
    assertEquals(OptionalInt.empty(), AnswerExtractor.extract("The answer is 123456789012."));
    assertEquals(OptionalInt.empty(), AnswerExtractor.extract("The answer is ."));
  }
}
