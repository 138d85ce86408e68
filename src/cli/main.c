/* trapgate command line (subcommands are added by their layers). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: trapgate run [--stats] KERNEL.elf\n");
		return argc < 2 ? 2 : 0;
	}
	fprintf(stderr, "trapgate: unknown command '%s'\n", argv[1]);
	return 2;
}
