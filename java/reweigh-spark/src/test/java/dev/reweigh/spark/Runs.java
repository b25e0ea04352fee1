package dev.reweigh.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reweigh.cli.ReweighCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/** Runs {@code reweigh} in-process and reads JSONL files and Spark JSON output directories. */
final class Runs {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private Runs() {}

  /** Exit code and captured streams. */
  record Result(int exit, String out, String err) {
    Result assertExit(int expected) {
      assertEquals(expected, exit, () -> "exit code; stderr:\n" + err);
      return this;
    }

    Result assertErrContains(String... fragments) {
      for (String f : fragments) {
        assertTrue(err.contains(f), () -> "stderr lacks '" + f + "':\n" + err);
      }
      return this;
    }
  }

  static Result reweigh(List<String> args) {
    CommandLine cl = ReweighCli.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args.toArray(new String[0]));
    return new Result(exit, out.toString(), err.toString());
  }

  /** The objects of a JSONL file, or of every part file of a Spark output directory in order. */
  static List<JsonNode> readJsonl(Path path) {
    try {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(path)) {
        try (Stream<Path> s = Files.list(path)) {
          s.filter(p -> p.getFileName().toString().startsWith("part-"))
              .sorted()
              .forEach(files::add);
        }
      } else {
        files.add(path);
      }
      List<JsonNode> rows = new ArrayList<>();
      for (Path f : files) {
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            rows.add(MAPPER.readTree(line));
          }
        }
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode readJson(Path file) {
    try {
      return MAPPER.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
