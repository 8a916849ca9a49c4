// hypotf bound to its first glibc version (2.2.5) instead of glibc 2.35's new default.
// The static Swift Glibc overlay (libswiftGlibc.a) references hypotf; linked on Debian 12
// that reference alone made the library and the tool need GLIBC_2.35, so the Python wheel
// could not claim manylinux_2_34 (RHEL 9, Amazon Linux 2023). Both versions compute the
// same function; 2.35 only made it faster. Hidden: the overlay's reference resolves here,
// and nothing is exported.
#include "CGlibcCompat.h"

float fa_hypotf_glibc_2_2_5(float x, float y);
__asm__(".symver fa_hypotf_glibc_2_2_5, hypotf@GLIBC_2.2.5");

__attribute__((visibility("hidden"))) float hypotf(float x, float y) {
    return fa_hypotf_glibc_2_2_5(x, y);
}
