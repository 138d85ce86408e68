/* The gdb test guest's program (tests/test_gdb.c drives it with the real
 * gdb). Built at -O0 with DWARF so that gdb's line stepping, `finish` and
 * variable printing see exactly the source below. Output goes to the debug
 * console (port 0xe9); the run ends through isa-debug-exit (port 0xf4)
 * with gg_exit_code, so a test can change the exit status from gdb. */
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

volatile uint64_t gg_watched = 5;
volatile uint32_t gg_spin;
volatile uint64_t gg_counter;
volatile uint64_t gg_mem[4] = {
	0x1111111111111111ull, 0x2222222222222222ull,
	0x3333333333333333ull, 0x4444444444444444ull,
};
volatile uint32_t gg_exit_code = 0x10;
volatile uint64_t gg_result;
volatile uint64_t gg_reg_result;

void gg_shadow_steps(void); /* boot.S */
void gg_reg_site(void);
void gg_main(void);

static void gg_puts(const char *s)
{
	while (*s)
		outb(0xe9, (uint8_t)*s++);
}

int gg_add(int a, int b)
{
	int sum = a + b;
	return sum;
}

void gg_write_watched(void)
{
	gg_watched = 7;
	gg_watched = 9;
}

void gg_spin_loop(void)
{
	gg_puts("SPIN\n");
	while (gg_spin)
		gg_counter++;
}

void gg_main(void)
{
	gg_result = gg_add(2, 3);
	gg_write_watched();
	gg_shadow_steps();
	gg_reg_site();
	if (gg_spin)
		gg_spin_loop();
	gg_puts("DONE\n");
	outl(0xf4, gg_exit_code);
}
