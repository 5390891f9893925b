#ifndef CVRNET_CZIP_SHIM_H
#define CVRNET_CZIP_SHIM_H
// libzip (Debian libzip-dev): reads Keras 3 .keras archives.
#include <zip.h>
#endif
