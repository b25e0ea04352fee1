package dev.reweigh.demo;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.demo.task.TrainingSplits;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The tuning code cannot reach the test split: it is handed {@link TrainingSplits}, which has no
 * test component, and no demo class the tuner's code reaches, directly or through other demo
 * classes, names {@code Splits} (the only type that holds test questions) or {@code DemoRunner}
 * (the only code that generates them). Read from the compiled classes' constant pools, so a
 * reference added anywhere on the way fails here.
 */
class TuningSeesNoTestTest {
  private static final String PREFIX = "dev/reweigh/demo/";
  private static final Set<String> TEST_HOLDERS = Set.of(PREFIX + "task/Splits", PREFIX + "DemoRunner");

  @Test
  void trainingSplitsHaveNoTestComponent() {
    String[] names = Arrays.stream(TrainingSplits.class.getRecordComponents())
        .map(c -> c.getName()).toArray(String[]::new);
    assertTrue(Arrays.equals(new String[] {"seed", "pool", "dev", "valid"}, names), Arrays.toString(names));
  }

  @Test
  void noClassTheTunerReachesNamesTheTestSplit() throws IOException {
    Set<String> seen = reachable(PREFIX + "Tuner");
    assertTrue(seen.contains(PREFIX + "task/TrainingSplits"), "the walk reaches TrainingSplits: " + seen);
    assertTrue(seen.contains(PREFIX + "BaseModels"), "the walk reaches BaseModels: " + seen);
    for (String c : seen) {
      assertFalse(TEST_HOLDERS.contains(c.split("\\$")[0]), "the tuner reaches " + c + " (" + seen + ")");
    }
  }

  @Test
  void theWalkSeesTheRunnersReferenceToSplits() throws IOException {
    // The same walk from the runner must find Splits, or the check above could pass vacuously.
    assertTrue(reachable(PREFIX + "DemoRunner").contains(PREFIX + "task/Splits"));
  }

  /** Demo classes named in the constant pools reachable from {@code start}. */
  private static Set<String> reachable(String start) throws IOException {
    Set<String> seen = new TreeSet<>();
    Deque<String> todo = new ArrayDeque<>();
    todo.add(start);
    seen.add(start);
    while (!todo.isEmpty()) {
      String c = todo.poll();
      byte[] bytes;
      try (InputStream in = TuningSeesNoTestTest.class.getResourceAsStream("/" + c + ".class")) {
        if (in == null) {
          continue; // a name that is not a class (e.g. a package prefix in a string)
        }
        bytes = in.readAllBytes();
      }
      for (String ref : names(bytes)) {
        if (seen.add(ref)) {
          todo.add(ref);
        }
      }
    }
    assertNotNull(seen);
    return seen;
  }

  /** Every "dev/reweigh/demo/..." identifier in the class file (class names and descriptors). */
  private static Set<String> names(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    Set<String> out = new TreeSet<>();
    for (int i = text.indexOf(PREFIX); i >= 0; i = text.indexOf(PREFIX, i + 1)) {
      int j = i;
      while (j < text.length() && (Character.isLetterOrDigit(text.charAt(j)) || "/$_".indexOf(text.charAt(j)) >= 0)) {
        j++;
      }
      out.add(text.substring(i, j));
    }
    return out;
  }
}
