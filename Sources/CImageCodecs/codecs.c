/* Entry points: format detection by magic bytes, probe/decode dispatch, shared helpers. */
#include "codecs_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

void cvr_set_message(char *message, size_t capacity, const char *format, ...) {
    if (message == NULL || capacity == 0) return;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, capacity, format, arguments);
    va_end(arguments);
}

void cvr_copy_text(char *destination, size_t capacity, const char *text) {
    if (destination == NULL || capacity == 0) return;
    size_t length = text == NULL ? 0 : strlen(text);
    if (length >= capacity) length = capacity - 1;
    if (length > 0) memcpy(destination, text, length);
    destination[length] = '\0';
}

cvr_status cvr_check_pixel_limit(int64_t width, int64_t height, const cvr_decode_options *options,
                                 char *message, size_t message_capacity) {
    int64_t limit = options == NULL ? 0 : options->max_pixels;
    if (limit > 0 && width > 0 && height > 0 && width > limit / height + 1) {
        /* Certainly above the limit (and width * height might overflow). */
        cvr_set_message(message, message_capacity,
                        "%lld x %lld pixels exceeds the limit of %lld pixels",
                        (long long)width, (long long)height, (long long)limit);
        return CVR_ERR_TOO_MANY_PIXELS;
    }
    if (limit > 0 && width * height > limit) {
        cvr_set_message(message, message_capacity,
                        "%lld x %lld = %lld pixels exceeds the limit of %lld pixels",
                        (long long)width, (long long)height, (long long)(width * height),
                        (long long)limit);
        return CVR_ERR_TOO_MANY_PIXELS;
    }
    return CVR_OK;
}

static uint32_t crc_table[256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void build_crc_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

uint32_t cvr_crc32(uint32_t crc, const uint8_t *bytes, size_t count) {
    pthread_once(&crc_table_once, build_crc_table);
    crc = ~crc;
    for (size_t i = 0; i < count; i++) crc = crc_table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

cvr_format cvr_detect_format(const uint8_t *data, size_t size) {
    static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (data == NULL) return CVR_FORMAT_UNKNOWN;
    if (size >= 8 && memcmp(data, png_signature, 8) == 0) return CVR_FORMAT_PNG;
    /* PIL's JpegImagePlugin accepts a file starting with FF D8 FF. */
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return CVR_FORMAT_JPEG;
    return CVR_FORMAT_UNKNOWN;
}

static cvr_status dispatch(const uint8_t *data, size_t size, const cvr_decode_options *options,
                           uint8_t *out, size_t out_size, cvr_image_info *info, char *message,
                           size_t message_capacity) {
    if (message != NULL && message_capacity > 0) message[0] = '\0';
    if (info == NULL || (data == NULL && size > 0)) {
        cvr_set_message(message, message_capacity, "invalid argument");
        return CVR_ERR_INVALID_ARGUMENT;
    }
    memset(info, 0, sizeof *info);
    cvr_decode_options defaults = {0, CVR_SIXTEEN_BIT_PIL};
    if (options == NULL) options = &defaults;
    switch (cvr_detect_format(data, size)) {
    case CVR_FORMAT_PNG:
        info->format = CVR_FORMAT_PNG;
        return cvr_png_decode(data, size, options, out, out_size, info, message, message_capacity);
    case CVR_FORMAT_JPEG:
        info->format = CVR_FORMAT_JPEG;
        return cvr_jpeg_decode(data, size, options, out, out_size, info, message, message_capacity);
    default:
        cvr_set_message(message, message_capacity, "neither a PNG nor a JPEG signature");
        return CVR_ERR_UNKNOWN_FORMAT;
    }
}

cvr_status cvr_probe(const uint8_t *data, size_t size, const cvr_decode_options *options,
                     cvr_image_info *info, char *message, size_t message_capacity) {
    return dispatch(data, size, options, NULL, 0, info, message, message_capacity);
}

cvr_status cvr_decode_rgb8(const uint8_t *data, size_t size, const cvr_decode_options *options,
                           uint8_t *out, size_t out_size, cvr_image_info *info,
                           char *message, size_t message_capacity) {
    if (out == NULL) {
        if (message != NULL && message_capacity > 0) cvr_set_message(message, message_capacity, "no output buffer");
        return CVR_ERR_INVALID_ARGUMENT;
    }
    return dispatch(data, size, options, out, out_size, info, message, message_capacity);
}
