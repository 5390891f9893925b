/*
 * PIL's convert("RGB") for the modes PNG and JPEG files open as.
 *
 * What PIL does (Pillow 13, PngImagePlugin._MODES, Unpack.c, Convert.c; checked
 * against Pillow 13.0.0 with tools/make_image_test_inputs.py):
 *   PNG gray 1-bit   -> mode "1"; bit2rgb: nonzero -> 255, else 0.
 *   PNG gray 2-bit   -> mode "L" via rawmode "L;2": value * 0x55 (0, 85, 170, 255).
 *   PNG gray 4-bit   -> mode "L" via rawmode "L;4": value * 0x11.
 *   PNG gray 8-bit   -> mode "L"; l2rgb replicates the value.
 *   PNG gray 16-bit  -> mode "I;16"; conversion to RGB clips: min(value, 255)
 *                       (so 65535 -> 255 but 256 -> 255 and 255 -> 255: NOT v >> 8).
 *   PNG RGB 16-bit   -> mode "RGB" via rawmode "RGB;16B": high byte of each sample.
 *   PNG gray+alpha 8 -> mode "LA"; la2rgb: gray replicated, alpha dropped, no compositing.
 *   PNG gray+alpha16 -> mode "RGBA" via rawmode "LA;16B": high byte, alpha dropped.
 *   PNG RGBA 8/16    -> mode "RGBA"; rgba2rgb drops alpha (high byte for 16-bit).
 *   PNG palette      -> mode "P"; each index replaced by its PLTE colour; indices past
 *                       the PLTE entries come out black; tRNS is ignored by convert("RGB").
 *   JPEG CMYK/YCCK   -> mode "CMYK" read with rawmode "CMYK;I" (inverted, Adobe
 *                       convention, whatever the markers say); cmyk2rgb then gives
 *                       R = CLIP8(nk - MULDIV255(C, nk)) with nk = 255 - K.
 * No gamma, ICC profile or background is ever applied.
 */
#include "codecs_internal.h"

/* Sixteen-bit sample to eight bits under the chosen policy; `gray` selects PIL's I;16 clip. */
static inline uint8_t sixteen_to_eight(uint32_t value, int gray, int32_t policy) {
    if (policy == CVR_SIXTEEN_BIT_RESCALE) return (uint8_t)((value * 255u + 32767u) / 65535u);
    if (gray) return value > 255u ? 255u : (uint8_t)value; /* PIL I;16 -> RGB: clip */
    return (uint8_t)(value >> 8);                          /* PIL rawmode *;16B: high byte */
}

void cvr_png_row_to_rgb8(const uint8_t *in, uint8_t *out, uint32_t width, int32_t color_type,
                         int32_t bit_depth, const uint8_t *palette_rgb, int32_t sixteen_bit,
                         int32_t *sixteen_bit_max) {
    uint32_t x;
    switch (color_type) {
    case 0: /* gray */
        if (bit_depth == 16) {
            uint32_t largest = 0;
            for (x = 0; x < width; x++, in += 2, out += 3) {
                uint32_t v = ((uint32_t)in[0] << 8) | in[1];
                if (v > largest) largest = v;
                out[0] = out[1] = out[2] = sixteen_to_eight(v, 1, sixteen_bit);
            }
            if (sixteen_bit_max != NULL && (int32_t)largest > *sixteen_bit_max) *sixteen_bit_max = (int32_t)largest;
        } else {
            /* Mode "1" (1-bit): nonzero -> 255. "L;2": x 0x55. "L;4": x 0x11. "L": as is. */
            uint32_t scale = bit_depth == 1 ? 255u : bit_depth == 2 ? 0x55u : bit_depth == 4 ? 0x11u : 1u;
            for (x = 0; x < width; x++, out += 3) {
                uint8_t v = (uint8_t)(in[x] * scale);
                out[0] = out[1] = out[2] = v;
            }
        }
        break;
    case 2: /* RGB */
        if (bit_depth == 16) {
            for (x = 0; x < width * 3; x++, in += 2)
                out[x] = sixteen_to_eight(((uint32_t)in[0] << 8) | in[1], 0, sixteen_bit);
        } else {
            for (x = 0; x < width * 3; x++) out[x] = in[x];
        }
        break;
    case 3: /* palette: PIL looks the index up; the row holds one index per byte */
        for (x = 0; x < width; x++, out += 3) {
            const uint8_t *colour = palette_rgb + 3u * in[x];
            out[0] = colour[0];
            out[1] = colour[1];
            out[2] = colour[2];
        }
        break;
    case 4: /* gray + alpha: alpha dropped without compositing */
        if (bit_depth == 16) {
            for (x = 0; x < width; x++, in += 4, out += 3)
                out[0] = out[1] = out[2] = sixteen_to_eight(((uint32_t)in[0] << 8) | in[1], 0, sixteen_bit);
        } else {
            for (x = 0; x < width; x++, in += 2, out += 3) out[0] = out[1] = out[2] = in[0];
        }
        break;
    case 6: /* RGBA: alpha dropped without compositing */
        if (bit_depth == 16) {
            for (x = 0; x < width; x++, in += 8, out += 3) {
                out[0] = sixteen_to_eight(((uint32_t)in[0] << 8) | in[1], 0, sixteen_bit);
                out[1] = sixteen_to_eight(((uint32_t)in[2] << 8) | in[3], 0, sixteen_bit);
                out[2] = sixteen_to_eight(((uint32_t)in[4] << 8) | in[5], 0, sixteen_bit);
            }
        } else {
            for (x = 0; x < width; x++, in += 4, out += 3) {
                out[0] = in[0];
                out[1] = in[1];
                out[2] = in[2];
            }
        }
        break;
    default:
        break;
    }
}

/* PIL's MULDIV255: a * b / 255 rounded, computed as in Pillow's ImagingUtils.h. */
static inline uint32_t muldiv255(uint32_t a, uint32_t b) {
    uint32_t t = a * b + 128u;
    return ((t >> 8) + t) >> 8;
}

void cvr_jpeg_cmyk_row_to_rgb8(const uint8_t *in, uint8_t *out, uint32_t width) {
    for (uint32_t x = 0; x < width; x++, in += 4, out += 3) {
        /* rawmode "CMYK;I": PIL inverts what libjpeg delivers. */
        uint32_t c = 255u - in[0], m = 255u - in[1], y = 255u - in[2], k = 255u - in[3];
        /* cmyk2rgb: nk - MULDIV255(channel, nk), never negative, so CLIP8 is a no-op. */
        uint32_t nk = 255u - k;
        out[0] = (uint8_t)(nk - muldiv255(c, nk));
        out[1] = (uint8_t)(nk - muldiv255(m, nk));
        out[2] = (uint8_t)(nk - muldiv255(y, nk));
    }
}
