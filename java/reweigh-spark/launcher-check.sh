#!/usr/bin/env bash
# End-to-end check of `./reweigh weigh --engine spark` from the launcher (opt-in: about 2 minutes
# of CPU on 2 cores, 6 Spark start-ups and the launcher's own builds; not part of `mvn verify`).
#
#   java/reweigh-spark/launcher-check.sh
#
# On a tiny generated JSONL file and the same rows as Parquet, checks that:
#   - plain `./reweigh weigh` runs on a classpath without Spark or reweigh-spark;
#   - `./reweigh weigh --engine spark` (and `--engine=spark`) runs on reweigh-spark's classpath
#     with the JVM options of java/reweigh-spark/spark-jvm.options, and its JSONL and Parquet
#     outputs equal the streaming CLI's row for row (dev.reweigh.spark.LauncherCheck);
#   - an empty JSONL file gives an empty output and exit 0 on both engines (docs/design.md §7.1);
#     a missing input is exit 2;
#   - the jar to ship, reweigh-spark-VERSION-submit.jar, runs under Spark's own submit class
#     (org.apache.spark.deploy.SparkSubmit, what spark-submit runs) with only Spark's jars
#     besides it.
# Environment: REWEIGH_MVN_ARGS (e.g. -o) is passed to the launcher's builds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
R="$ROOT/reweigh"
fail() { echo "launcher-check: FAIL: $*" >&2; exit 1; }

# Questions of 4 responses in file order: ties, a null answer, a question without a parsable
# answer, a gold answer on each line.
{
  for q in 0 1 2 3 4 5; do
    for r in 0 1 2 3; do
      case $(( (q + r) % 5 )) in 0) a='"1"' ;; 1) a='"2"' ;; 2) a='"1"' ;; 3) a=null ;; *) a='"3"' ;; esac
      [[ $q == 4 ]] && a=null
      printf '{"question_id":"q%d","response_id":"q%d-r%d","answer":%s,"gold_answer":"1","loss":%d.%d5,"log_prob_sum":-%d.5,"token_count":%d}\n' \
        "$q" "$q" "$r" "$a" $(( (q * 7 + r * 3) % 4 )) $(( (q + 2 * r) % 10 )) $(( 3 + q + r )) $(( 2 + r ))
    done
  done
} >"$WORK/in.jsonl"

echo "== classpaths: plain weigh has no Spark, --engine spark has it"
plain_cp="$(REWEIGH_PRINT_CLASSPATH=1 "$R" weigh -m lmsi -i "$WORK/in.jsonl")"
[[ "$plain_cp" != */org/apache/spark/* && "$plain_cp" != *reweigh-spark* ]] || fail "plain 'reweigh weigh' classpath names Spark: $plain_cp"
spark_cp="$(REWEIGH_PRINT_CLASSPATH=1 "$R" weigh --engine spark -m lmsi -i "$WORK/in.jsonl")"
[[ "$spark_cp" == *spark-sql_2.13* && "$spark_cp" == *reweigh-spark/target/classes* ]] \
  || fail "'reweigh weigh --engine spark' classpath lacks Spark or reweigh-spark"
[[ "$(REWEIGH_PRINT_CLASSPATH=1 "$R" weigh --engine=spark -m lmsi -i x)" == "$spark_cp" ]] \
  || fail "--engine=spark does not select the Spark classpath"

echo "== JSONL: iwsi (global percentile) on both engines"
"$R" weigh -m iwsi --valid-mean-loss 1.5 -i "$WORK/in.jsonl" -o "$WORK/s-iwsi.jsonl" --summary "$WORK/s-iwsi.json"
"$R" weigh --engine spark --master 'local[2]' -m iwsi --valid-mean-loss 1.5 -i "$WORK/in.jsonl" \
  -o "$WORK/p-iwsi" --summary "$WORK/p-iwsi.json"
TEST_CP="$ROOT/java/reweigh-spark/target/test-classes:$spark_cp"
OPTS="@$ROOT/java/reweigh-spark/spark-jvm.options"
java "$OPTS" -cp "$TEST_CP" dev.reweigh.spark.LauncherCheck compare "$WORK/s-iwsi.jsonl" "$WORK/p-iwsi" jsonl

echo "== Parquet: kl-dro (global softmax) on the same rows"
java "$OPTS" -cp "$TEST_CP" dev.reweigh.spark.LauncherCheck parquet "$WORK/in.jsonl" "$WORK/in.parquet"
"$R" weigh -m kl-dro -i "$WORK/in.jsonl" -o "$WORK/s-kl.jsonl" --summary "$WORK/s-kl.json"
"$R" weigh --engine spark --master 'local[2]' -m kl-dro -i "$WORK/in.parquet" -o "$WORK/p-kl.parquet" \
  --summary "$WORK/p-kl.json"
java "$OPTS" -cp "$TEST_CP" dev.reweigh.spark.LauncherCheck compare "$WORK/s-kl.jsonl" "$WORK/p-kl.parquet" parquet

echo "== empty input: exit 0 and an empty output on both engines; a missing input is exit 2"
: >"$WORK/empty.jsonl"
"$R" weigh -m east -i "$WORK/empty.jsonl" -o "$WORK/s-empty.jsonl" --summary "$WORK/s-empty.json"
[[ ! -s "$WORK/s-empty.jsonl" ]] || fail "streaming output of an empty input is not empty"
"$R" weigh --engine spark --master 'local[2]' -m east -i "$WORK/empty.jsonl" -o "$WORK/p-empty" \
  --summary "$WORK/p-empty.json"
[[ -d "$WORK/p-empty" ]] || fail "no Spark output directory for an empty input"
! cat "$WORK"/p-empty/part-* 2>/dev/null | grep -q . || fail "Spark output of an empty input has rows"
for s in s-empty p-empty; do
  grep -q '"candidates" : 0' "$WORK/$s.json" || fail "$s summary: $(cat "$WORK/$s.json")"
done
set +e
"$R" weigh --engine spark -m east -i "$WORK/missing.jsonl" -o "$WORK/p-missing" 2>"$WORK/missing.err"
rc=$?
set -e
[[ $rc == 2 ]] && grep -q "input file not found" "$WORK/missing.err" \
  || fail "missing input: exit $rc, $(cat "$WORK/missing.err")"

echo "== the spark-submit jar: Spark's own submit entry point, Spark's jars plus the submit jar only"
SUBMIT_JAR="$(ls "$ROOT"/java/reweigh-spark/target/reweigh-spark-*-submit.jar)"
cluster_cp="$(tr ':' '\n' <<<"$spark_cp" | grep -v -e '/reweigh-' -e '/info/picocli/' -e '/org/bytedeco/' | paste -sd:)"
java "$OPTS" -cp "$cluster_cp" org.apache.spark.deploy.SparkSubmit --master 'local[2]' \
  --class dev.reweigh.spark.WeighMain "$SUBMIT_JAR" \
  -m kl-dro -i "$WORK/in.parquet" -o "$WORK/submit-kl.parquet" --summary "$WORK/submit-kl.json"
grep -q '"candidates" : 24' "$WORK/submit-kl.json" || fail "spark-submit summary: $(cat "$WORK/submit-kl.json")"

echo "launcher-check: OK"
