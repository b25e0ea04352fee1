package dev.reweigh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CLI module is the entry point and needs neither libtorch nor the demo: optional
 * subcommands arrive through {@link SubcommandProvider}. This module's test classpath is its
 * runtime classpath plus JUnit, the same jars {@code ./reweigh weigh} runs on.
 */
class EntryPointTest {

  @Test
  void pytorchPresetsAreNotOnTheCliClasspath() {
    ClassLoader loader = ReweighCli.class.getClassLoader();
    assertThrows(
        ClassNotFoundException.class,
        () -> Class.forName("org.bytedeco.pytorch.Tensor", false, loader),
        "reweigh-cli must not depend on the PyTorch presets");
    assertThrows(
        ClassNotFoundException.class,
        () -> Class.forName("dev.reweigh.demo.DemoCommand", false, loader),
        "reweigh-cli must not depend on reweigh-demo");
  }

  @Test
  void providersOnTheClasspathBecomeSubcommands() {
    var subcommands = ReweighCli.commandLine().getSubcommands();
    assertTrue(subcommands.containsKey("weigh"), "weigh is built in");
    assertTrue(subcommands.containsKey("probe"), "ProbeSubcommand was found by ServiceLoader");
    assertFalse(subcommands.containsKey("demo"), "no demo without reweigh-demo");
    assertEquals(ProbeSubcommand.EXIT, ReweighCli.commandLine().execute("probe"));
  }

  @Test
  void helpSaysHowToGetTheDemo() {
    CliRunner.Result r = CliRunner.run("--help").assertExit(0);
    assertTrue(r.out().contains("./reweigh demo"), r.out());
  }
}
