package dev.reweigh;

/**
 * Per-row partials of one vocabulary shard (docs/design.md §3): over the shard's transformed
 * logits z', the online-softmax state m = max z', d = sum exp(z' - m), s = sum exp(z' - m) (z' -
 * m), plus sum z' (label smoothing) and z'_y when the row's target lies in the shard (else 0).
 *
 * <p>Partials of different shards combine associatively ({@link ShardedLoss#merge} or {@link
 * ShardedLoss#combine} over a collective); the combined rows feed {@link ShardedLoss#stats} and
 * {@link ShardedLoss#backward}. The arrays are exposed so a trainer can hand them to its own
 * collective library; ignored rows hold m = -inf and zeros.
 */
public final class RowPartials {
  final float[] max;
  final float[] sumExp;
  final float[] entropySum;
  final float[] logitSum;
  final float[] targetLogit;

  private RowPartials(int rows) {
    max = new float[rows];
    sumExp = new float[rows];
    entropySum = new float[rows];
    logitSum = new float[rows];
    targetLogit = new float[rows];
  }

  /** Zeroed partials for {@code rows} rows (filled by {@link ShardedLoss#partialForward}). */
  public static RowPartials allocate(int rows) {
    if (rows < 0) {
      throw new IllegalArgumentException("rows = " + rows + " must be >= 0");
    }
    return new RowPartials(rows);
  }

  public int rows() {
    return max.length;
  }

  /** m per row; a trainer all-reduces it with MAX. */
  public float[] max() {
    return max;
  }

  /** d per row, relative to {@link #max()}. */
  public float[] sumExp() {
    return sumExp;
  }

  /** s per row, relative to {@link #max()}. */
  public float[] entropySum() {
    return entropySum;
  }

  /** sum of z' per row. */
  public float[] logitSum() {
    return logitSum;
  }

  /** z'_y per row on the shard that owns y, 0 elsewhere. */
  public float[] targetLogit() {
    return targetLogit;
  }

  /** A deep copy. */
  public RowPartials copy() {
    RowPartials c = new RowPartials(rows());
    System.arraycopy(max, 0, c.max, 0, max.length);
    System.arraycopy(sumExp, 0, c.sumExp, 0, max.length);
    System.arraycopy(entropySum, 0, c.entropySum, 0, max.length);
    System.arraycopy(logitSum, 0, c.logitSum, 0, max.length);
    System.arraycopy(targetLogit, 0, c.targetLogit, 0, max.length);
    return c;
  }
}
