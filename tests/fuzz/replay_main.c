/*
 * replay_main.c - run a fuzz target over files without libFuzzer.
 *
 * `make test` links every target with this main() and feeds it the committed
 * corpus and the crash regressions, so an input that once broke a parser is
 * checked on every run (lwan fuzz/regression, h2o t/99fuzzer).  Arguments are
 * files or directories; dotfiles are skipped.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, size_t *count);
static int replay_path(const char *path, size_t *count);

int
main(int argc, char **argv)
{
	size_t count = 0;

	for (int i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) != 0)
			return 1;
	printf("%s: replayed %zu inputs\n", argv[0], count);
	return 0;
}

static int
replay_path(const char *path, size_t *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	if (stat(path, &st) != 0)
		return 0; /* a target may have no regression folder yet */
	if (!S_ISDIR(st.st_mode))
		return replay_file(path, count);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (replay_path(sub, count) != 0) {
			closedir(d);
			return 1;
		}
	}
	closedir(d);
	return 0;
}

static int
replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "cannot read %s\n", path);
		free(buf);
		fclose(f);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	(*count)++;
	return 0;
}
