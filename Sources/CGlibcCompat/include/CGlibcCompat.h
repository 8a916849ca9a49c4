// Nothing to import: CGlibcCompat only pins glibc symbol versions at link time (hypotf.c).
#ifndef CGLIBCCOMPAT_H
#define CGLIBCCOMPAT_H
#endif
