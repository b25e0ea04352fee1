package dev.reweigh.reliability;

import dev.reweigh.Capabilities;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Restores the kernels' thread count after each test of a class that changes it, so the suites
 * that sweep thread counts leave the process as they found it.
 */
final class RestoresThreads implements BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(RestoresThreads.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    context.getStore(NS).put("threads", Capabilities.threads());
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Capabilities.setThreads(context.getStore(NS).get("threads", Integer.class));
  }
}
