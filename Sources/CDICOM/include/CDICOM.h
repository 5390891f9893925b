#ifndef CVRNET_CDICOM_H
#define CVRNET_CDICOM_H
/*
 * DICOM reading through GDCM (C++), behind a plain C interface for Swift.
 *
 * GDCM parses the file and decompresses the pixel data of every transfer syntax it
 * knows (JPEG baseline/extended/lossless, JPEG-LS, JPEG 2000, RLE, deflate). This shim
 * hands back the stored values of one frame and the raw attributes of the grayscale
 * display pipeline; the pipeline itself (PS3.3 C.11) is done in Swift.
 *
 * No C++ exception leaves this target: every function catches everything and returns a
 * status with a message. GDCM's own warnings and errors (gdcm::Trace) never reach stderr;
 * they are collected per call and returned as text (cvr_dicom_warnings).
 *
 * Thread safety: gdcm::Trace is process-global, so the parsing and decoding calls are
 * serialised by one mutex. Handles must not be shared between threads without locking.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cvr_dicom_status {
    CVR_DICOM_OK = 0,
    /* GDCM could not parse the data as DICOM (truncated, not DICOM, damaged). */
    CVR_DICOM_ERR_PARSE = 1,
    /* A DICOM file without an image GDCM can read (no Pixel Data, zero rows, ...). */
    CVR_DICOM_ERR_NOT_IMAGE = 2,
    /* The pixel data could not be decoded (unsupported or damaged compressed data). */
    CVR_DICOM_ERR_DECODE = 3,
    /* rows * columns exceeds the caller's limit: refused before decoding. */
    CVR_DICOM_ERR_TOO_LARGE = 4,
    /* Bad arguments (NULL pointers, a buffer too small, a frame past the end). */
    CVR_DICOM_ERR_ARGUMENT = 5,
    CVR_DICOM_ERR_OUT_OF_MEMORY = 6
} cvr_dicom_status;

/* The image attributes, as GDCM's image reader resolved them. */
typedef struct cvr_dicom_info {
    int64_t rows;
    int64_t columns;
    int64_t frames;
    int32_t bits_allocated;
    int32_t bits_stored;
    int32_t high_bit;
    int32_t pixel_representation;   /* 0 unsigned, 1 two's complement */
    int32_t samples_per_pixel;
    int32_t planar_configuration;
    char photometric[32];           /* e.g. "MONOCHROME2" */
    char transfer_syntax[72];       /* UID */
} cvr_dicom_info;

typedef struct cvr_dicom cvr_dicom;

/* Parses DICOM bytes held in memory. On success *out is a handle to free with
 * cvr_dicom_close; on failure *out is NULL and message holds the reason. */
cvr_dicom_status cvr_dicom_open(const uint8_t *data, size_t size, cvr_dicom **out,
                                char *message, size_t message_capacity);
void cvr_dicom_close(cvr_dicom *dicom);

/* Attributes of the image (without decoding pixel data). */
cvr_dicom_status cvr_dicom_get_info(const cvr_dicom *dicom, cvr_dicom_info *info);

/* The value of a top-level string-valued attribute (DS, IS, CS, LO, ...), with trailing
 * padding removed; multiple values stay separated by '\\'. Returns 1 when present and
 * non-empty, 0 otherwise. Truncated to capacity - 1 bytes. */
int cvr_dicom_get_string(const cvr_dicom *dicom, uint16_t group, uint16_t element,
                         char *out, size_t capacity);

/* Item 1 of a LUT sequence (Modality LUT Sequence 0028,3000 or VOI LUT Sequence 0028,3010):
 * the three LUT Descriptor words (0028,3002) as stored (unsigned 16-bit; the caller
 * interprets the sign of the second) and the LUT Data (0028,3006) as 16-bit words in file
 * order. Returns 1 and sets *data_count (words in the element) when the item has both; the
 * words beyond capacity are not copied. Returns 0 when absent. */
int cvr_dicom_get_lut(const cvr_dicom *dicom, uint16_t sequence_element, uint16_t descriptor[3],
                      uint16_t *data, size_t capacity, size_t *data_count);

/* Decodes the pixel data and copies frame `frame` (0-based) into out: rows * columns *
 * samples_per_pixel values of bits_allocated bits (8 -> one byte, 16 -> two bytes little
 * endian, 32 -> four bytes), as stored (not masked, not rescaled); YBR_FULL_422 comes
 * upsampled to three samples per pixel (GDCM repeats each pair's Cb Cr). max_pixels < 1: no limit. */
cvr_dicom_status cvr_dicom_read_frame(cvr_dicom *dicom, int64_t frame, int64_t max_pixels,
                                      uint8_t *out, size_t out_size,
                                      char *message, size_t message_capacity);

/* GDCM's warnings collected while opening and decoding (NUL-terminated, possibly empty),
 * each line one message. Valid until cvr_dicom_close. */
const char *cvr_dicom_warnings(const cvr_dicom *dicom);

/* 1 when the bytes carry the DICOM Part 10 signature: "DICM" at offset 128. */
int cvr_dicom_has_signature(const uint8_t *data, size_t size);

#ifdef __cplusplus
}
#endif
#endif
