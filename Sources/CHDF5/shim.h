#ifndef CVRNET_CHDF5_SHIM_H
#define CVRNET_CHDF5_SHIM_H
#include <hdf5.h>

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
static inline size_t cvr_H5T_VARIABLE(void) { return H5T_VARIABLE; }
static inline int cvr_H5_ITER_INC(void) { return H5_ITER_INC; }
static inline int cvr_H5_INDEX_NAME(void) { return H5_INDEX_NAME; }
// Silence libhdf5's own stack printing: errors come back to Swift as return codes.
static inline void cvr_H5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
