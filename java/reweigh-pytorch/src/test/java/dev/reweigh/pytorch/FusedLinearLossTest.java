package dev.reweigh.pytorch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.reweigh.LossSpec;
import dev.reweigh.Normalization;
import dev.reweigh.TokenReduction;
import dev.reweigh.testkit.Close;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link FusedLinearLoss} against libtorch's unfused path: linear, the logit transform (scale,
 * softcap), {@code cross_entropy(reduction = none)} (+ z-loss), times per-row weights c_s / n_s /
 * D, summed, then autograd. Gradients of hidden, weight and bias are compared for coefficients
 * that differ per sample and include negative ones, ignored rows, a sample with every row
 * ignored, an empty sample, every option, several chunks (a sample spans two), fp32 and bf16, tied
 * embedding weights and the two-phase use.
 *
 * <p>Tolerances: both sides compute in float32 and differ by summation order (GEMM blocking,
 * the kernel's row sums), so 2e-5 of the largest reference element; bf16 heads round the chunk
 * logits, g and grad_hidden to bf16 (2^-8 relative), so 2e-2 there.
 */
class FusedLinearLossTest {
  static final int ROWS = 23;
  static final int H = 16;
  static final int V = 40;
  /** Sample 1 is empty, sample 2 has every row ignored, sample 3 spans chunks. */
  static final long[] OFFSETS = {0, 4, 4, 7, 23};

  /** A problem: hidden [ROWS, H], weight [V, H], bias [V], targets, coefficients. */
  static final class Problem {
    final float[] h;
    final float[] w;
    final float[] b;
    final long[] y;
    final float[] c;

    Problem(long seed, boolean negative) {
      SplittableRandom rnd = new SplittableRandom(seed);
      h = Tensors.randomLogits(rnd, ROWS * H, 1.0);
      w = Tensors.randomLogits(rnd, V * H, 0.8);
      b = Tensors.randomLogits(rnd, V, 0.5);
      y = new long[ROWS];
      for (int r = 0; r < ROWS; r++) {
        y[r] = (r >= 4 && r < 7) || rnd.nextInt(6) == 0 ? -100 : rnd.nextInt(V);
      }
      c = new float[] {1.5f, 0.7f, 2.0f, negative ? -0.6f : 0.4f};
    }
  }

  /** Per-row weight c_s / (MEAN ? n_s : 1) / D on counted rows, 0 elsewhere. */
  static float[] rowWeights(long[] y, float[] c, LossSpec spec) {
    long[] n = new long[c.length];
    for (int s = 0; s < c.length; s++) {
      for (long r = OFFSETS[s]; r < OFFSETS[s + 1]; r++) {
        n[s] += y[(int) r] != spec.ignoreIndex() ? 1 : 0;
      }
    }
    double d = 0;
    for (int s = 0; s < c.length; s++) {
      switch (spec.normalization()) {
        case WEIGHT_SUM -> d += n[s] > 0 ? c[s] : 0;
        case TOKENS -> d += n[s];
        case SAMPLES -> d += n[s] > 0 ? 1 : 0;
        case NONE -> d = 1;
        default -> d = spec.normalizer();
      }
    }
    float[] wr = new float[y.length];
    for (int s = 0; s < c.length; s++) {
      for (long r = OFFSETS[s]; r < OFFSETS[s + 1]; r++) {
        if (y[(int) r] != spec.ignoreIndex()) {
          double k = spec.tokenReduction() == TokenReduction.MEAN ? c[s] / (double) n[s] : c[s];
          wr[(int) r] = (float) (k / d);
        }
      }
    }
    return wr;
  }

  /** libtorch's unfused objective over leaf tensors; returns total (autograd fills .grad). */
  static double unfused(Tensor hidden, Tensor weight, Tensor bias, long[] y, float[] c,
      LossSpec spec) {
    Tensor logits = bias == null ? hidden.matmul(weight.t()) : torch.addmm(bias, hidden, weight.t());
    Tensor z = logits.to(ScalarType.Float).mul(new Scalar((double) spec.logitScale()));
    if (spec.softcap() > 0) {
      z = z.div(new Scalar((double) spec.softcap())).tanh().mul(new Scalar((double) spec.softcap()));
    }
    Tensor yt = Tensors.longs(y, y.length);
    Tensor row = torch.cross_entropy_loss(z, yt, new TensorOptional(), 0L, spec.ignoreIndex(),
        spec.labelSmoothing());
    if (spec.zLoss() > 0) {
      Tensor mask = yt.ne(new Scalar(spec.ignoreIndex())).to(ScalarType.Float);
      Tensor lse = z.logsumexp(new long[] {1});
      row = row.add(lse.pow(new Scalar(2.0)).mul(new Scalar((double) spec.zLoss())).mul(mask));
    }
    Tensor total = row.mul(Tensors.floats(rowWeights(y, c, spec), y.length)).sum();
    total.backward();
    return total.item_double();
  }

  static Tensor leaf(float[] data, ScalarType dtype, long... shape) {
    return Tensors.floats(data, shape).to(dtype).detach().requires_grad_(true);
  }

  static void close(String what, Tensor expected, Tensor actual, double rel) {
    Close.relativeToMax(what, Tensors.toDoubles(expected), Tensors.toDoubles(actual), rel);
  }

  static Stream<Arguments> optionSets() {
    return Stream.of(
        Arguments.of("defaults", LossSpec.defaults(), false),
        Arguments.of("smoothing+samples",
            LossSpec.builder().labelSmoothing(0.1f).normalization(Normalization.SAMPLES).build(),
            false),
        Arguments.of("zloss+none, negative c",
            LossSpec.builder().zLoss(1e-2f).normalization(Normalization.NONE).build(), true),
        Arguments.of("softcap+scale", LossSpec.builder().softcap(3f).logitScale(1.3f).build(),
            false),
        Arguments.of("all+explicit, negative c", LossSpec.builder().labelSmoothing(0.05f)
            .zLoss(1e-3f).softcap(8f).logitScale(0.8f).tokenReduction(TokenReduction.SUM)
            .normalizer(7.5).build(), true),
        Arguments.of("ignoreIndex -1", LossSpec.builder().ignoreIndex(-1).build(), false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optionSets")
  void matchesUnfusedLibtorch(String name, LossSpec spec, boolean negative) {
    Object[][] runs = {{ScalarType.Float, GradAccumulation.HEAD_DTYPE},
        {ScalarType.BFloat16, GradAccumulation.HEAD_DTYPE},
        {ScalarType.BFloat16, GradAccumulation.FLOAT32}};
    for (Object[] run : runs) {
      ScalarType dtype = (ScalarType) run[0];
      GradAccumulation accumulation = (GradAccumulation) run[1];
      Problem p = new Problem(name.hashCode(), negative);
      long[] y = p.y.clone();
      if (spec.ignoreIndex() != -100) {
        for (int r = 0; r < y.length; r++) {
          y[r] = y[r] == -100 ? spec.ignoreIndex() : y[r];
        }
      }
      // Reference on the same (dtype-rounded) inputs, computed in float32.
      Tensor hr = leaf(round(p.h, dtype), ScalarType.Float, ROWS, H);
      Tensor wr = leaf(round(p.w, dtype), ScalarType.Float, V, H);
      Tensor br = leaf(round(p.b, dtype), ScalarType.Float, V);
      double total = unfused(hr, wr, br, y, p.c, spec);

      Tensor hf = leaf(p.h, dtype, ROWS, H);
      Tensor wf = leaf(p.w, dtype, V, H);
      Tensor bf = leaf(p.b, dtype, V);
      LinearHead head = LinearHead.of(hf, wf, bf, Tensors.longs(y, ROWS),
          Tensors.longs(OFFSETS, OFFSETS.length));
      // 5 rows per chunk (5 chunks); bf16 FLOAT32: weight-gradient blocks of 3 vocabulary rows.
      long chunkBytes = 5L * V * (dtype == ScalarType.Float ? 4 : 2);
      LinearResult r = FusedLinearLoss.step(head, p.c, spec, chunkBytes, accumulation);
      assertEquals(5, r.chunkRows());
      double rel = dtype == ScalarType.Float ? 2e-5 : 2e-2;
      assertEquals(total, r.total(), rel * Math.max(1, Math.abs(total)), name + " total");
      String label = name + " " + dtype + " " + accumulation;
      close(label + " grad hidden", hr.grad(), hf.grad(), rel);
      close(label + " grad weight", wr.grad(), wf.grad(), rel);
      close(label + " grad bias", br.grad(), bf.grad(), rel);
      assertEquals(0, r.stats().tokenCount(1));
      assertEquals(0, r.stats().tokenCount(2));
      assertEquals(0.0, r.stats().loss(2));
    }
  }

  /** Relative Frobenius error of {@code actual} against {@code reference}, in float64. */
  static double relError(Tensor reference, Tensor actual) {
    float[] e = Tensors.toFloats(reference);
    float[] a = Tensors.toFloats(actual);
    double num = 0;
    double den = 0;
    for (int i = 0; i < e.length; i++) {
      num += Math.pow((double) a[i] - e[i], 2);
      den += (double) e[i] * e[i];
    }
    return Math.sqrt(num / den);
  }

  /**
   * bf16 head, weight and bias gradients against a float32 reference on the same bf16 inputs,
   * next to libtorch's unfused bf16 path (bf16 linear, loss in float32, bf16 gradients from one
   * GEMM each). Both round g to bf16; the fused path's accumulator adds its own roundings:
   * FLOAT32 none until the result (its error stays at libtorch's, 1.25x allowed for summation
   * order), HEAD_DTYPE one per chunk of the running sum. With C chunks those add in quadrature
   * to libtorch's single rounding, so its error is bounded by sqrt(1 + C) times libtorch's; one
   * rounding per row (23 here) instead of per chunk (5) exceeds that bound.
   */
  @ParameterizedTest
  @EnumSource(GradAccumulation.class)
  void bf16AccumulationErrorAgainstUnfusedLibtorch(GradAccumulation accumulation) {
    Problem p = new Problem(21, true);
    LossSpec spec =
        LossSpec.builder().labelSmoothing(0.05f).normalization(Normalization.NONE).build();
    Tensor hr = leaf(round(p.h, ScalarType.BFloat16), ScalarType.Float, ROWS, H);
    Tensor wr = leaf(round(p.w, ScalarType.BFloat16), ScalarType.Float, V, H);
    Tensor br = leaf(round(p.b, ScalarType.BFloat16), ScalarType.Float, V);
    unfused(hr, wr, br, p.y, p.c, spec);
    Tensor hu = leaf(p.h, ScalarType.BFloat16, ROWS, H);
    Tensor wu = leaf(p.w, ScalarType.BFloat16, V, H);
    Tensor bu = leaf(p.b, ScalarType.BFloat16, V);
    unfused(hu, wu, bu, p.y, p.c, spec);

    LinearHead head = LinearHead.of(Tensors.floats(p.h, ROWS, H).to(ScalarType.BFloat16),
        Tensors.floats(p.w, V, H).to(ScalarType.BFloat16),
        Tensors.floats(p.b, V).to(ScalarType.BFloat16), Tensors.longs(p.y, ROWS),
        Tensors.longs(OFFSETS, OFFSETS.length));
    LinearResult r = FusedLinearLoss.forwardBackward(head, p.c, spec, 5L * V * 2, accumulation);
    long chunks = (ROWS + r.chunkRows() - 1) / r.chunkRows();
    assertEquals(5, chunks);
    ScalarType expected =
        accumulation == GradAccumulation.HEAD_DTYPE ? ScalarType.BFloat16 : ScalarType.Float;
    assertEquals(expected, r.gradWeight().scalar_type().intern());
    assertEquals(expected, r.gradBias().scalar_type().intern());
    double factor = accumulation == GradAccumulation.HEAD_DTYPE ? Math.sqrt(1 + chunks) : 1.25;
    String[] names = {"hidden", "weight", "bias"};
    Tensor[] reference = {hr.grad(), wr.grad(), br.grad()};
    Tensor[] libtorch = {hu.grad(), wu.grad(), bu.grad()};
    Tensor[] fused = {r.gradHidden(), r.gradWeight(), r.gradBias()};
    for (int i = 0; i < 3; i++) {
      double lib = relError(reference[i], libtorch[i]);
      double err = relError(reference[i], fused[i]);
      assertTrue(err <= factor * lib, accumulation + " grad " + names[i] + ": relative error "
          + err + " exceeds " + factor + " x libtorch's " + lib);
    }
  }

  static float[] round(float[] x, ScalarType dtype) {
    return dtype == ScalarType.Float ? x : Tensors.toFloats(Tensors.floats(x, x.length).to(dtype));
  }

  /**
   * Per-sample coefficients act on each row's gradient before grad_W = g^T h sums over rows. The
   * correct grad_W here is far from every multiple of the unweighted one (what scaling after the
   * projection gives), and the fused path matches the correct one.
   */
  @Test
  void coefficientsEnterBeforeTheWeightGradientProjection() {
    Problem p = new Problem(11, true);
    LossSpec spec = LossSpec.builder().normalization(Normalization.NONE).build();
    float[] c = {3.0f, 1.0f, 1.0f, -1.0f};
    Tensor wr = leaf(p.w, ScalarType.Float, V, H);
    unfused(leaf(p.h, ScalarType.Float, ROWS, H), wr, null, p.y, c, spec);

    LinearHead head = LinearHead.of(Tensors.floats(p.h, ROWS, H), Tensors.floats(p.w, V, H), null,
        Tensors.longs(p.y, ROWS), Tensors.longs(OFFSETS, OFFSETS.length));
    LinearResult weighted = FusedLinearLoss.forwardBackward(head, c, spec, 5L * V * 4);
    LinearResult plain = FusedLinearLoss.forwardBackward(head, new float[] {1, 1, 1, 1}, spec,
        5L * V * 4);
    close("weighted grad weight", wr.grad(), weighted.gradWeight(), 2e-5);
    float[] gw = Tensors.toFloats(weighted.gradWeight());
    float[] gu = Tensors.toFloats(plain.gradWeight());
    double dot = 0;
    double uu = 0;
    double ww = 0;
    for (int i = 0; i < gw.length; i++) {
      dot += (double) gw[i] * gu[i];
      uu += (double) gu[i] * gu[i];
      ww += (double) gw[i] * gw[i];
    }
    double alpha = dot / uu; // least squares: the best scaling after the projection
    double residual = 0;
    for (int i = 0; i < gw.length; i++) {
      residual += Math.pow(gw[i] - alpha * gu[i], 2);
    }
    assertTrue(Math.sqrt(residual / ww) > 0.3,
        "relative residual " + Math.sqrt(residual / ww) + ": the case does not discriminate");
  }

  /** Weight tied to the input embedding: hidden = tanh(embedding(W, ids)); W gets both terms. */
  @Test
  void tiedEmbeddingAccumulatesBothContributions() {
    Problem p = new Problem(5, true);
    long[] ids = new long[ROWS];
    for (int r = 0; r < ROWS; r++) {
      ids[r] = (r * 7) % V;
    }
    LossSpec spec = LossSpec.builder().zLoss(1e-3f).normalization(Normalization.NONE).build();
    Tensor wr = leaf(p.w, ScalarType.Float, V, H);
    unfused(torch.embedding(wr, Tensors.longs(ids, ROWS)).tanh(), wr, null, p.y, p.c, spec);

    Tensor wf = leaf(p.w, ScalarType.Float, V, H);
    Tensor hidden = torch.embedding(wf, Tensors.longs(ids, ROWS)).tanh();
    LinearHead head = LinearHead.of(hidden, wf, null, Tensors.longs(p.y, ROWS),
        Tensors.longs(OFFSETS, OFFSETS.length));
    FusedLinearLoss.step(head, p.c, spec, 7L * V * 4);
    close("tied grad weight", wr.grad(), wf.grad(), 2e-5);
  }

  /**
   * Two steps in a row accumulate, as autograd does: the first creates weight.grad, the second
   * adds into that same storage (no second [V, H] array), and both match libtorch's unfused path
   * run twice; the result's gradWeight() is weight.grad itself.
   */
  @Test
  void stepAccumulatesIntoTheWeightsOwnGradient() {
    for (ScalarType dtype : new ScalarType[] {ScalarType.Float, ScalarType.BFloat16}) {
      Problem p = new Problem(13, true);
      LossSpec spec =
          LossSpec.builder().labelSmoothing(0.1f).normalization(Normalization.NONE).build();
      Tensor hr = leaf(round(p.h, dtype), ScalarType.Float, ROWS, H);
      Tensor wr = leaf(round(p.w, dtype), ScalarType.Float, V, H);
      Tensor br = leaf(round(p.b, dtype), ScalarType.Float, V);
      unfused(hr, wr, br, p.y, p.c, spec);
      unfused(hr, wr, br, p.y, p.c, spec);

      Tensor hf = leaf(p.h, dtype, ROWS, H);
      Tensor wf = leaf(p.w, dtype, V, H);
      Tensor bf = leaf(p.b, dtype, V);
      LinearHead head = LinearHead.of(hf, wf, bf, Tensors.longs(p.y, ROWS),
          Tensors.longs(OFFSETS, OFFSETS.length));
      long chunkBytes = 6L * V * (dtype == ScalarType.Float ? 4 : 2);
      LinearResult first = FusedLinearLoss.step(head, p.c, spec, chunkBytes);
      assertTrue(first.gradWeight().is_same(wf.grad()), dtype + ": gradWeight() is weight.grad");
      long storage = wf.grad().data_ptr().address();
      LinearResult second = FusedLinearLoss.step(head, p.c, spec, chunkBytes);
      assertTrue(second.gradWeight().is_same(wf.grad()), dtype + ": same tensor after two steps");
      assertEquals(storage, wf.grad().data_ptr().address(), dtype + ": accumulated in place");
      double rel = dtype == ScalarType.Float ? 2e-5 : 2e-2;
      close(dtype + " twice grad hidden", hr.grad(), hf.grad(), rel);
      close(dtype + " twice grad weight", wr.grad(), wf.grad(), rel);
      close(dtype + " twice grad bias", br.grad(), bf.grad(), rel);
    }
  }

  /**
   * forwardBackward into a caller's buffer holding an earlier gradient G0: the buffer ends as G0
   * plus libtorch's unfused weight gradient (the reference adds G0 in float32), it is the
   * result's gradWeight() and keeps its storage; fp32 and bf16 heads into their own dtype, and a
   * bf16 head into a float32 buffer. A buffer of the wrong shape is named.
   */
  @Test
  void forwardBackwardAddsIntoTheCallersGradWeight() {
    ScalarType[][] runs = {{ScalarType.Float, ScalarType.Float},
        {ScalarType.BFloat16, ScalarType.BFloat16}, {ScalarType.BFloat16, ScalarType.Float}};
    for (ScalarType[] run : runs) {
      ScalarType dtype = run[0];
      Problem p = new Problem(17, true);
      LossSpec spec =
          LossSpec.builder().zLoss(1e-3f).normalization(Normalization.NONE).build();
      float[] g0 = Tensors.randomLogits(new SplittableRandom(5), V * H, 0.01);
      Tensor wr = leaf(round(p.w, dtype), ScalarType.Float, V, H);
      unfused(leaf(round(p.h, dtype), ScalarType.Float, ROWS, H), wr, null, p.y, p.c, spec);
      Tensor expected = wr.grad().add(Tensors.floats(round(g0, run[1]), V, H));

      Tensor buffer = Tensors.floats(g0, V, H).to(run[1]);
      long storage = buffer.data_ptr().address();
      LinearHead head = LinearHead.of(Tensors.floats(p.h, ROWS, H).to(dtype),
          Tensors.floats(p.w, V, H).to(dtype), null, Tensors.longs(p.y, ROWS),
          Tensors.longs(OFFSETS, OFFSETS.length));
      long chunkBytes = 5L * V * (dtype == ScalarType.Float ? 4 : 2);
      LinearResult r = FusedLinearLoss.forwardBackward(head, p.c, spec, chunkBytes, buffer);
      String label = dtype + " into " + run[1];
      assertTrue(r.gradWeight().is_same(buffer), label + ": gradWeight() is the buffer");
      assertEquals(storage, buffer.data_ptr().address(), label + ": added in place");
      close(label + " grad weight", expected, buffer, dtype == ScalarType.Float ? 2e-5 : 2e-2);
    }
    Problem p = new Problem(1, false);
    LinearHead head = LinearHead.of(Tensors.floats(p.h, ROWS, H), Tensors.floats(p.w, V, H), null,
        Tensors.longs(p.y, ROWS), Tensors.longs(OFFSETS, OFFSETS.length));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FusedLinearLoss.forwardBackward(head, p.c, LossSpec.defaults(),
            FusedLinearLoss.DEFAULT_CHUNK_BYTES, torch.zeros(new long[] {H, V})));
    assertTrue(e.getMessage().contains("gradWeight shape = [16, 40]"), e.getMessage());
  }

  /** Two phases: coefficients from the forward's losses, then the recomputing backward. */
  @Test
  void twoPhaseMatchesUnfused() {
    Problem p = new Problem(9, false);
    LossSpec spec = LossSpec.builder().labelSmoothing(0.1f).zLoss(1e-3f).build();
    Tensor hf = leaf(p.h, ScalarType.Float, ROWS, H);
    Tensor wf = leaf(p.w, ScalarType.Float, V, H);
    Tensor bf = leaf(p.b, ScalarType.Float, V);
    LinearHead head = LinearHead.of(hf, wf, bf, Tensors.longs(p.y, ROWS),
        Tensors.longs(OFFSETS, OFFSETS.length));
    LinearForward fwd = FusedLinearLoss.forward(head, spec, 6L * V * 4);
    float[] c = new float[fwd.samples()];
    for (int s = 0; s < c.length; s++) {
      c[s] = (float) Math.exp(-fwd.loss(s)); // loss-dependent, as in IWSI or DPO
    }
    LinearResult r = FusedLinearLoss.step(fwd, c, 6L * V * 4);

    Tensor hr = leaf(p.h, ScalarType.Float, ROWS, H);
    Tensor wr = leaf(p.w, ScalarType.Float, V, H);
    Tensor br = leaf(p.b, ScalarType.Float, V);
    double total = unfused(hr, wr, br, p.y, c, spec);
    assertEquals(total, r.total(), 2e-5 * Math.max(1, Math.abs(total)), "total");
    close("two-phase grad hidden", hr.grad(), hf.grad(), 2e-5);
    close("two-phase grad weight", wr.grad(), wf.grad(), 2e-5);
    close("two-phase grad bias", br.grad(), bf.grad(), 2e-5);
  }

  /** Rows per chunk, worked by hand: floor(budget / row bytes), whole 64-row tiles when >= 64. */
  @Test
  void chunkRowsFitTheBudgetInWholeTiles() {
    // 64 MiB / (128256 * 2 B) = 261.6 rows: 256, four whole tiles of 64.
    assertEquals(256, FusedLinearLoss.chunkRows(2048, 128256, ScalarType.BFloat16, 64L << 20));
    // 64 MiB / (32000 * 4 B) = 524.3 rows: 512.
    assertEquals(512, FusedLinearLoss.chunkRows(4096, 32000, ScalarType.Float, 64L << 20));
    // Every row fits: all 100, unaligned.
    assertEquals(100, FusedLinearLoss.chunkRows(100, 10, ScalarType.Float, 4000));
    // Fewer than 64 rows fit: 5 rows of 40 bytes in 200 bytes, as they come.
    assertEquals(5, FusedLinearLoss.chunkRows(1000, 10, ScalarType.Float, 200));
    // Less than one row: still one row per chunk.
    assertEquals(1, FusedLinearLoss.chunkRows(1000, 10, ScalarType.Float, 39));
  }

  /**
   * The default budget, worked by hand: 1024 rows of logits when they fit in 128 MiB, else 512
   * rows, never below 32 MiB.
   */
  @Test
  void defaultChunkBytesPlans1024RowsWithin128MiBElse512() {
    // 1024 * 128256 * 4 B > 128 MiB: 512 * 128256 * 4 B = 262668288 B (250.5 MiB), 512 rows.
    assertEquals(262668288L,
        FusedLinearLoss.defaultChunkBytes(oneRowHead(128256, ScalarType.Float)));
    assertEquals(512, FusedLinearLoss.chunkRows(2048, 128256, ScalarType.Float, 262668288L));
    // bf16: 1024 * 128256 * 2 B = 262668288 B > 128 MiB: 512 rows, 131334144 B.
    assertEquals(131334144L,
        FusedLinearLoss.defaultChunkBytes(oneRowHead(128256, ScalarType.BFloat16)));
    // fp32 at V = 32000: 1024 * 32000 * 4 B = 131072000 B (125 MiB) <= 128 MiB = 134217728 B.
    assertEquals(131072000L,
        FusedLinearLoss.defaultChunkBytes(oneRowHead(32000, ScalarType.Float)));
    assertEquals(1024, FusedLinearLoss.chunkRows(4096, 32000, ScalarType.Float, 131072000L));
    // bf16 at V = 32000: 1024 * 32000 * 2 B = 65536000 B (62.5 MiB).
    assertEquals(65536000L,
        FusedLinearLoss.defaultChunkBytes(oneRowHead(32000, ScalarType.BFloat16)));
    assertEquals(1024, FusedLinearLoss.chunkRows(4096, 32000, ScalarType.BFloat16, 65536000L));
    // A narrow vocabulary: 1024 * 1000 * 4 B = 4096000 B < 32 MiB: the 32 MiB floor.
    assertEquals(33554432L, FusedLinearLoss.defaultChunkBytes(oneRowHead(1000, ScalarType.Float)));
  }

  /** A one-row head of hidden size 4 over {@code vocab} outputs in {@code dtype}. */
  private static LinearHead oneRowHead(long vocab, ScalarType dtype) {
    return LinearHead.of(torch.zeros(new long[] {1, 4}).to(dtype),
        torch.zeros(new long[] {vocab, 4}).to(dtype), null, Tensors.longs(new long[] {0}, 1),
        Tensors.longs(new long[] {0, 1}, 2));
  }

  @Test
  void badInputNamesTheArgument() {
    Problem p = new Problem(1, false);
    LinearHead head = LinearHead.of(Tensors.floats(p.h, ROWS, H), Tensors.floats(p.w, V, H), null,
        Tensors.longs(p.y, ROWS), Tensors.longs(OFFSETS, OFFSETS.length));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FusedLinearLoss.forwardBackward(head, new float[] {1, 1, 1, -1},
            LossSpec.defaults(), FusedLinearLoss.DEFAULT_CHUNK_BYTES));
    assertTrue(e.getMessage().contains("coefficients[3]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> LinearHead.of(
        Tensors.floats(p.h, ROWS, H), Tensors.floats(p.w, V, H), null,
        Tensors.longs(p.y, ROWS), Tensors.longs(new long[] {0, 4, 3, 23}, 4)));
    assertTrue(e.getMessage().contains("offsets[2] = 3"), e.getMessage());
    long[] y = p.y.clone();
    y[9] = V;
    e = assertThrows(IllegalArgumentException.class, () -> FusedLinearLoss.forward(
        LinearHead.of(Tensors.floats(p.h, ROWS, H), Tensors.floats(p.w, V, H), null,
            Tensors.longs(y, ROWS), Tensors.longs(OFFSETS, OFFSETS.length)),
        LossSpec.defaults(), FusedLinearLoss.DEFAULT_CHUNK_BYTES));
    assertTrue(e.getMessage().contains("targets[9] = 40"), e.getMessage());
  }
}
