/*
 * PNG decoding with libpng, shaped to match what PIL does with the same bytes.
 *
 * PIL reads a PNG in two steps, and this decoder mirrors both:
 *  1. Image.open walks the chunks before the first IDAT and verifies every one
 *     of their CRCs ("broken PNG file (bad header checksum ...)"); a file that
 *     ends there is truncated. Our own pre-scan does the same and reads IHDR,
 *     so the pixel limit is applied before libpng allocates anything.
 *  2. Loading inflates the IDAT data. PIL does NOT verify CRCs of IDAT or of
 *     later chunks, stops caring once all rows are decoded (missing IEND,
 *     trailing garbage, a missing final CRC are all accepted), leaves rows
 *     black when the zlib stream ends early, and reports "image file is
 *     truncated" when the data runs out first. libpng is told to use data
 *     with bad CRCs (counted, not fatal), errors after the last row are
 *     ignored, and running out of data before the last row is an error.
 *
 * libpng's progressive reader is used (data pushed from memory, rows pulled
 * through a callback), without libpng's interlace handling: rows of an
 * Adam7 pass are converted and scattered straight into the RGB8 output, so
 * no full-size intermediate buffer exists for any PNG. No gamma, background,
 * alpha or colour-space transform is requested, as PIL applies none.
 */
#include "codecs_internal.h"

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* Adam7 geometry per pass: first row, row step, first column, column step. */
static const uint32_t adam7_row_start[7] = {0, 0, 4, 0, 2, 0, 1};
static const uint32_t adam7_row_step[7] = {8, 8, 8, 4, 4, 2, 2};
static const uint32_t adam7_col_start[7] = {0, 4, 0, 2, 0, 1, 0};
static const uint32_t adam7_col_step[7] = {8, 8, 4, 4, 2, 2, 1};

static uint32_t adam7_count(uint32_t size, uint32_t start, uint32_t step) {
    return size > start ? (size - start + step - 1) / step : 0;
}

static uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* PIL's mode for a (bit depth, colour type) pair (PngImagePlugin._MODES); NULL if PIL has none. */
static const char *pil_mode_for(int bit_depth, int color_type) {
    switch (color_type) {
    case 0:
        switch (bit_depth) {
        case 1: return "1";
        case 2: case 4: case 8: return "L";
        case 16: return "I;16";
        default: return NULL;
        }
    case 2: return (bit_depth == 8 || bit_depth == 16) ? "RGB" : NULL;
    case 3: return (bit_depth == 1 || bit_depth == 2 || bit_depth == 4 || bit_depth == 8) ? "P" : NULL;
    case 4: return bit_depth == 8 ? "LA" : bit_depth == 16 ? "RGBA" : NULL; /* LA;16B opens as RGBA */
    case 6: return (bit_depth == 8 || bit_depth == 16) ? "RGBA" : NULL;
    default: return NULL;
    }
}

static int is_chunk_letter(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/*
 * Step 1: walk the chunks up to the first IDAT as PIL's Image.open does.
 * Fills info (size, mode, tRNS, PLTE count, EXIF orientation from eXIf).
 */
static cvr_status png_prescan(const uint8_t *data, size_t size, cvr_image_info *info, size_t *first_idat,
                              char *message, size_t message_capacity) {
    size_t pos = 8;
    int seen_header = 0;
    for (;;) {
        if (size - pos < 8) {
            cvr_set_message(message, message_capacity,
                            "the data ends after %zu bytes, before any image data", size);
            return CVR_ERR_TRUNCATED;
        }
        uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4;
        char name[5] = {0};
        for (int i = 0; i < 4; i++) name[i] = is_chunk_letter(type[i]) ? (char)type[i] : '?';
        if (!is_chunk_letter(type[0]) || !is_chunk_letter(type[1]) || !is_chunk_letter(type[2]) ||
            !is_chunk_letter(type[3])) {
            cvr_set_message(message, message_capacity, "invalid chunk type at byte %zu", pos + 4);
            return CVR_ERR_CORRUPT;
        }
        if (!seen_header && memcmp(type, "IHDR", 4) != 0) {
            cvr_set_message(message, message_capacity, "the first chunk is %s, not IHDR", name);
            return CVR_ERR_CORRUPT;
        }
        if (memcmp(type, "IDAT", 4) == 0) { /* PIL checks no CRC from here on */
            *first_idat = pos;
            break;
        }
        if (memcmp(type, "IEND", 4) == 0) {
            cvr_set_message(message, message_capacity, "IEND before any image data");
            return CVR_ERR_CORRUPT;
        }
        if ((size_t)length + 4 > size - pos - 8) {
            cvr_set_message(message, message_capacity,
                            "the data ends inside the %s chunk, before any image data", name);
            return CVR_ERR_TRUNCATED;
        }
        const uint8_t *body = data + pos + 8;
        uint32_t stored = be32(body + length);
        if (cvr_crc32(0, type, 4 + (size_t)length) != stored) {
            cvr_set_message(message, message_capacity, "bad CRC checksum in the %s chunk", name);
            return CVR_ERR_CORRUPT;
        }
        if (memcmp(type, "IHDR", 4) == 0) {
            if (seen_header || length < 13) {
                cvr_set_message(message, message_capacity, "invalid IHDR chunk");
                return CVR_ERR_CORRUPT;
            }
            seen_header = 1;
            uint32_t width = be32(body), height = be32(body + 4);
            int depth = body[8], color_type = body[9];
            if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu) {
                cvr_set_message(message, message_capacity, "invalid size %u x %u in IHDR", width, height);
                return CVR_ERR_CORRUPT;
            }
            const char *mode = pil_mode_for(depth, color_type);
            if (mode == NULL) {
                cvr_set_message(message, message_capacity,
                                "bit depth %d is invalid for colour type %d", depth, color_type);
                return CVR_ERR_CORRUPT;
            }
            if (body[10] != 0 || body[11] != 0 || body[12] > 1) {
                cvr_set_message(message, message_capacity,
                                "unknown compression, filter or interlace method in IHDR");
                return CVR_ERR_CORRUPT;
            }
            info->width = (int32_t)width;
            info->height = (int32_t)height;
            info->bit_depth = depth;
            info->color_type = color_type;
            info->interlaced = body[12];
            info->has_alpha = color_type == 4 || color_type == 6;
            cvr_copy_text(info->pil_mode, sizeof info->pil_mode, mode);
        } else if (memcmp(type, "tRNS", 4) == 0) {
            info->has_transparency = 1;
        } else if (memcmp(type, "PLTE", 4) == 0) {
            info->palette_entries = (int32_t)(length / 3 > 256 ? 256 : length / 3);
        } else if (memcmp(type, "eXIf", 4) == 0 && info->exif_orientation == 0) {
            info->exif_orientation = cvr_exif_orientation(body, length);
        }
        pos += 12 + (size_t)length;
    }
    /* eXIf may also follow the image data; look without judging the rest of the file. */
    while (info->exif_orientation == 0 && size - pos >= 12) {
        uint32_t length = be32(data + pos);
        if (length > size - pos - 12) break;
        if (memcmp(data + pos + 4, "eXIf", 4) == 0) info->exif_orientation = cvr_exif_orientation(data + pos + 8, length);
        pos += 12 + (size_t)length;
    }
    return CVR_OK;
}

/*
 * After the image PIL's load_end walks the remaining chunks, tolerating a
 * missing IEND, a missing CRC or a chunk header cut short, but reading each
 * chunk body with _safe_read: a body cut short by the end of the data raises
 * "Truncated File Read". Same walk here, from the chunk after the one that
 * completed the image.
 */
static cvr_status png_check_tail(const uint8_t *data, size_t size, size_t pos, char *message,
                                 size_t message_capacity) {
    while (size - pos >= 8) {
        uint32_t length = be32(data + pos);
        const uint8_t *type = data + pos + 4;
        if (!is_chunk_letter(type[0]) || !is_chunk_letter(type[1]) || !is_chunk_letter(type[2]) ||
            !is_chunk_letter(type[3]) || memcmp(type, "IEND", 4) == 0)
            return CVR_OK;
        if ((size_t)length > size - pos - 8) {
            cvr_set_message(message, message_capacity, "the data ends inside the %.4s chunk after the image data",
                            (const char *)type);
            return CVR_ERR_TRUNCATED;
        }
        if (size - pos - 8 - length < 4) return CVR_OK; /* CRC cut short: PIL stops quietly */
        pos += 12 + (size_t)length;
    }
    return CVR_OK;
}

/* State shared by the libpng callbacks of one decode. */
typedef struct png_context {
    const cvr_decode_options *options;
    cvr_image_info *info;
    uint8_t *out;
    uint32_t width, height;
    int color_type, bit_depth, interlaced;
    uint8_t palette[256 * 3];
    uint8_t *pass_row;      /* RGB8 scratch for one Adam7 pass row */
    uint64_t rows_expected; /* rows over all (non-empty) passes */
    uint64_t rows_done;
    int reached_end;        /* IEND processed */
    size_t fed;             /* bytes handed to libpng so far (whole chunks) */
    size_t first_idat;      /* offset of the first IDAT chunk */
    int adler_mismatch;     /* zlib's Adler-32 check of the image data failed */
    char error[160];
} png_context;

static void on_error(png_structp png, png_const_charp text) {
    png_context *ctx = (png_context *)png_get_error_ptr(png);
    cvr_copy_text(ctx->error, sizeof ctx->error, text);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    png_context *ctx = (png_context *)png_get_error_ptr(png);
    if (text != NULL && strstr(text, "CRC error") != NULL) {
        ctx->info->checksum_errors_ignored++;
        return;
    }
    /* libpng only warns; PIL fails ("broken data stream"), so this becomes an error. */
    if (text != NULL && strstr(text, "ADLER32") != NULL) ctx->adler_mismatch = 1;
    /* Other libpng warnings concern metadata (e.g. "iCCP: known incorrect sRGB profile")
     * or extra data after the image, which PIL ignores too; they are not reported. */
}

static void on_info(png_structp png, png_infop info_ptr) {
    png_context *ctx = (png_context *)png_get_progressive_ptr(png);
    png_uint_32 width, height;
    int bit_depth, color_type, interlace;
    png_get_IHDR(png, info_ptr, &width, &height, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (width != ctx->width || height != ctx->height || bit_depth != ctx->bit_depth || color_type != ctx->color_type)
        png_error(png, "IHDR changed between reads");
    /* One byte per sample for 1/2/4-bit data, values left unscaled (PIL's scaling is ours). */
    if (bit_depth < 8) png_set_packing(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_colorp entries = NULL;
        int count = 0;
        if (png_get_PLTE(png, info_ptr, &entries, &count) != 0 && entries != NULL) {
            if (count > 256) count = 256;
            for (int i = 0; i < count; i++) {
                ctx->palette[3 * i] = entries[i].red;
                ctx->palette[3 * i + 1] = entries[i].green;
                ctx->palette[3 * i + 2] = entries[i].blue;
            }
            ctx->info->palette_entries = count;
        }
    }
    png_read_update_info(png, info_ptr);
    if (ctx->interlaced) {
        ctx->pass_row = (uint8_t *)malloc((size_t)ctx->width * 3);
        if (ctx->pass_row == NULL) png_error(png, "out of memory");
    }
}

static void on_row(png_structp png, png_bytep row, png_uint_32 row_number, int pass) {
    png_context *ctx = (png_context *)png_get_progressive_ptr(png);
    if (row == NULL) return;
    size_t stride = (size_t)ctx->width * 3;
    if (!ctx->interlaced) {
        if (row_number >= ctx->height) png_error(png, "row number out of range");
        cvr_png_row_to_rgb8(row, ctx->out + stride * row_number, ctx->width, ctx->color_type, ctx->bit_depth,
                            ctx->palette, ctx->options->sixteen_bit, &ctx->info->sixteen_bit_max);
    } else {
        if (pass < 0 || pass > 6) png_error(png, "pass out of range");
        uint32_t y = adam7_row_start[pass] + row_number * adam7_row_step[pass];
        uint32_t columns = adam7_count(ctx->width, adam7_col_start[pass], adam7_col_step[pass]);
        if (y >= ctx->height || columns == 0) png_error(png, "row number out of range");
        cvr_png_row_to_rgb8(row, ctx->pass_row, columns, ctx->color_type, ctx->bit_depth, ctx->palette,
                            ctx->options->sixteen_bit, &ctx->info->sixteen_bit_max);
        uint8_t *target = ctx->out + stride * y + 3 * (size_t)adam7_col_start[pass];
        size_t step = 3 * (size_t)adam7_col_step[pass];
        const uint8_t *source = ctx->pass_row;
        for (uint32_t i = 0; i < columns; i++, source += 3, target += step) {
            target[0] = source[0];
            target[1] = source[1];
            target[2] = source[2];
        }
    }
    ctx->rows_done++;
}

static void on_end(png_structp png, png_infop info_ptr) {
    (void)info_ptr;
    png_context *ctx = (png_context *)png_get_progressive_ptr(png);
    ctx->reached_end = 1;
}

/* Runs libpng over the whole buffer; all setjmp/longjmp is confined to this function. */
static int run_libpng(png_context *ctx, const uint8_t *data, size_t size, int *out_of_memory) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    if (png == NULL) {
        *out_of_memory = 1;
        return 0;
    }
    png_infop info_ptr = png_create_info_struct(png);
    if (info_ptr == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        *out_of_memory = 1;
        return 0;
    }
    int ok = 1;
    if (setjmp(png_jmpbuf(png))) {
        ok = 0;
    } else {
        /* CRCs before IDAT were verified by the pre-scan, as PIL does; later ones PIL ignores. */
        png_set_crc_action(png, PNG_CRC_WARN_USE, PNG_CRC_WARN_USE);
        /* The caller's pixel limit governs, not libpng's default 1,000,000-pixel sides. */
        png_set_user_limits(png, 0x7FFFFFFFu, 0x7FFFFFFFu);
        png_set_progressive_read_fn(png, ctx, on_info, on_row, on_end);
        /* Feed one chunk at a time and stop once the last row is out, as PIL
         * stops decoding there: nothing later can fail the image in libpng. */
        ctx->fed = 0;
        while (ctx->fed < size && ctx->rows_done < ctx->rows_expected && !ctx->reached_end) {
            size_t pos = ctx->fed, piece = size - pos;
            if (pos == 0) {
                piece = ctx->first_idat; /* signature and every chunk before the image data */
            } else if (size - pos >= 12) {
                uint32_t length = be32(data + pos);
                if ((size_t)length <= size - pos - 12) {
                    piece = 12 + (size_t)length;
                } else if ((size_t)length > size - pos - 8 && memcmp(data + pos + 4, "IDAT", 4) == 0) {
                    /* An IDAT claiming more bytes than remain: PIL reads what there is
                     * (short reads are not errors there); tell libpng the true length. */
                    size_t available = size - pos - 8;
                    if (available > 0x7FFFFFFFu) available = 0x7FFFFFFFu;
                    uint8_t header[8] = {(uint8_t)(available >> 24), (uint8_t)(available >> 16),
                                         (uint8_t)(available >> 8), (uint8_t)available, 'I', 'D', 'A', 'T'};
                    png_process_data(png, info_ptr, header, 8);
                    pos += 8;
                    piece = available;
                }
            }
            png_process_data(png, info_ptr, (png_bytep)(data + pos), piece);
            ctx->fed = pos + piece;
        }
    }
    png_destroy_read_struct(&png, &info_ptr, NULL);
    return ok;
}

cvr_status cvr_png_decode(const uint8_t *data, size_t size, const cvr_decode_options *options,
                          uint8_t *out, size_t out_size, cvr_image_info *info,
                          char *message, size_t message_capacity) {
    size_t first_idat = 0;
    cvr_status status = png_prescan(data, size, info, &first_idat, message, message_capacity);
    if (status != CVR_OK) return status;
    status = cvr_check_pixel_limit(info->width, info->height, options, message, message_capacity);
    if (status != CVR_OK || out == NULL) return status;

    size_t stride = (size_t)info->width * 3;
    if ((size_t)info->height > out_size / stride) {
        cvr_set_message(message, message_capacity, "output buffer too small");
        return CVR_ERR_INVALID_ARGUMENT;
    }

    png_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.options = options;
    ctx.info = info;
    ctx.out = out;
    ctx.width = (uint32_t)info->width;
    ctx.height = (uint32_t)info->height;
    ctx.color_type = info->color_type;
    ctx.bit_depth = info->bit_depth;
    ctx.interlaced = info->interlaced;
    ctx.first_idat = first_idat;
    if (ctx.interlaced) {
        for (int pass = 0; pass < 7; pass++) {
            if (adam7_count(ctx.width, adam7_col_start[pass], adam7_col_step[pass]) > 0)
                ctx.rows_expected += adam7_count(ctx.height, adam7_row_start[pass], adam7_row_step[pass]);
        }
        /* Pixels of passes never delivered stay black, as in PIL's zero-initialised image. */
        memset(out, 0, stride * ctx.height);
    } else {
        ctx.rows_expected = ctx.height;
    }

    int out_of_memory = 0;
    int ok = run_libpng(&ctx, data, size, &out_of_memory);
    free(ctx.pass_row);

    if (out_of_memory) {
        cvr_set_message(message, message_capacity, "out of memory");
        return CVR_ERR_OUT_OF_MEMORY;
    }
    if (ctx.adler_mismatch) {
        cvr_set_message(message, message_capacity,
                        "the image data fails its zlib (Adler-32) checksum");
        return CVR_ERR_CORRUPT;
    }
    if (ctx.rows_done >= ctx.rows_expected || (ok && ctx.reached_end)) {
        status = png_check_tail(data, size, ctx.fed, message, message_capacity);
        if (status != CVR_OK) return status;
    }
    if (ctx.rows_done >= ctx.rows_expected) {
        if (!ok) {
            /* PIL stops reading once the image is complete; later problems go unnoticed. */
            info->trailing_error = 1;
            if (info->first_warning[0] == '\0') cvr_copy_text(info->first_warning, sizeof info->first_warning, ctx.error);
        }
        return CVR_OK;
    }
    if (!ok) {
        if (strcmp(ctx.error, "out of memory") == 0 || strstr(ctx.error, "Insufficient memory") != NULL) {
            cvr_set_message(message, message_capacity, "out of memory");
            return CVR_ERR_OUT_OF_MEMORY;
        }
        cvr_set_message(message, message_capacity, "libpng: %s", ctx.error);
        return CVR_ERR_CORRUPT;
    }
    if (ctx.reached_end) {
        /* The zlib stream ended before the last row; PIL keeps the rows it got and
         * leaves the rest black without complaint. */
        info->rows_missing = (int32_t)(ctx.rows_expected - ctx.rows_done);
        if (!ctx.interlaced) memset(out + stride * ctx.rows_done, 0, stride * (ctx.height - ctx.rows_done));
        return CVR_OK;
    }
    cvr_set_message(message, message_capacity, "the data ends before the image is complete (%llu of %llu %s decoded)",
                    (unsigned long long)ctx.rows_done, (unsigned long long)ctx.rows_expected,
                    ctx.interlaced ? "rows of the interlace passes" : "rows");
    return CVR_ERR_TRUNCATED;
}
