/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a family's printer (src/families/NAME_print.c) needs from the format
 * writers: the text key/value list, the CSV row of meta columns, the JSON
 * writer, the print style and the name tables.  The writers (text.c,
 * json.c, csv.c) print what every event has around the family's part:
 * time, type, both ends, size, flags, payload.
 */
#ifndef IPCD_FORMAT_H
#define IPCD_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "engine/event.h"
#include "records.h"
#include "util/json_writer.h"
#include "util/put_num.h"

/* How events look beyond their format. */
struct ipcd_print_style {
	bool numeric;      /* -n: ports only, no /etc/services names */
	bool ascii;        /* -A: text payloads as printable ASCII, not hex */
	bool dump_bytes;   /* -x: the payload too */
};

/* ---- names ---------------------------------------------------------- */

/* A number and its name, as tcpdump's struct tok; a table ends with a NULL name. */
struct ipcd_tok {
	int value;
	const char *name;
};

/* value's name in table, fallback if it has none. */
const char *ipcd_tok_name(const struct ipcd_tok *table, int value, const char *fallback);

/* "ESRCH" for -ESRCH: the name, as strace prints it, not the sentence. */
const char *ipcd_error_name(int32_t error);
/* A shutdown(2)'s how: "read", "write" or "both". */
const char *ipcd_shutdown_how_name(int32_t how);

/* ---- text: "type src > dst: key value, key value" -------------------- */

struct text_kv {
	FILE *out;
	bool first;
};

/* A key and its separator; the value follows in text_kv_part_* calls. */
static inline void text_kv_key(struct text_kv *kv, const char *key)
{
	fputs_unlocked(kv->first ? ": " : ", ", kv->out);
	kv->first = false;
	fputs_unlocked(key, kv->out);
	fputc_unlocked(' ', kv->out);
}

/* s, up to its NUL or max bytes, control bytes and backslashes as \xNN: one event, one line. */
void text_kv_part_escaped(struct text_kv *kv, const char *s, size_t max);

static inline void text_kv_part_str(struct text_kv *kv, const char *s)
{
	fputs_unlocked(s, kv->out);
}

static inline void text_kv_part_char(struct text_kv *kv, char c)
{
	fputc_unlocked(c, kv->out);
}

static inline void text_kv_part_u64(struct text_kv *kv, uint64_t value)
{
	put_u64(kv->out, value);
}

static inline void text_kv_str(struct text_kv *kv, const char *key, const char *value)
{
	text_kv_key(kv, key);
	text_kv_part_escaped(kv, value, SIZE_MAX);
}

static inline void text_kv_u64(struct text_kv *kv, const char *key, uint64_t value)
{
	text_kv_key(kv, key);
	put_u64(kv->out, value);
}

static inline void text_kv_i64(struct text_kv *kv, const char *key, int64_t value)
{
	text_kv_key(kv, key);
	put_i64(kv->out, value);
}

/* "flags a|b", if any flag but fifo (the type says it) is set. */
void text_kv_flags(struct text_kv *kv, uint32_t flags);

/* ---- JSON: the family's keys inside "meta" --------------------------- */

void json_flags(struct json_writer *jw, uint32_t flags);
void json_string_or_null(struct json_writer *jw, const char *key, const char *value);
/* A byte stream's ends: src_fd, dst_fd, src_call, dst_call, where known. */
void json_calls(struct json_writer *jw, const struct ipcd_event *e);

/* ---- CSV: one column for each key of JSON's "meta" -------------------- */

/* The meta columns, in their order (csv.c names them; new ones only ever at the end). */
enum csv_col {
	CC_EVENT, CC_OP, CC_SRC_FD, CC_DST_FD, CC_SRC_CALL, CC_DST_CALL, CC_PIPE_INODE, CC_PIPE_NAME,
	CC_NUM, CC_NAME, CC_CODE, CC_CODE_NAME, CC_VALUE, CC_RESULT, CC_ERROR, CC_BLOCKED, CC_GROUP, CC_KERNEL,
	CC_SRC_IS_TIMER_OWNER,
	CC_SRC_INODE, CC_DST_INODE, CC_PATH, CC_SRC_PATH, CC_DST_PATH, CC_SENDTO_PATH, CC_SOCKETPAIR,
	CC_NFDS, CC_FDS, CC_CREDS_PID, CC_CREDS_UID, CC_CREDS_GID,
	CC_SOCK_TYPE, CC_INODE, CC_PEER_INODE, CC_FD, CC_HOW,
	CC_FAMILY, CC_SRC_ADDR, CC_SRC_PORT, CC_DST_ADDR, CC_DST_PORT, CC_SERVICE, CC_DST_IS_LISTENER,
	CC_TTY, CC_DIRECTION, CC_WRITER_SIDE, CC_SESSION, CC_FG_PGRP,
	CC_KEY, CC_MSQID, CC_MTYPE, CC_PRIO,
	CC_SEMID, CC_SEMNUM, CC_KIND, CC_SHMID, CC_SHM_SIZE, CC_ADDR, CC_OFFSET, CC_SHARERS, CC_SHARERS_KNOWN,
	CC_COLLECTOR, CC_COUNT,
	CC_MAX
};

/* A cell too long for a buffer (a list of paths) writes itself, quoting as it must. */
typedef void (*csv_cell_writer)(FILE *out, const struct ipcd_event *e);

/* One row's meta cells: text to print (NULL: empty); numbers are formatted into num. */
struct csv_row {
	const char *cell[CC_MAX];
	csv_cell_writer writer[CC_MAX];   /* if set, writes the cell instead of cell[] */
	bool has_latency;                 /* the latency_ns column is filled */
	char num[CC_MAX][24];
	char addr[2][64];
	char text[IPCD_MQ_NAME_LEN + 34];
};

static inline void row_str(struct csv_row *r, enum csv_col c, const char *s)
{
	r->cell[c] = s;
}

static inline void row_bool(struct csv_row *r, enum csv_col c, bool v)
{
	r->cell[c] = v ? "true" : "false";
}

static inline void row_writer(struct csv_row *r, enum csv_col c, csv_cell_writer writer)
{
	r->writer[c] = writer;
}

void row_u64(struct csv_row *r, enum csv_col c, uint64_t v);
void row_i64(struct csv_row *r, enum csv_col c, int64_t v);
/* A byte stream's ends, as json_calls. */
void row_calls(struct csv_row *r, const struct ipcd_event *e);
/* Part of a quoted cell: its quotes doubled. */
void csv_quoted_part(FILE *out, const char *s);

/* ---- the printer of a family ---------------------------------------- */

/*
 * How a family's events print: the part of an event that is the family's
 * own ("meta" in JSON), in each format, side by side.  The format's writer
 * prints time, type, both ends, size and payload around it.  A family's
 * struct ipcd_family points at its printer.
 */
struct ipcd_printer {
	void (*text)(struct text_kv *kv, const struct ipcd_event *e, const struct ipcd_print_style *style);
	/* text: a word on the sender, after its name (" (timer owner)"); NULL, or NULL returned: none */
	const char *(*text_src_note)(const struct ipcd_event *e);
	void (*json)(struct json_writer *jw, const struct ipcd_event *e, const struct ipcd_print_style *style);
	/* fills the meta cells; may set has_latency, which the fixed columns print */
	void (*csv)(struct csv_row *row, const struct ipcd_event *e, const struct ipcd_print_style *style);
	/* one line naming the event's channel: "pipe:[123]", "/tmp/s", "127.0.0.1:80", "/dev/pts/3" */
	void (*channel)(const struct ipcd_event *e, char *buf, size_t len);
};

#endif /* IPCD_FORMAT_H */
