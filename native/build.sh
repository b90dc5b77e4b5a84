#!/bin/sh
# Builds native/train_kernels.wasm from train_kernels.c (needs Debian's clang and lld: apt-get install -y clang lld).
# The built .wasm is committed, so machines without a compiler need not run this.
set -eu
cd "$(dirname "$0")"
out="${1:-train_kernels.wasm}"
clang --target=wasm32 -msimd128 -O3 -ffast-math -fno-builtin -nostdlib \
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all \
  -o "$out" train_kernels.c
echo "built $out ($(wc -c < "$out") bytes)"
# The kernels share the tfjs heap, so they must not keep a stack or globals of their own there.
if command -v llvm-objdump >/dev/null 2>&1 && llvm-objdump -d "$out" | grep -q 'global\.\(get\|set\)'; then
  echo "error: $out uses a global (stack pointer?); keep the kernels free of stack arrays" >&2
  exit 1
fi
