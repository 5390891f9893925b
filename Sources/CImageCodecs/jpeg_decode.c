/*
 * JPEG decoding with libjpeg-turbo's classic jpeglib API, set up the way
 * Pillow's JpegDecode.c sets it up for Image.open(...).convert("RGB"):
 *  - no draft mode, so libjpeg's defaults: DCT method JDCT_ISLOW and fancy
 *    upsampling on (set explicitly below);
 *  - jpeg_color_space left as libjpeg guesses it from JFIF/Adobe markers;
 *  - output colour space by component count (JpegImagePlugin.SOF): 1 -> "L",
 *    3 -> "RGB" (libjpeg's YCbCr->RGB), 4 -> "CMYK" read as "CMYK;I" and then
 *    converted with PIL's cmyk2rgb (YCCK is turned into CMYK by libjpeg first);
 *    any other component count or a precision other than 8 bits is refused, as
 *    PIL refuses it ("cannot handle ...").
 *  - libjpeg warnings (corrupt data it can work around) are ignored, as PIL's
 *    output_message is a no-op; fatal errors come back here by longjmp.
 *  - data that ends before the last scanline is an error ("image file is
 *    truncated" in PIL), even when only the EOI marker is missing. After the
 *    last scanline PIL calls jpeg_finish_decompress: running out of data there
 *    is fine (PIL accepts the suspension), but a fatal libjpeg error there
 *    (e.g. an unknown marker where EOI should be) fails the whole image.
 * The EXIF Orientation tag is read from APP1 so callers can warn; the image is
 * never rotated (neither PIL's Image.open nor Keras load_img rotate).
 */
#include "codecs_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

typedef struct error_manager {
    struct jpeg_error_mgr pub; /* must be first */
    jmp_buf jump;
    cvr_image_info *info;
    char error[JMSG_LENGTH_MAX];
} error_manager;

typedef struct memory_source {
    struct jpeg_source_mgr pub; /* must be first */
    const uint8_t *data;
    size_t size;
    int ran_out; /* libjpeg asked for bytes past the end of the data */
} memory_source;

static const JOCTET fake_eoi[2] = {0xFF, JPEG_EOI};

static void source_init(j_decompress_ptr cinfo) {
    memory_source *source = (memory_source *)cinfo->src;
    source->pub.next_input_byte = source->data;
    source->pub.bytes_in_buffer = source->size;
}

/* Called only when every byte has been consumed: remember it and feed an EOI marker. */
static boolean source_fill(j_decompress_ptr cinfo) {
    memory_source *source = (memory_source *)cinfo->src;
    source->ran_out = 1;
    source->pub.next_input_byte = fake_eoi;
    source->pub.bytes_in_buffer = 2;
    return TRUE;
}

static void source_skip(j_decompress_ptr cinfo, long count) {
    memory_source *source = (memory_source *)cinfo->src;
    if (count <= 0) return;
    while ((size_t)count > source->pub.bytes_in_buffer) {
        count -= (long)source->pub.bytes_in_buffer;
        source_fill(cinfo);
    }
    source->pub.next_input_byte += count;
    source->pub.bytes_in_buffer -= (size_t)count;
}

static void source_term(j_decompress_ptr cinfo) { (void)cinfo; }

static void on_error_exit(j_common_ptr cinfo) {
    error_manager *errors = (error_manager *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, errors->error);
    longjmp(errors->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    /* level < 0: warning (libjpeg continues). Trace messages (level >= 0) are dropped. */
    if (level >= 0) return;
    error_manager *errors = (error_manager *)cinfo->err;
    if (errors->info->warnings++ == 0) {
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        cvr_copy_text(errors->info->first_warning, sizeof errors->info->first_warning, text);
    }
}

/* State of one decode, kept in memory so nothing depends on locals across longjmp. */
typedef struct jpeg_job {
    struct jpeg_decompress_struct cinfo;
    error_manager errors;
    memory_source source;
    const cvr_decode_options *options;
    cvr_image_info *info;
    uint8_t *out;
    size_t out_size;
    uint8_t *cmyk_row;
    int created;
    int scanlines_done; /* every scanline decoded; only jpeg_finish_decompress remains */
    cvr_status status;
    char *message;
    size_t message_capacity;
} jpeg_job;

/* Header: size, components, EXIF; refusals PIL also makes. Returns CVR_OK to go on. */
static cvr_status read_header(jpeg_job *job) {
    struct jpeg_decompress_struct *cinfo = &job->cinfo;
    jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    int header = jpeg_read_header(cinfo, FALSE);
    if (job->source.ran_out) {
        cvr_set_message(job->message, job->message_capacity, "the data ends inside the header");
        return CVR_ERR_TRUNCATED;
    }
    if (header != JPEG_HEADER_OK) {
        cvr_set_message(job->message, job->message_capacity, "the data holds tables but no image");
        return CVR_ERR_CORRUPT;
    }
    cvr_image_info *info = job->info;
    info->width = (int32_t)cinfo->image_width;
    info->height = (int32_t)cinfo->image_height;
    info->bit_depth = cinfo->data_precision;
    info->color_type = cinfo->num_components;
    info->interlaced = cinfo->progressive_mode ? 1 : 0;
    info->jpeg_color_space = (int32_t)cinfo->jpeg_color_space;
    for (jpeg_saved_marker_ptr marker = cinfo->marker_list; marker != NULL; marker = marker->next) {
        if (marker->marker == JPEG_APP0 + 1 && marker->data_length >= 6 &&
            memcmp(marker->data, "Exif\0\0", 6) == 0) {
            /* PIL keeps the first Exif APP1 segment. */
            info->exif_orientation = cvr_exif_orientation(marker->data, marker->data_length);
            break;
        }
    }
    const char *mode = cinfo->num_components == 1 ? "L"
                     : cinfo->num_components == 3 ? "RGB"
                     : cinfo->num_components == 4 ? "CMYK"
                     : NULL;
    if (mode == NULL) {
        cvr_set_message(job->message, job->message_capacity,
                        "%d components (PIL cannot handle %d-layer images either)",
                        cinfo->num_components, cinfo->num_components);
        return CVR_ERR_UNSUPPORTED;
    }
    cvr_copy_text(info->pil_mode, sizeof info->pil_mode, mode);
    if (cinfo->data_precision != 8) {
        cvr_set_message(job->message, job->message_capacity,
                        "%d-bit samples (PIL cannot handle %d-bit layers either)",
                        cinfo->data_precision, cinfo->data_precision);
        return CVR_ERR_UNSUPPORTED;
    }
    if (info->width <= 0 || info->height <= 0) {
        cvr_set_message(job->message, job->message_capacity, "the header gives an empty image");
        return CVR_ERR_CORRUPT;
    }
    return cvr_check_pixel_limit(info->width, info->height, job->options, job->message, job->message_capacity);
}

static cvr_status read_pixels(jpeg_job *job) {
    struct jpeg_decompress_struct *cinfo = &job->cinfo;
    cvr_image_info *info = job->info;
    size_t stride = (size_t)info->width * 3;
    if ((size_t)info->height > job->out_size / stride) {
        cvr_set_message(job->message, job->message_capacity, "output buffer too small");
        return CVR_ERR_INVALID_ARGUMENT;
    }
    int cmyk = cinfo->num_components == 4;
    /* Gray is replicated by libjpeg's gray->RGB conversion, exactly PIL's l2rgb. */
    cinfo->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    cinfo->dct_method = JDCT_ISLOW;
    cinfo->do_fancy_upsampling = TRUE;
    cinfo->do_block_smoothing = TRUE; /* libjpeg default; affects progressive files only */
    cinfo->scale_num = 1;
    cinfo->scale_denom = 1;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != (JDIMENSION)info->width || cinfo->output_height != (JDIMENSION)info->height ||
        cinfo->output_components != (cmyk ? 4 : 3)) {
        cvr_set_message(job->message, job->message_capacity, "unexpected output geometry from libjpeg");
        return CVR_ERR_CORRUPT;
    }
    if (cmyk) {
        job->cmyk_row = (uint8_t *)malloc((size_t)info->width * 4);
        if (job->cmyk_row == NULL) {
            cvr_set_message(job->message, job->message_capacity, "out of memory");
            return CVR_ERR_OUT_OF_MEMORY;
        }
    }
    while (cinfo->output_scanline < cinfo->output_height) {
        if (job->source.ran_out) break;
        JDIMENSION y = cinfo->output_scanline;
        if (cmyk) {
            JSAMPROW rows[1] = {job->cmyk_row};
            if (jpeg_read_scanlines(cinfo, rows, 1) != 1) break;
            cvr_jpeg_cmyk_row_to_rgb8(job->cmyk_row, job->out + stride * y, (uint32_t)info->width);
        } else {
            /* Decode straight into the output, several rows per call when libjpeg offers them. */
            JSAMPROW rows[16];
            JDIMENSION want = cinfo->output_height - y;
            if (want > 16) want = 16;
            for (JDIMENSION i = 0; i < want; i++) rows[i] = job->out + stride * (y + i);
            if (jpeg_read_scanlines(cinfo, rows, want) == 0) break;
        }
    }
    if (job->source.ran_out) {
        /* libjpeg needed bytes past the end before the last scanline was produced. */
        cvr_set_message(job->message, job->message_capacity, "the data ends before the image is complete");
        return CVR_ERR_TRUNCATED;
    }
    if (cinfo->output_scanline < cinfo->output_height) {
        cvr_set_message(job->message, job->message_capacity, "libjpeg stopped before the last row");
        return CVR_ERR_CORRUPT;
    }
    return CVR_OK;
}

/* All setjmp/longjmp of libjpeg is confined to this function. */
static void run_libjpeg(jpeg_job *job) {
    job->cinfo.err = jpeg_std_error(&job->errors.pub);
    job->errors.pub.error_exit = on_error_exit;
    job->errors.pub.emit_message = on_emit_message;
    if (setjmp(job->errors.jump)) {
        if (job->source.ran_out && !job->scanlines_done) {
            /* A fatal error provoked by the fake EOI inserted at the end of the data. */
            cvr_set_message(job->message, job->message_capacity,
                            "the data ends before the image is complete (libjpeg: %s)", job->errors.error);
            job->status = CVR_ERR_TRUNCATED;
        } else if (strstr(job->errors.error, "nsufficient memory") != NULL) {
            cvr_set_message(job->message, job->message_capacity, "out of memory");
            job->status = CVR_ERR_OUT_OF_MEMORY;
        } else {
            cvr_set_message(job->message, job->message_capacity, "libjpeg: %s", job->errors.error);
            job->status = CVR_ERR_CORRUPT;
        }
        return;
    }
    jpeg_create_decompress(&job->cinfo);
    job->created = 1;
    job->source.pub.init_source = source_init;
    job->source.pub.fill_input_buffer = source_fill;
    job->source.pub.skip_input_data = source_skip;
    job->source.pub.resync_to_restart = jpeg_resync_to_restart;
    job->source.pub.term_source = source_term;
    job->source.pub.next_input_byte = NULL;
    job->source.pub.bytes_in_buffer = 0;
    job->cinfo.src = &job->source.pub;
    job->status = read_header(job);
    if (job->status != CVR_OK || job->out == NULL) return;
    job->status = read_pixels(job);
    if (job->status != CVR_OK) return;
    job->scanlines_done = 1;
    /* As PIL: read on to EOI; errors there count, running out of data does not. */
    jpeg_finish_decompress(&job->cinfo);
}

cvr_status cvr_jpeg_decode(const uint8_t *data, size_t size, const cvr_decode_options *options,
                           uint8_t *out, size_t out_size, cvr_image_info *info,
                           char *message, size_t message_capacity) {
    jpeg_job *job = (jpeg_job *)calloc(1, sizeof *job);
    if (job == NULL) {
        cvr_set_message(message, message_capacity, "out of memory");
        return CVR_ERR_OUT_OF_MEMORY;
    }
    job->errors.info = info;
    job->source.data = data;
    job->source.size = size;
    job->options = options;
    job->info = info;
    job->out = out;
    job->out_size = out_size;
    job->message = message;
    job->message_capacity = message_capacity;
    job->status = CVR_ERR_CORRUPT;
    run_libjpeg(job);
    if (job->created) jpeg_destroy_decompress(&job->cinfo);
    free(job->cmyk_row);
    cvr_status status = job->status;
    free(job);
    return status;
}
