/* cpuloop.c linked with -O2: clang runs binaryen's wasm-opt -O2 on the module (Debian's binaryen package must be
 * installed, as .ci/run does), which inlines the helpers into main. */
// build-link-flags: -O2
#include "cpuloop.c"
