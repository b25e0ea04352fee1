package dev.reweigh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs {@code reweigh} in-process and reads its JSONL output. */
final class CliRunner {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private CliRunner() {}

  /** Exit code and captured streams. */
  record Result(int exit, String out, String err) {
    Result assertExit(int expected) {
      assertEquals(expected, exit, () -> "exit code; stderr:\n" + err + "\nstdout:\n" + out);
      return this;
    }

    Result assertErrContains(String... fragments) {
      for (String f : fragments) {
        assertTrue(err.contains(f), () -> "stderr lacks '" + f + "':\n" + err);
      }
      return this;
    }
  }

  static Result run(String... args) {
    CommandLine cl = ReweighCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /**
   * {@code weigh -i input -o dir/out.jsonl --summary=dir/s.json extra...}: the output and the
   * summary land in {@code dir} (a test's temporary folder).
   */
  static Result weigh(Path dir, String input, String... extra) {
    String[] args = new String[6 + extra.length];
    args[0] = "weigh";
    args[1] = "-i";
    args[2] = input;
    args[3] = "-o";
    args[4] = dir.resolve("out.jsonl").toString();
    args[5] = "--summary=" + dir.resolve("s.json");
    System.arraycopy(extra, 0, args, 6, extra.length);
    return run(args);
  }

  /** Absolute path of a test resource under src/test/resources/cli. */
  static String resource(String name) {
    try {
      return Path.of(CliRunner.class.getResource("/cli/" + name).toURI()).toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<JsonNode> readJsonl(Path file) {
    try {
      return readJsonl(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<JsonNode> readJsonl(String text) {
    List<JsonNode> rows = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.isBlank()) {
        try {
          rows.add(MAPPER.readTree(line));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    return rows;
  }

  static JsonNode readJson(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static double[] column(List<JsonNode> rows, String field) {
    double[] v = new double[rows.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rows.get(i).get(field).doubleValue();
    }
    return v;
  }

  static boolean[] keep(List<JsonNode> rows) {
    boolean[] v = new boolean[rows.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rows.get(i).get("keep").booleanValue();
    }
    return v;
  }
}
