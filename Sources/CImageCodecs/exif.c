/*
 * EXIF Orientation reader. Keras load_img never applies the tag (PIL's
 * Image.open does not rotate; only ImageOps.exif_transpose would), so callers
 * use it only to warn that a phone photo may look rotated to the model.
 */
#include "codecs_internal.h"

#include <string.h>

static uint32_t read16(const uint8_t *p, int little) {
    return little ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) : ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t read32(const uint8_t *p, int little) {
    return little ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24)
                  : ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int32_t cvr_exif_orientation(const uint8_t *exif, size_t size) {
    if (exif == NULL) return 0;
    if (size >= 6 && memcmp(exif, "Exif\0\0", 6) == 0) {
        exif += 6;
        size -= 6;
    }
    if (size < 8) return 0;
    int little;
    if (exif[0] == 'I' && exif[1] == 'I') little = 1;
    else if (exif[0] == 'M' && exif[1] == 'M') little = 0;
    else return 0;
    if (read16(exif + 2, little) != 42) return 0;
    uint32_t ifd = read32(exif + 4, little);
    if (ifd > size || size - ifd < 2) return 0;
    uint32_t count = read16(exif + ifd, little);
    const uint8_t *entry = exif + ifd + 2;
    size_t available = (size - ifd - 2) / 12;
    if (count > available) count = (uint32_t)available;
    for (uint32_t i = 0; i < count; i++, entry += 12) {
        if (read16(entry, little) != 0x0112) continue;
        uint32_t type = read16(entry + 2, little);
        uint32_t value;
        if (type == 3) value = read16(entry + 8, little);       /* SHORT, stored inline */
        else if (type == 4) value = read32(entry + 8, little);  /* LONG (non-standard) */
        else return 0;
        return (value >= 1 && value <= 8) ? (int32_t)value : 0;
    }
    return 0;
}
