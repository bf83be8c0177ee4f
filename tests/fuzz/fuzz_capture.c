// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the capture reader: the input is a capture file,
 * read back by the program itself (main.c built as ipcdump_main) in every
 * output mode: text, JSON, CSV (with payloads), --stats in text and JSON,
 * --analyze, and the filter mode (-r IN -w OUT).  The input lives in a
 * memfd named by /proc/self/fd, so no disk is touched.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int ipcdump_main(int argc, char **argv);

static int input_fd = -1;
static char input_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	input_fd = memfd_create("fuzz-capture", MFD_CLOEXEC);
	if (input_fd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(input_path, sizeof(input_path), "/proc/self/fd/%d", input_fd);
	/* events and ipcdump's own diagnostics go nowhere; sanitizer reports use fd 2 directly */
	if (!freopen("/dev/null", "w", stdout) || !(stderr = fopen("/dev/null", "w"))) {
		perror("/dev/null");
		exit(1);
	}
	return 0;
}

static void read_as(char *a1, char *a2, char *a3, char *a4)
{
	char *argv[] = { "ipcdump", "-r", input_path, a1, a2, a3, a4, NULL };
	int argc = 3;

	while (argv[argc])
		argc++;
	(void)ipcdump_main(argc, argv);
	fflush(stdout);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(input_fd, 0) || pwrite(input_fd, data, size, 0) != (ssize_t)size)
		return 0;
	read_as("-f", "text", "-x", NULL);
	read_as("-f", "json", "-x", NULL);
	read_as("-f", "csv", "-x", NULL);
	read_as("--stats", NULL, NULL, NULL);
	read_as("--stats", "-f", "json", NULL);
	read_as("--analyze", NULL, NULL, NULL);
	read_as("-w", "/dev/null", "type == pipe or type == signal", NULL);
	return 0;
}
