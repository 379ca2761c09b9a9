#!/usr/bin/env bash
# Builds the C guest programs (WASI preview1 test fixtures, benchmark guests, the bundled example) into .wasm files.
#
#   scripts/build-guests.sh           build test/fixtures/guests/src/*.c -> test/fixtures/guests/<name>.wasm
#                                           bench/guests/src/*.c         -> bench/guests/<name>.wasm
#                                     and   examples/guests/*.c          -> examples/guests/<name>.wasm
#   scripts/build-guests.sh --check   build into a temp dir and fail (exit 1) if a committed .wasm differs
#                                     from a fresh build, or is missing, naming each such file
#
# Needs clang with the wasm32-wasi target: Debian packages clang lld wasi-libc libclang-rt-dev-wasm32.
#
# Each program is compiled with -O2 and linked WITHOUT -O (with -O on the link line clang runs wasm-opt,
# when installed, and that drops the name section, which the debugger and trap messages use). Link flags:
# --strip-debug (no DWARF; keeps the name section), --export=__stack_pointer (so a runtime can inspect the
# shadow stack). Exporting a mutable global needs the mutable-globals feature in the inputs, hence
# -mmutable-globals at compile time (clang 14's wasm-ld refuses the export otherwise).
#
# A source may ask for extra link flags with a line of the form
#   // build-link-flags: -Wl,--max-memory=33554432
# (used by trap.c so the `oom` mode has a small, runtime-independent memory ceiling), and for extra compile flags
# with `// build-flags: ...`; with -g there the module keeps its DWARF (it is linked without --strip-debug), and
# -fdebug-compilation-dir=. keeps the build reproducible (steps.c: the debugger's source lines).
#
# Builds are reproducible: sources are compiled from their own directory with relative names, without -g,
# so two builds of the same tree give identical bytes.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

CLANG="${CLANG:-clang}"
CFLAGS=(--target=wasm32-wasi -O2 -mmutable-globals -Wall -Wextra -Wno-unused-parameter -Wno-unused-result -Werror)
LDFLAGS=(--target=wasm32-wasi -Wl,--strip-debug -Wl,--export=__stack_pointer)
PACKAGES="clang lld wasi-libc libclang-rt-dev-wasm32"

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "build-guests: unknown argument '$1' (use --check or nothing)" >&2; exit 2 ;;
esac

die_toolchain() {
  echo "build-guests: $1" >&2
  echo "build-guests: install the WASI C toolchain: apt-get install -y $PACKAGES" >&2
  exit 1
}

# Toolchain probe: a tiny program must compile and link for wasm32-wasi.
command -v "$CLANG" >/dev/null 2>&1 || die_toolchain "'$CLANG' not found"
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '#include <stdio.h>\nint main(void){puts("ok");return 0;}\n' > "$probe/probe.c"
if ! "$CLANG" "${CFLAGS[@]}" -c "$probe/probe.c" -o "$probe/probe.o" 2>"$probe/err"; then
  cat "$probe/err" >&2
  die_toolchain "clang cannot compile for wasm32-wasi (missing wasi-libc headers or wasm32 target?)"
fi
if ! "$CLANG" "${LDFLAGS[@]}" "$probe/probe.o" -o "$probe/probe.wasm" 2>"$probe/err"; then
  cat "$probe/err" >&2
  die_toolchain "clang cannot link for wasm32-wasi (missing wasm-ld from lld, wasi-libc, or libclang_rt.builtins-wasm32 from libclang-rt-dev-wasm32?)"
fi

# build_one SRC_DIR NAME OUT_WASM TMP_DIR
build_one() {
  local src_dir="$1" name="$2" out="$3" tmp="$4"
  local extra=() cextra=() ldflags=("${LDFLAGS[@]}")
  local line
  line="$(grep -m1 -E '^// build-link-flags:' "$src_dir/$name.c" || true)"
  if [ -n "$line" ]; then
    # shellcheck disable=SC2206
    extra=(${line#// build-link-flags:})
  fi
  line="$(grep -m1 -E '^// build-flags:' "$src_dir/$name.c" || true)"
  if [ -n "$line" ]; then
    # shellcheck disable=SC2206
    cextra=(${line#// build-flags:})
    case " ${cextra[*]} " in *" -g "*) ldflags=("${ldflags[@]/-Wl,--strip-debug/}") ;; esac
  fi
  (cd "$src_dir" && "$CLANG" "${CFLAGS[@]}" ${cextra[@]+"${cextra[@]}"} -c "$name.c" -o "$tmp/$name.o")
  "$CLANG" ${ldflags[@]+"${ldflags[@]}"} ${extra[@]+"${extra[@]}"} "$tmp/$name.o" -o "$out"
}

failed=0
built=0
for pair in "test/fixtures/guests:test/fixtures/guests/src" "bench/guests:bench/guests/src" "examples/guests:examples/guests"; do
  out_dir="${pair%%:*}"
  src_dir="${pair##*:}"
  [ -d "$src_dir" ] || continue
  shopt -s nullglob
  sources=("$src_dir"/*.c)
  shopt -u nullglob
  for src in "${sources[@]}"; do
    name="$(basename "$src" .c)"
    work="$(mktemp -d "$probe/build.XXXXXX")"
    if [ "$check" -eq 1 ]; then
      build_one "$src_dir" "$name" "$work/$name.wasm" "$work"
      if [ ! -f "$out_dir/$name.wasm" ]; then
        echo "build-guests --check: $out_dir/$name.wasm is missing (run scripts/build-guests.sh)" >&2
        failed=1
      elif ! cmp -s "$work/$name.wasm" "$out_dir/$name.wasm"; then
        echo "build-guests --check: $out_dir/$name.wasm differs from a fresh build of $src (run scripts/build-guests.sh)" >&2
        failed=1
      fi
    else
      build_one "$src_dir" "$name" "$work/$name.wasm" "$work"
      mv "$work/$name.wasm" "$out_dir/$name.wasm"
      echo "built $out_dir/$name.wasm ($(wc -c < "$out_dir/$name.wasm") bytes)"
    fi
    built=$((built + 1))
  done
done

if [ "$built" -eq 0 ]; then
  echo "build-guests: no sources found under test/fixtures/guests/src, bench/guests/src or examples/guests" >&2
  exit 1
fi
if [ "$check" -eq 1 ]; then
  if [ "$failed" -ne 0 ]; then exit 1; fi
  echo "build-guests --check: $built guest(s) match their sources"
fi
