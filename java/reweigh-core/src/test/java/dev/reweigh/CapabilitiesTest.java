package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CapabilitiesTest {

  @Test
  void factsAreReportedWithoutAGpu() {
    assertEquals(dev.reweigh.nativeapi.ReweighNative.ABI_VERSION, Capabilities.abiVersion());
    assertTrue(Isa.ALL.contains(Capabilities.cpuIsa()), Capabilities.cpuIsa());
    assertTrue(Capabilities.threads() >= 1);
    // No GPU on the build machines: 0 devices, and no exception whether CUDA was compiled or not.
    if (System.getenv("REWEIGH_EXPECT_GPU") == null) {
      assertEquals(0, Capabilities.cudaDeviceCount());
    }
    Capabilities.cudaCompiled();
    assertEquals(Device.CPU, Capabilities.deviceOf(new org.bytedeco.javacpp.FloatPointer(1).address()));
  }

  @Test
  void unknownIsaAndBadThreadCountsAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Capabilities.setCpuIsa("sse9"));
    assertThrows(IllegalArgumentException.class, () -> Capabilities.setThreads(0));
    assertTrue(Capabilities.cpuIsa().length() > 0);
  }
}
