package dev.reweigh.demo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.demo.model.CharTokenizer;
import dev.reweigh.demo.model.ModelConfig;
import dev.reweigh.demo.model.TinyTransformer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

/**
 * The fused-kernel loss step against libtorch's own cross_entropy + autograd on one batch of the
 * tiny transformer: same per-sample losses, same objective and the same parameter gradients, for
 * weighted SFT (mean over tokens, unequal weights, one zero) and for DPO-style coefficients that
 * depend on the forward statistics (sum over tokens, negative coefficients).
 */
class FusedLossStepTest {
  private static final CharTokenizer TOKENIZER = new CharTokenizer();

  private static List<Example> batch() {
    List<Example> ex = new ArrayList<>();
    ex.add(new Example("Q: Ann has 3 pens, buys 2. How many? A:", " 3+2=5. The answer is 5.\n", 1.5, -20));
    ex.add(new Example("Q: Ann has 3 pens, buys 2. How many? A:", " 3+2=6. The answer is 6.\n", 0.5, -25));
    ex.add(new Example("Q: Ben has 9 eggs, eats 4, gets 1. How many? A:", " 9-4=5. 5+1=6. The answer is 6.\n", 0.0, -30));
    ex.add(new Example("Q: Ben has 9 eggs, eats 4, gets 1. How many? A:", " 9-4=4. The answer is 4.\n", 2.0, -28));
    return ex;
  }

  @Test
  void weightedSftMatchesLibtorch() {
    compare(false, false);
  }

  @Test
  void weightedSftOnWholeTextMatchesLibtorch() {
    compare(false, true);
  }

  @Test
  void dpoCoefficientsMatchLibtorch() {
    compare(true, false);
  }

  private static void compare(boolean dpo, boolean scorePrompt) {
    torch.manual_seed(3);
    TinyTransformer model = new TinyTransformer(new ModelConfig(TOKENIZER.vocabSize(), 32, 4, 2, 128));
    Batcher batcher = new Batcher(TOKENIZER, scorePrompt);
    List<Example> batch = batch();
    LossOptions options = dpo ? LossOptions.summed() : LossOptions.mean();
    float[] w = new float[batch.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) batch.get(i).weight();
    }
    Coefficients coefficients = dpo ? new DpoCoefficients(batch, 0.5) : Coefficients.fixed(w);

    LossStep.Result fused = run(model, batcher, batch, new FusedLossStep(), coefficients, options);
    float[] fusedGrad = gradients(model);
    LossStep.Result oracle = run(model, batcher, batch, new TorchLossStep(), coefficients, options);
    float[] oracleGrad = gradients(model);

    assertArrayEquals(oracle.stats().loss(), fused.stats().loss(), 1e-4f, "per-sample loss");
    assertArrayEquals(oracle.stats().logProbSum(), fused.stats().logProbSum(), 1e-3f, "log pi(y|x)");
    assertArrayEquals(oracle.stats().tokenCount(), fused.stats().tokenCount(), "token counts");
    assertEquals(oracle.objective(), fused.objective(), 1e-4, "objective");
    double maxAbs = 0;
    double maxDiff = 0;
    for (int i = 0; i < fusedGrad.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(oracleGrad[i]));
      maxDiff = Math.max(maxDiff, Math.abs(oracleGrad[i] - fusedGrad[i]));
    }
    assertTrue(maxAbs > 0, "the oracle's gradient is not all zero");
    assertTrue(maxDiff <= 1e-4 * Math.max(1.0, maxAbs),
        "max |grad difference| " + maxDiff + " over max |grad| " + maxAbs);
  }

  private static LossStep.Result run(TinyTransformer model, Batcher batcher, List<Example> batch,
      LossStep step, Coefficients c, LossOptions options) {
    zeroGrad(model);
    Batcher.Encoded enc = batcher.encode(batch);
    Tensor logits = model.forward(enc.tokens());
    return step.step(logits, enc.targets(), c, options);
  }

  private static void zeroGrad(TinyTransformer model) {
    TensorVector ps = model.parameters();
    for (long i = 0; i < ps.size(); i++) {
      Tensor g = ps.get(i).grad();
      if (g.defined()) {
        g.zero_();
      }
    }
  }

  private static float[] gradients(TinyTransformer model) {
    TensorVector ps = model.parameters();
    List<float[]> parts = new ArrayList<>();
    int n = 0;
    for (long i = 0; i < ps.size(); i++) {
      Tensor g = ps.get(i).grad().contiguous();
      float[] a = new float[(int) g.numel()];
      new FloatPointer(g.data_ptr_float()).get(a);
      parts.add(a);
      n += a.length;
    }
    float[] all = new float[n];
    int off = 0;
    for (float[] a : parts) {
      System.arraycopy(a, 0, all, off, a.length);
      off += a.length;
    }
    return all;
  }
}
