#!/usr/bin/env bash
# Mutation testing (PIT) of one Java package: api (dev.reweigh, the Java API and its argument
# checks), weighting (dev.reweigh.weighting) or cli (dev.reweigh.cli). CPU heavy: one thread, under
# nice, one package per run. Reports: <module>/target/pit-reports/index.html and mutations.xml;
# the last line printed is the test strength (killed / covered mutants).
#
#   java/pit.sh api|weighting|cli [extra Maven arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
pkg=${1:?usage: java/pit.sh api|weighting|cli}
shift
# A package's run mutates its own classes under its own tests; api narrows that below.
module=java/reweigh-core
modules=java/reweigh-core
classes="dev.reweigh.$pkg.*"
excluded='none.*'
tests="$classes"
excludedTests='none.*'
case "$pkg" in
  api)
    classes='dev.reweigh.*'
    # Subpackages have runs of their own; nativeapi is the generated JavaCPP binding and internal
    # the loader: neither holds Java logic to mutate.
    excluded='dev.reweigh.weighting.*,dev.reweigh.nativeapi.*,dev.reweigh.internal.*'
    tests='dev.reweigh.*'
    # The kernel grid (thousands of native cases) covers the same Java lines as the fast tests;
    # running it per mutant would take hours. Every other core test runs.
    excludedTests='dev.reweigh.weighting.*,dev.reweigh.FusedLossReferenceTest'
    ;;
  weighting) ;;
  cli)
    module=java/reweigh-cli
    modules=java/reweigh-core,java/reweigh-cli
    ;;
  *)
    echo "unknown package '$pkg': api, weighting or cli" >&2
    exit 2
    ;;
esac
nice -n 10 mvn -B -Ppit -Dreweigh.cuda="${REWEIGH_CUDA:-OFF}" -pl "$modules" \
  -DtargetClasses="$classes" -DexcludedClasses="$excluded" \
  -DtargetTests="$tests" -DexcludedTestClasses="$excludedTests" \
  "$@" test-compile org.pitest:pitest-maven:mutationCoverage
xml="$module/target/pit-reports/mutations.xml"
python3 - "$xml" "$pkg" <<'PY'
import sys, xml.etree.ElementTree as ET
muts = ET.parse(sys.argv[1]).getroot().findall('mutation')
status = [m.get('status') for m in muts]
# PIT's detected statuses; RUN_ERROR is a minion that died (a JVM crash under the mutant).
detected = sum(s in ('KILLED', 'TIMED_OUT', 'MEMORY_ERROR', 'RUN_ERROR', 'NON_VIABLE')
               for s in status)
nocov = status.count('NO_COVERAGE')
covered = len(status) - nocov
print(f"{sys.argv[2]}: {len(status)} mutants, {detected} detected "
      f"({status.count('RUN_ERROR')} by a crashed minion), {status.count('SURVIVED')} survived, "
      f"{nocov} without coverage; test strength {detected}/{covered} = "
      f"{detected / covered if covered else 0:.3f}")
PY
