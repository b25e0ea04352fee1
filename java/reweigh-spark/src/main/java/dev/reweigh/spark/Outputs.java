package dev.reweigh.spark;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/** The output columns, named as the CLI's output fields. */
final class Outputs {
  static final StructField WEIGHT = DataTypes.createStructField("weight", DataTypes.DoubleType, false);
  static final StructField KEEP = DataTypes.createStructField("keep", DataTypes.BooleanType, false);
  /** iwsi: wDS of Eq. 4, null when infinite (loss 0). */
  static final StructField DS_WEIGHT =
      DataTypes.createStructField("ds_weight", DataTypes.DoubleType, true);
  /** east: h(x) in nats, null for questions not trained on. */
  static final StructField ENTROPY = DataTypes.createStructField("entropy", DataTypes.DoubleType, true);
  /** sharpening-sft: the self-reward. */
  static final StructField REWARD = DataTypes.createStructField("reward", DataTypes.DoubleType, false);

  private Outputs() {}

  /** Decision of a filtering method: weight 1 when kept, else 0. */
  static Object[] mask(boolean keep) {
    return new Object[] {keep ? 1.0 : 0.0, keep};
  }

  static StructField hidden(String name, org.apache.spark.sql.types.DataType type) {
    return DataTypes.createStructField("__reweigh_" + name, type, true);
  }
}
