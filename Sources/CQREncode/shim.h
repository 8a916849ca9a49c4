#ifndef FLYTEAUTH_CQRENCODE_SHIM_H
#define FLYTEAUTH_CQRENCODE_SHIM_H
#include <qrencode.h>
#endif
