package dev.reweigh.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reweigh.cli.ReweighCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reweigh demo --quick} end to end: base training through the fused kernel, sampling, every
 * method's training set and fine-tune, evaluation, report.json and both PNGs.
 */
class DemoQuickTest {
  private static final List<String> METHODS =
      List.of("base", "LMSI", "IWSI", "IWSI-w", "EAST", "SFT-Sharp", "DPO-Sharp", "gold-RS");

  @Test
  void quickRunWritesACompleteReport(@TempDir Path out) throws Exception {
    int code = ReweighCli.commandLine()
        .execute("demo", "--quick", "--no-progress", "--out", out.toString());
    assertEquals(0, code, "exit code");

    JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
    JsonNode config = report.get("config");
    assertEquals("quick", config.get("preset").asText());
    int rounds = config.get("rounds").asInt();

    JsonNode methods = report.get("methods");
    for (String name : METHODS) {
      JsonNode m = methods.get(name);
      assertTrue(m != null, "report has method " + name);
      JsonNode acc = m.get("accuracy");
      assertEquals(rounds + 1, acc.size(), name + ": one accuracy per round, round 0 = base");
      for (JsonNode a : acc) {
        assertTrue(a.isNumber() && a.asDouble() >= 0 && a.asDouble() <= 1, name + ": accuracy in [0, 1]");
      }
      assertEquals(rounds, m.get("keptFraction").size(), name + ": kept fraction per round");
    }
    assertEquals(METHODS.size(), methods.size(), "no other methods");
    double base0 = methods.get("base").get("accuracy").get(0).asDouble();
    for (String name : METHODS) {
      assertEquals(base0, methods.get(name).get("accuracy").get(0).asDouble(), 0.0,
          name + " starts from the base model");
    }

    JsonNode training = report.get("training");
    double start = training.get("baseLossStart").get(0).asDouble();
    double end = training.get("baseLossEnd").get(0).asDouble();
    assertTrue(end < 0.8 * start, "training lowered the loss: " + start + " -> " + end);
    double ftStart = methods.get("LMSI").get("trainLossStart").get(0).asDouble();
    assertTrue(Double.isFinite(ftStart) && ftStart > 0, "LMSI fine-tuning ran through the fused loss");

    for (String png : List.of("accuracy.png", "weights.png")) {
      byte[] bytes = Files.readAllBytes(out.resolve(png));
      assertTrue(bytes.length > 1000, png + " is not empty");
      assertEquals((byte) 0x89, bytes[0], png + " is a PNG");
      assertEquals('P', bytes[1]);
      assertEquals('N', bytes[2]);
      assertEquals('G', bytes[3]);
    }
  }
}
