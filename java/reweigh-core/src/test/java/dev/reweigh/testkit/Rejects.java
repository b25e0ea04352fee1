package dev.reweigh.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/**
 * The error assertion of every Java test module: bad input is an IllegalArgumentException whose
 * message names the argument and the first bad index (docs/style.md §3), so a test gives the
 * fragments the message must contain.
 */
public final class Rejects {
  private Rejects() {}

  /** Asserts an IllegalArgumentException whose message contains every fragment; returns it. */
  public static IllegalArgumentException assertIae(Executable body, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, body);
    for (String f : fragments) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(f),
          () -> "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
    return e;
  }
}
