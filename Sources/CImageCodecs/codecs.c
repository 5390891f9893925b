#include "CImageCodecs.h"
#include <png.h>
#include <jpeglib.h>
int cvr_image_codecs_version(void) { return (int)png_access_version_number() + JPEG_LIB_VERSION * 0; }
