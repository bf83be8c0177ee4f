/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hex dumps in the layout of Go's encoding/hex.Dumper (and `hexdump -C`),
 * so payload dumps can be compared with output of the Go tooling:
 *
 * 00000010  2e 2f 30 31 32 33 34 35  36 37 38 39 3a 3b 3c 3d  |./0123456789:;<=|
 *
 * A short last line is padded so its ASCII column lines up with the rest.
 */
#ifndef IPCDUMP_HEXDUMP_H
#define IPCDUMP_HEXDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Writes len bytes of data as hex dump lines, each prefixed with indent
 * (NULL means none).  Nothing is written for len 0.  As in Go, the offset
 * column shows the low 32 bits of the offset.
 */
void hexdump_write(FILE *out, const uint8_t *data, size_t len,
		   const char *indent);

#endif /* IPCDUMP_HEXDUMP_H */
