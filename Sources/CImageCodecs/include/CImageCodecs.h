#ifndef CVRNET_CIMAGECODECS_H
#define CVRNET_CIMAGECODECS_H
// Placeholder; the PNG/JPEG decoding shim is filled in by the image-input work.
int cvr_image_codecs_version(void);
#endif
