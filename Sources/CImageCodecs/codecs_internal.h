/* Internal declarations shared by the C files of CImageCodecs (not part of the module API). */
#ifndef CVRNET_CODECS_INTERNAL_H
#define CVRNET_CODECS_INTERNAL_H

#include "CImageCodecs.h"

#include <stdarg.h>

/* Formats a message into a caller buffer; always NUL-terminates when capacity > 0. */
void cvr_set_message(char *message, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies at most capacity - 1 bytes of text and NUL-terminates. */
void cvr_copy_text(char *destination, size_t capacity, const char *text);

/* width * height against the caller's limit; fills the message on refusal. */
cvr_status cvr_check_pixel_limit(int64_t width, int64_t height, const cvr_decode_options *options,
                                 char *message, size_t message_capacity);

/* CRC-32 as PNG uses it (ISO 3309 polynomial), continuing from `crc` (start with 0). */
uint32_t cvr_crc32(uint32_t crc, const uint8_t *bytes, size_t count);

/*
 * Format decoders. With out == NULL they stop after the header (probe).
 * Otherwise out has room for 3 * width * height bytes.
 */
cvr_status cvr_png_decode(const uint8_t *data, size_t size, const cvr_decode_options *options,
                          uint8_t *out, size_t out_size, cvr_image_info *info,
                          char *message, size_t message_capacity);
cvr_status cvr_jpeg_decode(const uint8_t *data, size_t size, const cvr_decode_options *options,
                           uint8_t *out, size_t out_size, cvr_image_info *info,
                           char *message, size_t message_capacity);

#endif
