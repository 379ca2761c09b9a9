#!/usr/bin/env bash
# Builds the large generated C++ guest (bench/guests/large) used to time asyncify on big modules.
#
#   scripts/build-large-guest.sh [1mb|5mb|20mb]     (default 5mb)  -> bench/guests/large/large-SIZE.wasm
#
# Generates the sources with bench/guests/large/generate.mjs into a temporary folder, compiles the translation
# units in parallel with clang++ -O2 for wasm32-wasi (WASI preview1 command, libc++ without exceptions) and links
# with wasm-ld, keeping the name section (--strip-debug drops only DWARF, which libc++'s archives carry). The link
# line has no -O, so clang never runs wasm-opt. LARGE_UNITS=N overrides the number of units for the chosen size.
# Prints one line: the output path, its size and the build time.
#
# Needs the Debian packages clang lld wasi-libc libclang-rt-dev-wasm32 libc++-dev-wasm32 libc++abi-14-dev-wasm32.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

size="${1:-5mb}"
case "$size" in
  1mb) units=73 ;;
  5mb) units=403 ;;
  20mb) units=1610 ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "build-large-guest: unknown size '$size' (use 1mb, 5mb or 20mb)" >&2; exit 2 ;;
esac
units="${LARGE_UNITS:-$units}"

CXX="${CXX:-clang++}"
CXXFLAGS=(--target=wasm32-wasi --sysroot=/usr -O2 -fno-exceptions -g0 -w)
LDFLAGS=(--target=wasm32-wasi --sysroot=/usr -fno-exceptions -Wl,--strip-debug)
# Debian 12 has no unversioned libc++abi-dev-wasm32; libc++-dev-wasm32 pulls in libc++abi-14-dev-wasm32.
PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 libc++-dev-wasm32 libc++abi-14-dev-wasm32)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "build-large-guest: missing Debian packages: ${missing[*]}" >&2
  echo "build-large-guest: run: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
command -v node >/dev/null 2>&1 || { echo "build-large-guest: node not found" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Toolchain probe: a tiny C++ program using libc++ must compile and link.
printf '#include <cstdio>\n#include <string>\nint main(){std::string s("ok");std::printf("%%s\\n",s.c_str());}\n' > "$work/probe.cpp"
if ! "$CXX" "${CXXFLAGS[@]}" -c "$work/probe.cpp" -o "$work/probe.o" 2>"$work/err" ||
   ! "$CXX" "${LDFLAGS[@]}" "$work/probe.o" -o "$work/probe.wasm" 2>>"$work/err"; then
  cat "$work/err" >&2
  echo "build-large-guest: $CXX cannot build C++ for wasm32-wasi; apt-get install -y ${PACKAGES[*]}" >&2
  exit 1
fi

start=$(date +%s%N)
node bench/guests/large/generate.mjs --units "$units" --out "$work/src" >&2
jobs="$(nproc 2>/dev/null || echo 2)"
# Compile from the source folder with relative names, so the build does not depend on the temp path.
(cd "$work/src" && ls -- *.cpp | xargs -P "$jobs" -I{} "$CXX" "${CXXFLAGS[@]}" -c {} -o {}.o)
out="bench/guests/large/large-$size.wasm"
"$CXX" "${LDFLAGS[@]}" "$work"/src/*.o -o "$work/large.wasm"
mv "$work/large.wasm" "$out"
end=$(date +%s%N)
bytes=$(wc -c < "$out")
awk -v out="$out" -v b="$bytes" -v u="$units" -v ns="$((end - start))" \
  'BEGIN { printf "%s %d bytes (%.2f MiB, %d units, built in %.0f s)\n", out, b, b / 1048576, u, ns / 1e9 }'
