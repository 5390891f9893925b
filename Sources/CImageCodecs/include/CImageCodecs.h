#ifndef CVRNET_CIMAGECODECS_H
#define CVRNET_CIMAGECODECS_H
/*
 * PNG (libpng) and JPEG (libjpeg-turbo) decoding to 8-bit RGB exactly as Keras
 * `load_img` sees an image: PIL `Image.open(...)` followed by `convert("RGB")`;
 * and PNG encoding of RGB8 images (the heatmap overlays cvrnet writes).
 *
 * Both libraries report fatal errors with longjmp. Every setjmp/longjmp stays
 * inside this C target: the functions below always return normally, with a
 * status code and a NUL-terminated message. They decode from a memory buffer,
 * never from a file, so one entry point serves files, tests and fuzzing.
 *
 * Layout of every RGB8 buffer: row-major, height rows of width pixels, 3 bytes
 * per pixel in R, G, B order, no row padding (row stride = 3 * width bytes).
 *
 * Thread safety: no mutable global state (one table built once under pthread_once);
 * concurrent calls are fine.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Result of every decoding call. */
typedef enum cvr_status {
    CVR_OK = 0,
    /* Neither a PNG nor a JPEG signature (checked by magic bytes). */
    CVR_ERR_UNKNOWN_FORMAT = 1,
    /* The data ends before the image is complete (PIL: "image file is truncated"). */
    CVR_ERR_TRUNCATED = 2,
    /* The library rejected the data; the message holds its explanation. */
    CVR_ERR_CORRUPT = 3,
    /* width * height exceeds the caller's max_pixels; checked from the header
     * before any image-sized allocation. */
    CVR_ERR_TOO_MANY_PIXELS = 4,
    /* Valid file of a kind PIL cannot open either (e.g. 12-bit JPEG). */
    CVR_ERR_UNSUPPORTED = 5,
    CVR_ERR_OUT_OF_MEMORY = 6,
    /* Bad arguments (NULL pointers, output buffer too small). */
    CVR_ERR_INVALID_ARGUMENT = 7
} cvr_status;

/* Container format, detected from the first bytes. */
typedef enum cvr_format {
    CVR_FORMAT_UNKNOWN = 0,
    CVR_FORMAT_PNG = 1,
    CVR_FORMAT_JPEG = 2
} cvr_format;

/* How 16-bit PNG samples become 8 bits. */
typedef enum cvr_sixteen_bit {
    /* PIL / Keras: gray 'I;16' clipped at 255 (min(v, 255));
     * 16-bit RGB, RGBA and gray+alpha keep the high byte (v >> 8). */
    CVR_SIXTEEN_BIT_PIL = 0,
    /* Every 16-bit sample becomes (v * 255 + 32767) / 65535 (rounded). Not what Keras does. */
    CVR_SIXTEEN_BIT_RESCALE = 1
} cvr_sixteen_bit;

/* Decoder options. */
typedef struct cvr_decode_options {
    /* Refuse images with width * height > max_pixels (<= 0: no limit). */
    int64_t max_pixels;
    /* A cvr_sixteen_bit value. */
    int32_t sixteen_bit;
} cvr_decode_options;

/* What the header (and, after decoding, the pixels) told us. */
typedef struct cvr_image_info {
    int32_t format;             /* cvr_format */
    int32_t width;              /* pixels */
    int32_t height;             /* pixels */
    int32_t bit_depth;          /* bits per sample in the file: 1, 2, 4, 8 or 16 */
    /* PNG: colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA).
     * JPEG: number of components (1, 3 or 4). */
    int32_t color_type;
    /* The mode PIL's Image.open reports ("1", "L", "I;16", "P", "LA", "RGB",
     * "RGBA", "CMYK"), NUL-terminated. */
    char pil_mode[8];
    int32_t interlaced;         /* Adam7 PNG or progressive JPEG */
    int32_t has_alpha;          /* an alpha channel is present (convert("RGB") drops it) */
    int32_t has_transparency;   /* PNG tRNS chunk present (convert("RGB") ignores it) */
    int32_t palette_entries;    /* PNG PLTE entries (0 if none) */
    int32_t exif_orientation;   /* EXIF Orientation tag 1..8; 0 if absent. Never applied. */
    int32_t jpeg_color_space;   /* libjpeg J_COLOR_SPACE of the file (0 for PNG) */
    /* --- filled by cvr_decode_rgb8 only --- */
    int32_t sixteen_bit_max;    /* largest 16-bit sample seen in a gray 'I;16' image */
    int32_t palette_index_out_of_range; /* some index >= palette_entries (PIL: black) */
    int32_t checksum_errors_ignored;    /* CRC mismatches in IDAT or later chunks (PIL ignores them) */
    int32_t rows_missing;       /* PNG zlib stream ended early: these rows left black, as PIL */
    int32_t trailing_error;     /* an error after the last image row was ignored, as PIL does */
    int32_t warnings;           /* JPEG: libjpeg warnings ("Corrupt JPEG data ..."), ignored as PIL does */
    char first_warning[160];    /* first JPEG warning, or the PNG error ignored after the last row */
} cvr_image_info;

/* Which container the bytes start with (PNG signature or JPEG SOI + marker). */
cvr_format cvr_detect_format(const uint8_t *data, size_t size);

/*
 * Reads the header only: size, mode, EXIF orientation. Applies the pixel limit.
 * Cheap: no image-sized allocation. `message` receives a NUL-terminated
 * explanation on failure (capacity >= 1; 256 is plenty).
 */
cvr_status cvr_probe(const uint8_t *data, size_t size, const cvr_decode_options *options,
                     cvr_image_info *info, char *message, size_t message_capacity);

/*
 * Decodes the whole image into `out` as RGB8 (see layout above), with PIL's
 * convert("RGB") rules. `out_size` must be >= 3 * width * height (call
 * cvr_probe first). On failure the contents of `out` are unspecified.
 */
cvr_status cvr_decode_rgb8(const uint8_t *data, size_t size, const cvr_decode_options *options,
                           uint8_t *out, size_t out_size, cvr_image_info *info,
                           char *message, size_t message_capacity);

/* ---- Row conversions (PIL's convert("RGB") rules), exposed for tests ---- */

/*
 * Converts one row of PNG samples to RGB8.
 * Input layout: bit depths 1, 2, 4, 8: one byte per sample holding the raw value
 * (0 .. 2^depth - 1, i.e. libpng's png_set_packing output); depth 16: two bytes
 * per sample, big-endian (PNG order). Samples per pixel by colour type:
 * 0 -> 1, 2 -> 3, 3 -> 1 (palette index), 4 -> 2, 6 -> 4.
 * `palette_rgb` (colour type 3 only) holds 256 RGB triplets; entries past the
 * file's PLTE must be zero (PIL shows indices past the palette as black).
 * `sixteen_bit_max` (may be NULL) is raised to the largest gray 16-bit sample.
 */
void cvr_png_row_to_rgb8(const uint8_t *in, uint8_t *out, uint32_t width, int32_t color_type,
                         int32_t bit_depth, const uint8_t *palette_rgb, int32_t sixteen_bit,
                         int32_t *sixteen_bit_max);

/*
 * Converts one row of 4-byte CMYK samples, as libjpeg outputs an Adobe-style
 * CMYK/YCCK JPEG, to RGB8 the way PIL does: PIL always reads JPEG CMYK as
 * inverted ("CMYK;I") and then applies its cmyk2rgb conversion.
 */
void cvr_jpeg_cmyk_row_to_rgb8(const uint8_t *in, uint8_t *out, uint32_t width);

/*
 * EXIF Orientation (tag 0x0112) from a TIFF-structured EXIF block (starting at
 * "II*\0" / "MM\0*", an optional "Exif\0\0" prefix is skipped). 0 if absent or malformed.
 */
int32_t cvr_exif_orientation(const uint8_t *exif, size_t size);

/* ---- Encoding ---- */

/*
 * Encodes an RGB8 image (layout above) as an 8-bit RGB PNG (no interlace, default
 * compression) into a buffer allocated here: on CVR_OK `*out` holds `*out_size` bytes,
 * to be released with cvr_free_encoded. On failure `*out` is NULL.
 */
cvr_status cvr_encode_png_rgb8(const uint8_t *rgb, int32_t width, int32_t height, uint8_t **out,
                               size_t *out_size, char *message, size_t message_capacity);

/* Releases a buffer returned by cvr_encode_png_rgb8. */
void cvr_free_encoded(uint8_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
