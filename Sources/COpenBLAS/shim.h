#ifndef CVRNET_COPENBLAS_SHIM_H
#define CVRNET_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
