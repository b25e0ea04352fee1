package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Where the fused linear + cross-entropy spends its GEMM time against the unfused path, on a
 * shared machine: each GEMM of the fused chunk loop at {@code n} rows per chunk, scaled by the
 * number of chunks, next to the same product over all rows as the unfused path's autograd runs
 * it, in interleaved rounds (every op once per round, op order rotating), median seconds per op.
 * Operand orders compared for grad_hidden: {@code g W} and {@code (W^T g^T)^T}.
 *
 * <p>Usage: {@code FusedLinearGemmProbe ROWSxHxV f32|bf16 CHUNK_ROWS ROUNDS OUT.jsonl}.
 */
public final class FusedLinearGemmProbe {
  private FusedLinearGemmProbe() {}

  public static void main(String[] args) throws Exception {
    ProbeArgs.require(args, 5,
        "FusedLinearGemmProbe ROWSxHxV f32|bf16 CHUNK_ROWS ROUNDS OUT.jsonl");
    LinearHeadData d = new LinearHeadData(args[0], args[1]);
    int n = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    double chunks = (double) d.rows / n;
    TensorOptions opt = new TensorOptions(d.dtype);
    Tensor h = d.hidden;
    Tensor w = d.weight;
    Tensor wt = w.t();
    Tensor hn = h.narrow(0, 0, n);
    Tensor g = torch.randn(new long[] {d.rows, d.vocab}, opt).mul(new org.bytedeco.pytorch.Scalar(
        1e-3));
    Tensor gn = g.narrow(0, 0, n).contiguous();
    Tensor gradW = torch.zeros_like(w);
    Tensor gradH = torch.zeros_like(h);
    Map<String, Runnable> ops = new LinkedHashMap<>();
    ops.put("chunk z = h W^T", () -> hn.mm(wt));
    ops.put("chunk grad_h = g W", () -> gradH.narrow(0, 0, n).copy_(gn.mm(w)));
    ops.put("chunk grad_h = (W^T g^T)^T", () -> gradH.narrow(0, 0, n).copy_(wt.mm(gn.t()).t()));
    ops.put("chunk grad_W += g^T h", () -> gradW.addmm_(gn.t(), hn));
    ops.put("full z = h W^T", () -> h.mm(wt));
    ops.put("full grad_h = G W", () -> g.mm(w));
    ops.put("full grad_W = G^T h", () -> g.t().mm(h));
    double[][] t = new double[ops.size()][rounds];
    Runnable[] calls = ops.values().toArray(new Runnable[0]);
    for (Runnable c : calls) {
      time(c); // warm-up
    }
    for (int r = 0; r < rounds; r++) {
      for (int j = 0; j < calls.length; j++) {
        int k = (j + r) % calls.length;
        t[k][r] = time(calls[k]);
      }
    }
    StringJoiner fields = new StringJoiner(",");
    int i = 0;
    for (String name : ops.keySet()) {
      double m = FusedLinearPairedProbe.median(t[i++]);
      double whole = name.startsWith("chunk") ? m * chunks : m;
      fields.add(String.format(Locale.ROOT, "\"%s\":%.3f", name, whole));
    }
    String line = String.format(Locale.ROOT,
        "{\"shape\":\"%s\",\"dtype\":\"%s\",\"chunk_rows\":%d,\"threads\":%d,\"rounds\":%d,"
            + "\"seconds_for_all_rows\":{%s}}%n",
        args[0], args[1], n, Capabilities.threads(), rounds, fields);
    System.out.print(line);
    Files.writeString(Path.of(args[4]), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
  }

  @SuppressWarnings("try") // the scope frees the op's result when it closes
  private static double time(Runnable op) {
    try (PointerScope scope = new PointerScope()) {
      long t0 = System.nanoTime();
      op.run();
      return (System.nanoTime() - t0) / 1e9;
    }
  }
}
