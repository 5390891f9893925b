/*
 * PNG encoding of RGB8 images with libpng, into memory (the caller writes the file, so a
 * partial file never appears under the final name). libpng reports fatal errors with
 * longjmp; the setjmp stays here and the function always returns a status and a message.
 */
#include "codecs_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct png_memory_writer {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
    int out_of_memory;
    char message[256];
} png_memory_writer;

static void on_encode_error(png_structp png, png_const_charp text) {
    png_memory_writer *w = (png_memory_writer *)png_get_error_ptr(png);
    cvr_copy_text(w->message, sizeof w->message, text);
    png_longjmp(png, 1);
}

static void on_encode_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void on_write(png_structp png, png_bytep data, size_t length) {
    png_memory_writer *w = (png_memory_writer *)png_get_io_ptr(png);
    if (w->size + length > w->capacity) {
        size_t capacity = w->capacity ? w->capacity : 65536;
        while (capacity < w->size + length) capacity *= 2;
        uint8_t *grown = (uint8_t *)realloc(w->bytes, capacity);
        if (grown == NULL) {
            w->out_of_memory = 1;
            png_error(png, "out of memory");
        }
        w->bytes = grown;
        w->capacity = capacity;
    }
    memcpy(w->bytes + w->size, data, length);
    w->size += length;
}

static void on_flush(png_structp png) { (void)png; }

cvr_status cvr_encode_png_rgb8(const uint8_t *rgb, int32_t width, int32_t height, uint8_t **out,
                               size_t *out_size, char *message, size_t message_capacity) {
    if (rgb == NULL || out == NULL || out_size == NULL || width <= 0 || height <= 0 ||
        width > 0x7fffffff / 3) {
        cvr_set_message(message, message_capacity, "invalid arguments to the PNG encoder");
        return CVR_ERR_INVALID_ARGUMENT;
    }
    *out = NULL;
    *out_size = 0;
    /* volatile: modified between setjmp and a possible longjmp. */
    png_memory_writer *volatile w = (png_memory_writer *)calloc(1, sizeof(png_memory_writer));
    if (w == NULL) {
        cvr_set_message(message, message_capacity, "out of memory");
        return CVR_ERR_OUT_OF_MEMORY;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, w, on_encode_error, on_encode_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_write_struct(&png, NULL);
        free(w);
        cvr_set_message(message, message_capacity, "out of memory");
        return CVR_ERR_OUT_OF_MEMORY;
    }
    if (setjmp(png_jmpbuf(png))) {
        cvr_status status = w->out_of_memory ? CVR_ERR_OUT_OF_MEMORY : CVR_ERR_CORRUPT;
        cvr_set_message(message, message_capacity, "PNG encoding failed: %s", w->message);
        png_destroy_write_struct(&png, &info);
        free(w->bytes);
        free(w);
        return status;
    }
    png_set_write_fn(png, w, on_write, on_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int32_t y = 0; y < height; y++) {
        png_write_row(png, (png_const_bytep)(rgb + (size_t)y * (size_t)width * 3));
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = w->bytes;
    *out_size = w->size;
    free(w);
    return CVR_OK;
}

void cvr_free_encoded(uint8_t *bytes) { free(bytes); }
