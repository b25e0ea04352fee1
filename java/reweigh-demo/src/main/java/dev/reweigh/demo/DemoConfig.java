package dev.reweigh.demo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every knob of a demo run. {@link #quick()} and {@link #standard()} are the two presets; the
 * command line overrides single fields.
 */
public final class DemoConfig {
  // Task and data.
  public int seeds = 3;
  public long seed = 7;
  public int rounds = 2;
  public int seedSet = 400;
  public int pool = 160;
  public double poolShifted = 0.3;
  public int valid = 48;
  public int test = 200;
  // Sampling.
  public int samplesPerQuestion = 8;
  public double temperature = 1.0;
  public int maxNew = 72;
  // Model.
  public int dim = 48;
  public int heads = 4;
  public int layers = 2;
  public int maxLen = 224;
  // Training.
  public int baseSteps = 600;
  public int fineTuneSteps = 60;
  public int batchSize = 32;
  public double lr = 5e-3;
  public double fineTuneLr = 5e-4;
  public double weightDecay = 0.01;
  public boolean trainPrompt = false;
  // Methods.
  public double iwsiKeep = 0.8;
  public double iwsiClip = 2.0;
  public boolean iwsiWholeText = true;
  public double eastA = 1.0;
  public double dpoBeta = 0.1;
  // Runtime.
  public int threads = 1;
  public boolean progress = true;
  public boolean quickPreset = false;

  /** The default run: several seeds, two rounds; under 20 minutes on 2 cores. */
  public static DemoConfig standard() {
    return new DemoConfig();
  }

  /** The quick run (used by the test): one seed, one round, small everything. */
  public static DemoConfig quick() {
    DemoConfig c = new DemoConfig();
    c.quickPreset = true;
    c.seeds = 1;
    c.rounds = 1;
    c.seedSet = 300;
    c.pool = 48;
    c.valid = 24;
    c.test = 48;
    c.samplesPerQuestion = 4;
    c.baseSteps = 300;
    c.fineTuneSteps = 24;
    return c;
  }

  /** The configuration as it goes into report.json. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("preset", quickPreset ? "quick" : "default");
    m.put("seed", seed);
    m.put("seeds", seeds);
    m.put("rounds", rounds);
    m.put("seedSet", seedSet);
    m.put("pool", pool);
    m.put("poolShiftedFraction", poolShifted);
    m.put("valid", valid);
    m.put("test", test);
    m.put("samplesPerQuestion", samplesPerQuestion);
    m.put("temperature", temperature);
    m.put("maxNewTokens", maxNew);
    m.put("model", Map.of("dim", dim, "heads", heads, "layers", layers, "maxLen", maxLen));
    m.put("baseSteps", baseSteps);
    m.put("fineTuneSteps", fineTuneSteps);
    m.put("batchSize", batchSize);
    m.put("lr", lr);
    m.put("fineTuneLr", fineTuneLr);
    m.put("weightDecay", weightDecay);
    m.put("trainPrompt", trainPrompt);
    m.put("iwsiKeep", iwsiKeep);
    m.put("iwsiClip", iwsiClip);
    m.put("iwsiWholeText", iwsiWholeText);
    m.put("eastA", eastA);
    m.put("dpoBeta", dpoBeta);
    m.put("threads", threads);
    m.put("loss", "reweigh fused kernel (pointer path), gradient injected with logits.backward(grad)");
    return m;
  }
}
