package dev.reweigh.bench;

import dev.reweigh.Capabilities;
import dev.reweigh.pytorch.GradAccumulation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Peak extra memory of one fused or unfused linear + cross-entropy call ({@link LinearHeadData}),
 * in a fresh JVM, by {@link MemoryProbe#peakExtra} (VmHWM after a clear_refs reset, minus VmRSS
 * before): inputs exist before the call, everything the call allocates counts, including the
 * gradients of hidden and weight both paths return.
 *
 * <p>Usage: {@code FusedLinearMemoryProbe IMPL ROWSxHxV f32|bf16 CHUNK_MIB OUT.json} (appends
 * one line), IMPL one of {@code fused}, {@code fused-f32acc} (the fused path with {@link
 * GradAccumulation#FLOAT32} accumulators), {@code unfused}, and the training-loop variants
 * {@code fused-step} / {@code unfused-step} (hidden and weight gradients allocated before the
 * call and added into, {@link LinearHeadData#fusedStep}) and {@code fused-into} (forwardBackward
 * adding into the preallocated weight gradient, {@link LinearHeadData#fusedInto}).
 *
 * <p>Two accountings, each the same for both paths: "returned" ({@code fused} against {@code
 * unfused}) counts the gradients each call returns; "training loop" ({@code fused-step} or
 * {@code fused-into} against {@code unfused-step}) has the parameter-gradient buffers exist
 * before the call, as every training loop holds them, and counts what the call allocates beyond.
 */
public final class FusedLinearMemoryProbe {
  private FusedLinearMemoryProbe() {}

  public static void main(String[] args) throws Exception {
    ProbeArgs.require(args, 5,
        "FusedLinearMemoryProbe fused|fused-f32acc|unfused|fused-step|fused-into|unfused-step"
            + " ROWSxHxV f32|bf16 CHUNK_MIB OUT.json");
    LinearHeadData d = new LinearHeadData(args[1], args[2]);
    long chunk = Long.parseLong(args[3]) << 20;
    GradAccumulation accumulation = args[0].equals("fused-f32acc")
        ? GradAccumulation.FLOAT32 : GradAccumulation.HEAD_DTYPE;
    // Warm every code path on a tiny problem so the probe sees the call, not class loading.
    LinearHeadData tiny = new LinearHeadData("64x32x128", args[2]);
    tiny.fused(chunk, accumulation);
    tiny.unfused();
    tiny.fusedStep(chunk);
    tiny.unfusedStep();
    tiny.fusedInto(chunk);
    Runnable call;
    switch (args[0]) {
      case "fused", "fused-f32acc" -> call = () -> d.fused(chunk, accumulation);
      case "unfused" -> call = d::unfused;
      case "fused-step" -> call = () -> d.fusedStep(chunk);
      case "unfused-step" -> call = d::unfusedStep;
      case "fused-into" -> call = () -> d.fusedInto(chunk);
      default -> throw new IllegalArgumentException("unknown impl " + args[0]);
    }
    long first = MemoryProbe.peakExtra(call);
    long warm = MemoryProbe.peakExtra(call);
    String line = String.format(Locale.ROOT,
        "{\"impl\":\"%s\",\"shape\":\"%s\",\"dtype\":\"%s\",\"chunk_mib\":%s,\"threads\":%d,"
            + "\"first_call_extra_bytes\":%d,\"warm_call_extra_bytes\":%d}%n",
        args[0], args[1], args[2], args[3], Capabilities.threads(), first, warm);
    System.out.print(line);
    Files.writeString(Path.of(args[4]), line, StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
  }
}
