package dev.reweigh.demo.report;

import java.util.Map;

/** A finished demo run: its configuration, per-method results and the base-training losses. */
public record DemoResult(
    dev.reweigh.demo.DemoConfig config, Map<String, MethodResult> methods, double[] baseLossStart, double[] baseLossEnd) {}
