// The 64-byte operand of LDTILECFG (Intel SDM vol. 2, "LDTILECFG", table "Memory Area Layout";
// the same struct as the Linux kernel's AMX selftest and oneDNN use): palette, start row, then
// the bytes per row and the rows of each tile register. Palette 1 (the only one of Sapphire
// Rapids and its successors so far) has 8 tiles of at most 16 rows of 64 bytes; every other
// byte must be zero. Shared by the AMX kernel (which fills it) and its emulation (which checks it).
#ifndef CVRNET_AMX_TILE_CONFIG_H
#define CVRNET_AMX_TILE_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#define AMX_TILES 8          // tile registers of palette 1 (tmm0-tmm7)
#define AMX_MAX_ROWS 16      // palette 1: rows of a tile
#define AMX_MAX_COLSB 64     // palette 1: bytes of a tile row

struct amx_tile_config {
    uint8_t palette_id;      // byte 0: 1; 0 puts the tiles back in their init state (released)
    uint8_t start_row;       // byte 1: 0 (only set by the CPU, to restart an interrupted tile load/store)
    uint8_t reserved[14];    // bytes 2-15: zero
    uint16_t colsb[16];      // bytes 16-47: bytes per row of tmm0-tmm7, then 8 reserved (zero) words
    uint8_t rows[16];        // bytes 48-63: rows of tmm0-tmm7, then 8 reserved (zero) bytes
};

_Static_assert(sizeof(struct amx_tile_config) == 64, "LDTILECFG reads 64 bytes");
_Static_assert(offsetof(struct amx_tile_config, colsb) == 16, "colsb at byte 16");
_Static_assert(offsetof(struct amx_tile_config, rows) == 48, "rows at byte 48");

#endif
