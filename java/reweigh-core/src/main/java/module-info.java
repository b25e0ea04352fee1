/**
 * Reweigh's kernels ({@code dev.reweigh}) and weighting methods ({@code dev.reweigh.weighting}).
 *
 * <p>The JavaCPP binding ({@code dev.reweigh.nativeapi}) and the status mapping ({@code
 * dev.reweigh.internal}) are not exported: callers go through {@code FusedLoss} and {@code
 * Capabilities}, which check every argument first (docs/design.md §4). JavaCPP's {@code Loader}
 * reads the binding's annotations and bundled libraries reflectively, so that package is opened to
 * it. JavaCPP is required transitively because the public API takes its {@code Pointer} types.
 */
module dev.reweigh {
  requires transitive org.bytedeco.javacpp;

  exports dev.reweigh;
  exports dev.reweigh.weighting;

  opens dev.reweigh.nativeapi to
      org.bytedeco.javacpp;
}
