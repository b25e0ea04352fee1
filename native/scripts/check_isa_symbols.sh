#!/usr/bin/env bash
# Fails when a per-ISA object file (a *avx2* or *avx512* unit, built with its own -m flags)
# defines a symbol the linker may merge with another unit's copy: a weak or unique global
# definition (an inline function or template instantiation with external linkage). The linker
# keeps one copy for every caller, so a scalar or AVX2 caller could run code built for AVX-512.
# Such code belongs in the unit's anonymous namespace or has internal linkage (REWEIGH_HD,
# docs/design.md §5).
#
#   native/scripts/check_isa_symbols.sh OBJECT...   (ctest passes the library's objects as one
#                                                    ;-separated argument)
set -euo pipefail
status=0
checked=0
objects=()
for arg in "$@"; do
  IFS=';' read -ra parts <<< "$arg"
  objects+=("${parts[@]}")
done
for obj in "${objects[@]}"; do
  case "$(basename "$obj")" in
    *avx2* | *avx512*) ;;
    *) continue ;;
  esac
  checked=$((checked + 1))
  # DW.ref.__gxx_personality_v0: the exception-handling personality pointer, data not code.
  merged=$(nm -C --defined-only "$obj" | awk '$2 ~ /^[WVu]$/ && $3 !~ /^DW\.ref\./' || true)
  if [[ -n "$merged" ]]; then
    echo "$obj defines symbols the linker may merge across instruction sets:" >&2
    echo "$merged" >&2
    status=1
  fi
done
if [[ $checked -eq 0 ]]; then
  echo "no per-ISA object among the arguments" >&2
  exit 1
fi
if [[ $status -eq 0 ]]; then
  echo "$checked per-ISA objects: no mergeable definitions"
fi
exit $status
