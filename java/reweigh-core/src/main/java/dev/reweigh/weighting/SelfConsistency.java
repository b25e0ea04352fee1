package dev.reweigh.weighting;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Self-consistency over the n responses of one question: answer clusters, the majority vote and the
 * answer distribution (docs/methods.md §1), and the LMSI selection built on them.
 *
 * <p>Majority voting follows Wang et al. (2023), "Self-Consistency Improves Chain of Thought
 * Reasoning", arXiv:2203.11171; the LMSI selection is Huang et al. (2023), "Large Language Models
 * Can Self-Improve", arXiv:2210.11610, as used as the baseline and first stage of IWSI (Jiang et
 * al., AAAI 2025, arXiv:2408.09849).
 *
 * <p>Rules: answers are compared after {@link AnswerNormalizer#normalize}; unparsable answers do
 * not vote and belong to no cluster; clusters are ordered by the first response that gives them;
 * the majority is the largest cluster and a tie goes to the cluster that appears first in response
 * order; a question with no parsable answer has no majority (it is dropped).
 */
public final class SelfConsistency {

  private SelfConsistency() {}

  /**
   * One answer cluster.
   *
   * @param key the normalised answer
   * @param members response indices giving this answer, ascending (the first is where it appears)
   */
  public record Cluster(String key, int[] members) {
    public Cluster {
      Objects.requireNonNull(key, "key");
      members = members.clone();
    }

    @Override
    public int[] members() {
      return members.clone();
    }

    /** Number of responses in the cluster, |cluster_k|. */
    public int size() {
      return members.length;
    }

    /** Index of the first response that gives this answer. */
    public int firstIndex() {
      return members[0];
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cluster c && key.equals(c.key) && Arrays.equals(members, c.members);
    }

    @Override
    public int hashCode() {
      return 31 * key.hashCode() + Arrays.hashCode(members);
    }

    @Override
    public String toString() {
      return "Cluster[" + key + ", " + Arrays.toString(members) + "]";
    }
  }

  /** The vote over one question's responses. */
  public static final class Vote {
    private final int n;
    private final List<Cluster> clusters;
    private final int[] clusterOf;
    private final int majority;

    private Vote(int n, List<Cluster> clusters, int[] clusterOf) {
      this.n = n;
      this.clusters = List.copyOf(clusters);
      this.clusterOf = clusterOf;
      int best = -1;
      for (int k = 0; k < clusters.size(); k++) {
        // Strictly greater: on a tie the earlier cluster (first in response order) stays.
        if (best < 0 || clusters.get(k).size() > clusters.get(best).size()) {
          best = k;
        }
      }
      this.majority = best;
    }

    /** Number of responses n, parsable or not. */
    public int responses() {
      return n;
    }

    /** Clusters in order of first appearance. */
    public List<Cluster> clusters() {
      return clusters;
    }

    /** Cluster sizes |cluster_k| in order of first appearance (input of {@link East#entropy}). */
    public int[] clusterCounts() {
      return clusters.stream().mapToInt(Cluster::size).toArray();
    }

    /** Index into {@link #clusters()} of response {@code i}'s answer, or -1 if unparsable. */
    public int clusterOf(int i) {
      return clusterOf[i];
    }

    /** Whether at least one answer was parsable; questions without a majority are dropped. */
    public boolean hasMajority() {
      return majority >= 0;
    }

    /** Index into {@link #clusters()} of the majority cluster, or -1 when there is none. */
    public int majorityCluster() {
      return majority;
    }

    /** The normalised majority answer, or {@code null} when there is none. */
    public String majorityAnswer() {
      return majority < 0 ? null : clusters.get(majority).key();
    }

    /** Whether response {@code i} gives the majority answer. */
    public boolean isMajority(int i) {
      return majority >= 0 && clusterOf[i] == majority;
    }

    /**
     * Answer frequency of response {@code i}: |cluster of i| / n, with n counting every response; 0
     * for an unparsable answer. This is the MAJORITY self-reward of Sharpening
     * (docs/methods.md §4).
     */
    public double frequency(int i) {
      int k = clusterOf[i];
      return k < 0 ? 0.0 : (double) clusters.get(k).size() / n;
    }

    /**
     * The per-question answer distribution p_k = |cluster_k| / m over the m parsable responses,
     * in cluster order (empty when nothing parsed).
     */
    public double[] distribution() {
      int m = 0;
      for (Cluster c : clusters) {
        m += c.size();
      }
      double[] p = new double[clusters.size()];
      for (int k = 0; k < p.length; k++) {
        p[k] = (double) clusters.get(k).size() / m;
      }
      return p;
    }

    /**
     * LMSI selection: keep every response whose answer equals the majority answer, all with weight
     * 1 (docs/methods.md §1); all false when the question has no majority.
     */
    public boolean[] lmsiKeep() {
      boolean[] keep = new boolean[n];
      for (int i = 0; i < n; i++) {
        keep[i] = isMajority(i);
      }
      return keep;
    }
  }

  /**
   * Clusters the answers of one question and takes the majority vote of Wang et al. (2023),
   * arXiv:2203.11171 (self-consistency), with the tie rule of docs/methods.md §1.
   *
   * @param answers extracted answers in response order; {@code null} or blank entries are
   *     unparsable
   * @return the vote
   */
  public static Vote vote(List<String> answers) {
    if (answers == null) {
      throw new IllegalArgumentException("answers is null");
    }
    Map<String, List<Integer>> byKey = new LinkedHashMap<>();
    String[] keys = new String[answers.size()];
    for (int i = 0; i < answers.size(); i++) {
      keys[i] = AnswerNormalizer.normalize(answers.get(i));
      if (keys[i] != null) {
        byKey.computeIfAbsent(keys[i], k -> new ArrayList<>()).add(i);
      }
    }
    List<Cluster> clusters = new ArrayList<>();
    Map<String, Integer> index = new LinkedHashMap<>();
    for (Map.Entry<String, List<Integer>> e : byKey.entrySet()) {
      index.put(e.getKey(), clusters.size());
      clusters.add(new Cluster(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray()));
    }
    int[] clusterOf = new int[answers.size()];
    for (int i = 0; i < keys.length; i++) {
      clusterOf[i] = keys[i] == null ? -1 : index.get(keys[i]);
    }
    return new Vote(answers.size(), clusters, clusterOf);
  }

  /**
   * LMSI keep mask (Huang et al. (2023), arXiv:2210.11610) for one question: {@code
   * vote(answers).lmsiKeep()}.
   *
   * @param answers extracted answers in response order
   * @return true for every response that gives the majority answer
   */
  public static boolean[] lmsiKeep(List<String> answers) {
    return vote(answers).lmsiKeep();
  }

  /**
   * Whether {@code answer} equals {@code gold} after normalisation (false when either is
   * unparsable). Used for rejection-sampling self-training and EAST's gold-answer mode.
   */
  public static boolean matches(String answer, String gold) {
    String a = AnswerNormalizer.normalize(answer);
    return a != null && a.equals(AnswerNormalizer.normalize(gold));
  }
}
