package dev.reweigh.cli;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts the candidate stream into the units a method works on: the contiguous lines of one question
 * (memory: one question plus one id per question seen, to detect a question that reappears), a
 * fixed number of lines (a batch), or single lines.
 */
final class UnitReader implements Closeable {

  /** What a unit is. */
  enum Unit {
    QUESTION,
    BATCH,
    LINE
  }

  private final CandidateReader in;
  private final Unit unit;
  private final int batchSize;
  private final Map<String, Long> firstLineOfQuestion = new HashMap<>();
  private Candidate pending;
  private boolean started;

  UnitReader(CandidateReader in, Unit unit, int batchSize) {
    this.in = in;
    this.unit = unit;
    this.batchSize = batchSize;
  }

  /** The next unit, or {@code null} at end of input. */
  List<Candidate> next() {
    if (!started) {
      pending = in.next();
      started = true;
    }
    if (pending == null) {
      return null;
    }
    List<Candidate> u = new ArrayList<>();
    switch (unit) {
      case LINE:
        u.add(pending);
        pending = in.next();
        return u;
      case BATCH:
        while (pending != null && u.size() < batchSize) {
          u.add(pending);
          pending = in.next();
        }
        return u;
      case QUESTION:
        String q = pending.questionId();
        Long seen = firstLineOfQuestion.putIfAbsent(q, pending.line());
        if (seen != null) {
          throw new InputException(
              pending.where() + ": question_id \"" + q + "\" reappears after other questions"
                  + " (first seen at line " + seen + "); the lines of a question must be"
                  + " contiguous, so group the input by question_id first");
        }
        while (pending != null && pending.questionId().equals(q)) {
          u.add(pending);
          pending = in.next();
        }
        return u;
      default:
        throw new AssertionError(unit);
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
