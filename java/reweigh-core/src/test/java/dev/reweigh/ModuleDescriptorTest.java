package dev.reweigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/**
 * The module {@code dev.reweigh} exports the kernel and weighting packages only, and opens the
 * JavaCPP binding to JavaCPP alone; a call through the sealed module still reaches the native
 * library. Surefire runs this module's tests on the module path; on a plain classpath (no named
 * module) the test is skipped.
 */
class ModuleDescriptorTest {

  @Test
  void exportsOnlyThePublicPackagesAndOpensTheBindingToJavaCpp() {
    Module m = FusedLoss.class.getModule();
    assumeTrue(m.isNamed(), "running on the classpath: no module to inspect");
    ModuleDescriptor d = m.getDescriptor();
    assertEquals("dev.reweigh", d.name());

    Set<String> exported = new TreeSet<>();
    for (ModuleDescriptor.Exports e : d.exports()) {
      assertFalse(e.isQualified(), "unqualified exports only: " + e);
      exported.add(e.source());
    }
    assertEquals(Set.of("dev.reweigh", "dev.reweigh.weighting"), exported);
    assertFalse(m.isExported("dev.reweigh.nativeapi"), "the JavaCPP binding is not API");
    assertFalse(m.isExported("dev.reweigh.internal"), "internal is not API");

    Module javacpp = Pointer.class.getModule();
    assertTrue(m.isOpen("dev.reweigh.nativeapi", javacpp), "JavaCPP's Loader needs reflection");
    assertFalse(m.isOpen("dev.reweigh.nativeapi", ModuleDescriptorTest.class.getClassLoader()
        .getUnnamedModule()), "opened to JavaCPP only");
  }

  @Test
  void nativeLibraryLoadsThroughTheSealedModule() {
    assertEquals(dev.reweigh.nativeapi.ReweighNative.ABI_VERSION, Capabilities.abiVersion());
    assertTrue(Set.of("scalar", "avx2", "avx512").contains(Capabilities.cpuIsa()));
  }
}
