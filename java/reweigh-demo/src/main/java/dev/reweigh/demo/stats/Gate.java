package dev.reweigh.demo.stats;

/**
 * One precondition of the papers' methods, measured on the base model: its value, 95% interval,
 * the rule it must meet and whether it does.
 */
public record Gate(String name, String rule, Estimate estimate, boolean pass) {}
