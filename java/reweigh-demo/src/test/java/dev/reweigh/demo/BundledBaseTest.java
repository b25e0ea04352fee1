package dev.reweigh.demo;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The quick preset's bundled base model is the one of its configuration: its resource name carries
 * the hash of {@link DemoConfig#baseKey()}, so a change to the base recipe or the model that is not
 * followed by a new bundle fails here, before the quick run would quietly train a base instead. Its
 * record says it stopped inside the dev band.
 */
class BundledBaseTest {
  @Test
  void theQuickPresetHasABundledBaseForItsConfigurationInsideTheBand() throws IOException {
    DemoConfig quick = DemoConfig.quick();
    assertTrue(quick.bundledBase);
    String res = BaseModels.BUNDLED + BaseModels.name(quick, quick.seed) + ".bin";
    try (InputStream bin = BaseModels.class.getResourceAsStream(res);
        InputStream txt = BaseModels.class.getResourceAsStream(res + ".txt")) {
      assertNotNull(bin, res + " (regenerate: ./reweigh demo --calibrate --seeds 1 --cache DIR, copy"
          + " DIR/base-*-seed7-threads1.bin and its .txt here without -threads1)");
      assertNotNull(txt, res + ".txt");
      List<String> meta = new String(txt.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      double dev = Double.parseDouble(meta.get(0).split(" ")[1]);
      assertTrue(dev >= quick.bandLow && dev <= quick.bandHigh, "dev accuracy " + dev + " in the band");
    }
  }
}
