#ifndef CVRNET_CHDF5_SHIM_H
#define CVRNET_CHDF5_SHIM_H
#include <hdf5.h>
#include <hdf5_hl.h>
#include <string.h>

// libhdf5 exposes its flags and predefined type handles as macros (some expand to
// function calls through H5open), which Swift cannot import. Expose them as functions.
static inline unsigned cvr_H5F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline hid_t cvr_H5P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t cvr_H5S_ALL(void) { return H5S_ALL; }
static inline hid_t cvr_H5T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t cvr_H5T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t cvr_H5T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t cvr_H5T_C_S1(void) { return H5T_C_S1; }
static inline hid_t cvr_H5P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t cvr_H5P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline size_t cvr_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline int cvr_H5_ITER_INC(void) { return H5_ITER_INC; }
static inline int cvr_H5_INDEX_NAME(void) { return H5_INDEX_NAME; }
static inline haddr_t cvr_HADDR_UNDEF(void) { return HADDR_UNDEF; }
// Opens an HDF5 file held in memory, read-only, without copying the buffer (H5LT file
// images, libhdf5_hl): the caller keeps `buffer` alive until H5Fclose and frees it after.
static inline hid_t cvr_H5_open_file_image(void *buffer, size_t size) {
    return H5LTopen_file_image(buffer, size, H5LT_FILE_IMAGE_DONT_COPY | H5LT_FILE_IMAGE_DONT_RELEASE);
}
// Silence libhdf5's own stack printing: errors come back to Swift as return codes.
static inline void cvr_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

// The version of the libhdf5 that is linked (not the headers'), e.g. 1.10.8.
static inline void cvr_H5_library_version(unsigned *major, unsigned *minor, unsigned *release) {
    if (H5get_libversion(major, minor, release) < 0) { *major = 0; *minor = 0; *release = 0; }
}

// Copies the description of the innermost (most specific) entry of the current
// thread's error stack into `buf` (always NUL-terminated). Empty when the stack is empty.
typedef struct cvr_H5_error_buffer { char *buf; size_t len; } cvr_H5_error_buffer;
static herr_t cvr_H5_error_walker(unsigned n, const H5E_error2_t *err, void *client) {
    (void)n;
    cvr_H5_error_buffer *out = (cvr_H5_error_buffer *)client;
    if (err != NULL && err->desc != NULL && err->desc[0] != '\0' && out->len > 0) {
        strncpy(out->buf, err->desc, out->len - 1);
        out->buf[out->len - 1] = '\0';
    }
    return 0;
}
static inline void cvr_H5_innermost_error(char *buf, size_t len) {
    if (len == 0) return;
    buf[0] = '\0';
    cvr_H5_error_buffer out = { buf, len };
    (void)H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, cvr_H5_error_walker, &out);
}

// Number of attributes attached to an object, or -1 on error. H5Oget_info's name and
// struct differ between libhdf5 1.10 and 1.12+, so count through H5Aiterate2 instead.
static herr_t cvr_H5_count_attribute(hid_t loc, const char *name, const H5A_info_t *info, void *client) {
    (void)loc; (void)name; (void)info;
    *(long *)client += 1;
    return 0;
}
static inline long cvr_H5_attribute_count(hid_t obj) {
    long count = 0;
    hsize_t idx = 0;
    if (H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, &idx, cvr_H5_count_attribute, &count) < 0) return -1;
    return count;
}
#endif
