/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text: "TIME TYPE SRC > DST: key value, ...", the family's keys after the
 * colon, then with -x the payload as an indented hex dump (-A: as ASCII).
 * The text path writes with the _unlocked stdio calls (see put_num.h).
 */
#include <stdint.h>
#include <time.h>
#include "format/writer.h"
#include "util/hexdump.h"

/* comms and paths may hold anything: keep one event on one line */
static bool text_needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/* s, up to its NUL or max bytes, control bytes and backslashes as \xNN; plain runs in one write. */
static void text_escaped(FILE *out, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (max && *p) {
		size_t run = 0;

		while (run < max && p[run] && !text_needs_escape(p[run]))
			run++;
		if (run) {
			fwrite_unlocked(p, 1, run, out);
			p += run;
			max -= run;
			continue;
		}
		char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 0xf] };

		fwrite_unlocked(esc, 1, sizeof(esc), out);
		p++;
		max--;
	}
}

void text_kv_part_escaped(struct text_kv *kv, const char *s, size_t max)
{
	text_escaped(kv->out, s, max);
}

void text_kv_flags(struct text_kv *kv, uint32_t flags)
{
	bool any = false;

	for (size_t i = 0; i < ipcd_flag_count; i++) {
		if (!(flags & ipcd_flag_names[i].flag) || ipcd_flag_names[i].flag == IPCD_F_FIFO)
			continue;
		if (!any)
			text_kv_key(kv, "flags");
		else
			fputc_unlocked('|', kv->out);
		fputs_unlocked(ipcd_flag_names[i].name, kv->out);
		any = true;
	}
}

static void text_endpoint(FILE *out, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0) {
		fputs_unlocked("<unknown>(<unknown>)", out);
		return;
	}
	put_i64(out, ep->pid);
	fputc_unlocked('(', out);
	if (ep->comm[0])
		text_escaped(out, ep->comm, sizeof(ep->comm));
	else
		fputs_unlocked("<unknown>", out);
	fputc_unlocked(')', out);
}

static void put_clock(FILE *out, const struct tm *tm, long nsec)
{
	put_padded(out, tm->tm_hour, 2);
	fputc_unlocked(':', out);
	put_padded(out, tm->tm_min, 2);
	fputc_unlocked(':', out);
	put_padded(out, tm->tm_sec, 2);
	fputc_unlocked('.', out);
	put_padded(out, nsec, 9);
}

static void put_date(FILE *out, const struct tm *tm)
{
	put_padded(out, (uint64_t)tm->tm_year + 1900, 4);
	fputc_unlocked('-', out);
	put_padded(out, tm->tm_mon + 1, 2);
	fputc_unlocked('-', out);
	put_padded(out, tm->tm_mday, 2);
}

/* The time at the start of a text line, as --time asks, and the space after it. */
static void text_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;

	switch (o->time_mode) {
	case IPCD_TIME_NONE:
		return;
	case IPCD_TIME_EPOCH:
		put_seconds(o->out, output_epoch_ns(o, mono_ns));
		break;
	case IPCD_TIME_DELTA:
		put_seconds(o->out, ns_since(mono_ns, o->prev_ns));
		break;
	case IPCD_TIME_RELATIVE:
		put_seconds(o->out, ns_since(mono_ns, o->first_ns));
		break;
	case IPCD_TIME_DATE:
		output_wall_time(o, mono_ns, &tm, &nsec);
		put_date(o->out, &tm);
		fputc_unlocked(' ', o->out);
		put_clock(o->out, &tm, nsec);
		break;
	default:
		output_wall_time(o, mono_ns, &tm, &nsec);
		put_clock(o->out, &tm, nsec);
		break;
	}
	fputc_unlocked(' ', o->out);
}

/*
 * -A: a payload as tcpdump -A shows one, printable ASCII with every other
 * byte a '.', its line breaks kept (a CR before them dropped); each line
 * indented with a tab, as the hex dump's are, so no line passes for an event.
 */
static void ascii_write(FILE *out, const uint8_t *data, size_t len)
{
	bool line_start = true;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		if (line_start)
			fputc_unlocked('\t', out);
		line_start = data[i] == '\n';
		fputc_unlocked(line_start || (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '.', out);
	}
	if (!line_start)
		fputc_unlocked('\n', out);
}

/* Lost events have no ends: "lost N COLLECTOR events". */
static void text_lost(struct ipcd_output *o, const struct ipcd_event *e)
{
	fputs_unlocked("lost ", o->out);
	put_u64(o->out, e->lost_count);
	fputc_unlocked(' ', o->out);
	fputs_unlocked(ipcd_collector_name(e->lost_collector), o->out);
	fputs_unlocked(" events\n", o->out);
}

/* "TYPE SRC > DST", with the family's word on the sender and a listener marked. */
static void text_ends(FILE *out, const struct ipcd_event *e, const struct ipcd_printer *printer)
{
	const char *note = printer && printer->text_src_note ? printer->text_src_note(e) : NULL;

	fputs_unlocked(ipcd_type_name(e->type), out);
	fputc_unlocked(' ', out);
	text_endpoint(out, &e->src);
	if (note)
		fputs_unlocked(note, out);
	fputs_unlocked(" > ", out);
	text_endpoint(out, &e->dst);
	if (e->dst_is_listener)
		fputs_unlocked(" (listener)", out);
}

static void text_payload(const struct ipcd_output *o, const struct ipcd_event *e)
{
	if (!o->dump_bytes || !e->payload_len)
		return;
	if (o->ascii)
		ascii_write(o->out, e->payload, e->payload_len);
	else
		hexdump_write(o->out, e->payload, e->payload_len, "\t");
}

void ipcd_text_write(struct ipcd_output *o, const struct ipcd_event *e)
{
	const struct ipcd_printer *printer = ipcd_printer_of_type(e->type);
	struct text_kv kv = { o->out, true };

	text_time(o, e->ts_ns);
	if (e->type == IPCD_TYPE_LOST) {
		text_lost(o, e);
		return;
	}
	text_ends(o->out, e, printer);
	if (printer && printer->text) {
		struct ipcd_print_style style = output_print_style(o);

		printer->text(&kv, e, &style);
	}
	fputc_unlocked('\n', o->out);
	text_payload(o, e);
}
