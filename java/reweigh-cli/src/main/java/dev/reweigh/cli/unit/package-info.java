/**
 * The per-unit helpers that the streaming CLI ({@code dev.reweigh.cli}) and reweigh-spark both
 * run over a question's or a batch's candidates: the answers, losses and gold answer of a unit,
 * the Sharpening best-of-N choice and the mergeable softmax normaliser. One copy serves both
 * engines so that they cannot drift apart; the formulas themselves stay in {@code
 * dev.reweigh.weighting}. Not a user API: its types are public only so that reweigh-spark can
 * reach them.
 */
package dev.reweigh.cli.unit;
