/* CMOS/RTC, fw_cfg, ACPI tables and PM timer, pc-testdev (platform.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

#define NS 1000000000ull

/* ---------------- CMOS / RTC [MC146818A] ---------------- */

enum { RTC_SEC = 0, RTC_SEC_ALARM, RTC_MIN, RTC_MIN_ALARM, RTC_HOUR,
       RTC_HOUR_ALARM, RTC_WDAY, RTC_MDAY, RTC_MONTH, RTC_YEAR,
       RTC_A = 0x0a, RTC_B = 0x0b, RTC_C = 0x0c, RTC_D = 0x0d, RTC_CENTURY = 0x32 };
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

void tg_rtc_init(struct tg_rtc *r, int64_t epoch, uint64_t ram, uint64_t (*now)(void *),
		 void *opaque)
{
	memset(r, 0, sizeof *r);
	r->epoch = epoch;
	r->now = now;
	r->opaque = opaque;
	r->next_irq = UINT64_MAX;
	r->cmos[RTC_A] = 0x26;  /* 32.768 kHz time base, 1024 Hz rate */
	r->cmos[RTC_B] = B_24H; /* BCD, 24-hour, no interrupts */
	/* Memory sizes as a PC BIOS records them: base memory 640 KiB,
	 * extended memory (1 MiB..64 MiB) in KiB, memory above 16 MiB in
	 * 64 KiB units. */
	uint64_t ext = ram > (1u << 20) ? (ram - (1u << 20)) >> 10 : 0;
	if (ext > 0xffff)
		ext = 0xffff;
	uint64_t above16 = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
	if (above16 > 0xffff)
		above16 = 0xffff;
	r->cmos[0x15] = 0x80; r->cmos[0x16] = 0x02;
	r->cmos[0x17] = r->cmos[0x30] = (uint8_t)ext;
	r->cmos[0x18] = r->cmos[0x31] = (uint8_t)(ext >> 8);
	r->cmos[0x34] = (uint8_t)above16;
	r->cmos[0x35] = (uint8_t)(above16 >> 8);
	r->cmos[0x5f] = 0; /* QEMU: number of CPUs - 1 */
}

static uint8_t to_bcd(const struct tg_rtc *r, unsigned v)
{
	if (r->cmos[RTC_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned from_bcd(const struct tg_rtc *r, uint8_t v)
{
	if (r->cmos[RTC_B] & B_BINARY)
		return v;
	return (v >> 4) * 10u + (v & 15);
}

static void broken_down(const struct tg_rtc *r, uint64_t now, struct tm *tm)
{
	time_t t = (time_t)(r->epoch + (int64_t)(now / NS));
	gmtime_r(&t, tm);
}

uint8_t tg_rtc_read(struct tg_rtc *r, uint8_t index, uint64_t now)
{
	index &= 0x7f;
	struct tm tm;
	switch (index) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY: case RTC_MDAY:
	case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		broken_down(r, now, &tm);
		switch (index) {
		case RTC_SEC: return to_bcd(r, (unsigned)tm.tm_sec);
		case RTC_MIN: return to_bcd(r, (unsigned)tm.tm_min);
		case RTC_HOUR:
			if (r->cmos[RTC_B] & B_24H)
				return to_bcd(r, (unsigned)tm.tm_hour);
			/* 12-hour: 1..12, bit 7 = PM */
			return (uint8_t)(to_bcd(r, (unsigned)(tm.tm_hour % 12 ? tm.tm_hour % 12 : 12)) |
					 (tm.tm_hour >= 12 ? 0x80 : 0));
		case RTC_WDAY: return to_bcd(r, (unsigned)tm.tm_wday + 1);
		case RTC_MDAY: return to_bcd(r, (unsigned)tm.tm_mday);
		case RTC_MONTH: return to_bcd(r, (unsigned)tm.tm_mon + 1);
		case RTC_YEAR: return to_bcd(r, (unsigned)(tm.tm_year % 100));
		default: return to_bcd(r, (unsigned)(tm.tm_year / 100 + 19));
		}
	case RTC_A: {
		/* UIP is set during the last 244 us before each update
		 * [MC146818A "Update Cycle"]. */
		bool uip = now % NS >= NS - 244000;
		return (uint8_t)((r->cmos[RTC_A] & 0x7f) | (uip ? 0x80 : 0));
	}
	case RTC_C: {
		tg_rtc_advance(r, now);
		uint8_t v = r->flags;
		r->flags = 0;
		r->last_c_read = now;
		return v;
	}
	case RTC_D:
		return 0x80; /* valid RAM and time */
	}
	return r->cmos[index];
}

static void set_field(struct tg_rtc *r, uint8_t index, uint8_t v, uint64_t now)
{
	struct tm tm;
	broken_down(r, now, &tm);
	unsigned x = from_bcd(r, v & (index == RTC_HOUR ? 0x7f : 0xff));
	switch (index) {
	case RTC_SEC: tm.tm_sec = (int)x; break;
	case RTC_MIN: tm.tm_min = (int)x; break;
	case RTC_HOUR:
		if (!(r->cmos[RTC_B] & B_24H))
			x = (x % 12) + ((v & 0x80) ? 12 : 0);
		tm.tm_hour = (int)x;
		break;
	case RTC_MDAY: tm.tm_mday = (int)x; break;
	case RTC_MONTH: tm.tm_mon = (int)x - 1; break;
	case RTC_YEAR: tm.tm_year = (tm.tm_year / 100) * 100 + (int)x; break;
	case RTC_CENTURY: tm.tm_year = ((int)x - 19) * 100 + tm.tm_year % 100; break;
	default: return; /* the weekday follows from the date */
	}
	time_t t = timegm(&tm);
	if (t != (time_t)-1)
		r->epoch = (int64_t)t - (int64_t)(now / NS);
}

static void schedule(struct tg_rtc *r, uint64_t now)
{
	uint8_t b = r->cmos[RTC_B];
	uint64_t next = UINT64_MAX;
	unsigned rate = r->cmos[RTC_A] & 15;
	if ((b & B_PIE) && rate) {
		/* [MC146818A Table 3] rate n: 32768 >> (n - 1) Hz (n = 1, 2
		 * give 256 and 128 Hz on a 32 kHz base) */
		if (rate < 3)
			rate += 7;
		uint64_t period = NS * (1ull << (rate - 1)) / 32768;
		next = (now / period + 1) * period;
	}
	if (b & B_UIE) {
		uint64_t sec = (now / NS + 1) * NS;
		if (sec < next)
			next = sec;
	}
	r->next_irq = next;
}

void tg_rtc_write(struct tg_rtc *r, uint8_t index, uint8_t v, uint64_t now)
{
	index &= 0x7f;
	switch (index) {
	case RTC_SEC: case RTC_MIN: case RTC_HOUR: case RTC_WDAY: case RTC_MDAY:
	case RTC_MONTH: case RTC_YEAR: case RTC_CENTURY:
		set_field(r, index, v, now);
		return;
	case RTC_A:
		r->cmos[RTC_A] = v & 0x7f; /* UIP is read-only */
		schedule(r, now);
		return;
	case RTC_B:
		r->cmos[RTC_B] = v;
		schedule(r, now);
		return;
	case RTC_C: case RTC_D:
		return; /* read-only */
	}
	r->cmos[index] = v;
}

bool tg_rtc_advance(struct tg_rtc *r, uint64_t now)
{
	if (r->next_irq == UINT64_MAX || now < r->next_irq)
		return false;
	uint8_t b = r->cmos[RTC_B];
	uint8_t f = 0;
	if (b & B_PIE)
		f |= C_PF;
	if ((b & B_UIE) && now / NS != (r->next_irq - 1) / NS)
		f |= C_UF;
	r->flags |= f;
	bool irq = (f & C_PF && b & B_PIE) || (f & C_UF && b & B_UIE);
	if (irq)
		r->flags |= C_IRQF;
	schedule(r, now);
	return irq;
}

uint64_t tg_rtc_next(const struct tg_rtc *r)
{
	return r->next_irq;
}

static uint32_t rtc_in(void *opaque, uint16_t off, unsigned size)
{
	(void)size;
	struct tg_rtc *r = opaque;
	if (off == 0)
		return 0xff; /* the index register is write-only */
	return tg_rtc_read(r, r->index, r->now(r->opaque));
}

static void rtc_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	struct tg_rtc *r = opaque;
	if (off == 0) {
		r->index = v & 0x7f;
		r->nmi_disabled = v & 0x80;
	} else {
		tg_rtc_write(r, r->index, (uint8_t)v, r->now(r->opaque));
	}
}

int tg_rtc_attach(struct tg_rtc *r, struct tg_iobus *bus)
{
	struct tg_io_dev d = { .name = "CMOS/RTC", .base = 0x70, .len = 2,
			       .byte_only = true, .in = rtc_in, .out = rtc_out, .opaque = r };
	return tg_iobus_add(bus, &d);
}

/* ---------------- fw_cfg [QEMU docs/specs/fw_cfg.rst] ---------------- */

void tg_fwcfg_init(struct tg_fwcfg *f)
{
	memset(f, 0, sizeof *f);
	/* "QEMU" and ID bit 0 (traditional interface; no DMA, bit 1). */
	tg_fwcfg_add(f, TG_FWCFG_SIGNATURE, "QEMU", 4);
	tg_fwcfg_add_u32(f, TG_FWCFG_ID, 1);
	/* An empty directory until files are added. */
	static const uint8_t zero4[4];
	tg_fwcfg_add(f, TG_FWCFG_FILE_DIR, zero4, 4);
}

void tg_fwcfg_free(struct tg_fwcfg *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->e[i].data);
	f->n = 0;
}

static struct tg_fwcfg_entry *find(struct tg_fwcfg *f, uint16_t key)
{
	for (int i = 0; i < f->n; i++)
		if (f->e[i].key == key)
			return &f->e[i];
	return 0;
}

int tg_fwcfg_add(struct tg_fwcfg *f, uint16_t key, const void *data, uint32_t len)
{
	struct tg_fwcfg_entry *e = find(f, key);
	if (!e) {
		if (f->n >= TG_FWCFG_MAX_ENTRIES)
			return -ENOSPC;
		e = &f->e[f->n++];
		e->key = key;
		e->data = 0;
		e->len = 0;
	}
	uint8_t *d = malloc(len ? len : 1);
	if (!d)
		return -ENOMEM;
	memcpy(d, data, len);
	free(e->data);
	e->data = d;
	e->len = len;
	return 0;
}

/* Numeric items are little-endian [fw_cfg.rst "Data Register"]. */
int tg_fwcfg_add_u16(struct tg_fwcfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	return tg_fwcfg_add(f, key, b, 2);
}

int tg_fwcfg_add_u32(struct tg_fwcfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return tg_fwcfg_add(f, key, b, 4);
}

int tg_fwcfg_add_u64(struct tg_fwcfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return tg_fwcfg_add(f, key, b, 8);
}

int tg_fwcfg_add_file(struct tg_fwcfg *f, const char *name, const void *data,
		      uint32_t len)
{
	if (strlen(name) >= 56)
		return -EINVAL;
	uint16_t key = (uint16_t)(TG_FWCFG_FILE_FIRST + f->nfiles);
	int r = tg_fwcfg_add(f, key, data, len);
	if (r < 0)
		return r;
	f->nfiles++;
	/* The directory: a big-endian count, then per file a big-endian
	 * size, select key, reserved u16 and a 56-byte name. */
	uint32_t n = (uint32_t)f->nfiles;
	size_t dlen = 4 + 64 * (size_t)n;
	uint8_t *dir = calloc(1, dlen);
	if (!dir)
		return -ENOMEM;
	dir[0] = (uint8_t)(n >> 24); dir[1] = (uint8_t)(n >> 16);
	dir[2] = (uint8_t)(n >> 8); dir[3] = (uint8_t)n;
	struct tg_fwcfg_entry *old = find(f, TG_FWCFG_FILE_DIR);
	if (old && old->len >= 4)
		memcpy(dir + 4, old->data + 4, old->len - 4);
	uint8_t *e = dir + 4 + 64 * (n - 1);
	e[0] = (uint8_t)(len >> 24); e[1] = (uint8_t)(len >> 16);
	e[2] = (uint8_t)(len >> 8); e[3] = (uint8_t)len;
	e[4] = (uint8_t)(key >> 8); e[5] = (uint8_t)key;
	memcpy(e + 8, name, strlen(name));
	r = tg_fwcfg_add(f, TG_FWCFG_FILE_DIR, dir, (uint32_t)dlen);
	free(dir);
	return r;
}

void tg_fwcfg_select(struct tg_fwcfg *f, uint16_t key)
{
	f->sel = key;
	f->off = 0;
}

uint8_t tg_fwcfg_read_byte(struct tg_fwcfg *f)
{
	/* Bit 14 (write channel) and 15 (architecture-local) are part of
	 * the key; past the end, and for missing items, reads are 0. */
	struct tg_fwcfg_entry *e = find(f, f->sel);
	if (!e || f->off >= e->len)
		return 0;
	return e->data[f->off++];
}

static uint32_t fwcfg_in(void *opaque, uint16_t off, unsigned size)
{
	(void)off;
	if (size != 1)
		return 0xffffffffu;
	return tg_fwcfg_read_byte(opaque); /* QEMU serves byte reads at either port */
}

static void fwcfg_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	/* A 16-bit write at 0x510 selects; data writes are ignored. */
	if (off == 0 && size == 2)
		tg_fwcfg_select(opaque, (uint16_t)v);
}

int tg_fwcfg_attach(struct tg_fwcfg *f, struct tg_iobus *bus)
{
	struct tg_io_dev d = { .name = "fw_cfg", .base = TG_FWCFG_PORT, .len = 2,
			       .in = fwcfg_in, .out = fwcfg_out, .opaque = f };
	return tg_iobus_add(bus, &d);
}

/* ---------------- ACPI [ACPI 6.4 ch. 5.2] ---------------- */

uint8_t tg_acpi_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static void w16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void w32(uint8_t *p, uint32_t v) { w16(p, (uint16_t)v); w16(p + 2, (uint16_t)(v >> 16)); }
static void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }

/* The 36-byte system description table header [ACPI 5.2.6]. */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	w32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "TRAPGT", 6);      /* OEM ID */
	memcpy(t + 16, "TRAPGATE", 8);    /* OEM table ID */
	w32(t + 24, 1);                   /* OEM revision */
	memcpy(t + 28, "TGAT", 4);        /* creator ID */
	w32(t + 32, 1);
	t[9] = 0;
	t[9] = (uint8_t)-tg_acpi_sum(t, len);
}

size_t tg_acpi_build(uint8_t *a, uint32_t gpa, size_t len, const struct tg_acpi_config *c)
{
	/* Offsets inside the area. FACS must be 64-byte aligned [5.2.10]. */
	const uint32_t o_rsdp = 0, o_rsdt = 0x40, o_xsdt = 0x80, o_fadt = 0x100,
		       o_facs = 0x200, o_dsdt = 0x240, o_madt = 0x280;
	const uint32_t madt_len = 44 + 8 + 12 + 10 + 10 + 6;
	const uint32_t fadt_len = 244, dsdt_len = 36;
	size_t need = o_madt + madt_len;
	if (len < need)
		return 0;
	memset(a, 0, need);

	/* MADT [5.2.12] */
	uint8_t *m = a + o_madt;
	w32(m + 36, c->lapic_addr);
	w32(m + 40, 1); /* PCAT_COMPAT: dual 8259s present */
	uint8_t *e = m + 44;
	e[0] = 0; e[1] = 8; e[2] = 0; e[3] = c->lapic_id; w32(e + 4, 1); /* enabled */
	e += 8;
	e[0] = 1; e[1] = 12; e[2] = c->ioapic_id; w32(e + 4, c->ioapic_addr); w32(e + 8, 0);
	e += 12;
	/* ISA IRQ 0 is IO-APIC input 2; the SCI is level, active high, as
	 * QEMU's PC describes it [5.2.12.5]. */
	e[0] = 2; e[1] = 10; e[2] = 0; e[3] = 0; w32(e + 4, 2); w16(e + 8, 0);
	e += 10;
	e[0] = 2; e[1] = 10; e[2] = 0; e[3] = TG_ACPI_SCI_IRQ; w32(e + 4, TG_ACPI_SCI_IRQ);
	w16(e + 8, 0xd); /* polarity active high (01), trigger level (11) */
	e += 10;
	e[0] = 4; e[1] = 6; e[2] = 0xff; w16(e + 3, 0); e[5] = 1; /* LINT1 is NMI */
	header(m, "APIC", madt_len, 3);

	/* DSDT: a header with no AML. */
	header(a + o_dsdt, "DSDT", dsdt_len, 2);

	/* FACS [5.2.10]: no checksum field. */
	uint8_t *s = a + o_facs;
	memcpy(s, "FACS", 4);
	w32(s + 4, 64);

	/* FADT [5.2.9], revision 3 layout. */
	uint8_t *f = a + o_fadt;
	w32(f + 36, gpa + o_facs);
	w32(f + 40, gpa + o_dsdt);
	f[45] = 0;                              /* preferred PM profile */
	w16(f + 46, TG_ACPI_SCI_IRQ);
	w32(f + 48, 0);                         /* SMI_CMD 0: always in ACPI mode */
	w32(f + 56, TG_ACPI_PM_BASE);           /* PM1a_EVT_BLK */
	w32(f + 64, TG_ACPI_PM_BASE + 4);       /* PM1a_CNT_BLK */
	w32(f + 76, TG_ACPI_PM_BASE + 8);       /* PM_TMR_BLK */
	f[88] = 4;                              /* PM1_EVT_LEN */
	f[89] = 2;                              /* PM1_CNT_LEN */
	f[91] = 4;                              /* PM_TMR_LEN */
	w16(f + 96, 0xfff);                     /* P_LVL2_LAT: C2 unsupported */
	w16(f + 98, 0xfff);                     /* P_LVL3_LAT */
	f[108] = 0x32;                          /* RTC century register */
	w32(f + 112, (1u << 0) | (1u << 4) | (1u << 5)); /* WBINVD, PWR/SLP buttons absent */
	w64(f + 132, gpa + o_facs);             /* X_FIRMWARE_CTRL */
	w64(f + 140, gpa + o_dsdt);             /* X_DSDT */
	header(f, "FACP", fadt_len, 3);

	/* RSDT and XSDT [5.2.7, 5.2.8] */
	uint32_t tabs[2] = { gpa + o_fadt, gpa + o_madt };
	for (int i = 0; i < 2; i++) {
		w32(a + o_rsdt + 36 + 4 * i, tabs[i]);
		w64(a + o_xsdt + 36 + 8 * i, tabs[i]);
	}
	header(a + o_rsdt, "RSDT", 36 + 8, 1);
	header(a + o_xsdt, "XSDT", 36 + 16, 1);

	/* RSDP [5.2.5.3]: checksum over the first 20 bytes, extended
	 * checksum over all 36. */
	uint8_t *r = a + o_rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, "TRAPGT", 6);
	r[15] = 2;
	w32(r + 16, gpa + o_rsdt);
	w32(r + 20, 36);
	w64(r + 24, gpa + o_xsdt);
	r[8] = (uint8_t)-tg_acpi_sum(r, 20);
	r[32] = (uint8_t)-tg_acpi_sum(r, 36);
	return need;
}

void tg_acpi_pm_init(struct tg_acpi_pm *pm, uint64_t (*now)(void *), void *opaque)
{
	memset(pm, 0, sizeof *pm);
	pm->cnt = 1; /* SCI_EN: in ACPI mode (the FADT has no SMI_CMD) */
	pm->now = now;
	pm->opaque = opaque;
}

uint32_t tg_acpi_pm_timer(uint64_t now)
{
	return (uint32_t)((unsigned __int128)now * TG_ACPI_PM_HZ / NS) & 0xffffff;
}

static uint32_t pm_in(void *opaque, uint16_t off, unsigned size)
{
	struct tg_acpi_pm *pm = opaque;
	uint64_t v;
	switch (off & ~3u) {
	case 0: v = pm->sts | (uint32_t)pm->en << 16; break;
	case 4: v = pm->cnt; break;
	default: v = tg_acpi_pm_timer(pm->now(pm->opaque)); break;
	}
	return (uint32_t)(v >> (8 * (off & 3))) & (size >= 4 ? ~0u : (1u << (8 * size)) - 1);
}

static void pm_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	struct tg_acpi_pm *pm = opaque;
	uint64_t w = (uint64_t)v << (8 * (off & 3));
	uint32_t mask = (size >= 4 ? ~0u : (1u << (8 * size)) - 1) << (8 * (off & 3));
	switch (off & ~3u) {
	case 0:
		/* PM1_STS is write-1-to-clear; PM1_EN is plain */
		pm->sts &= (uint16_t)~(w & mask & 0xffff);
		pm->en = (uint16_t)((pm->en & ~(mask >> 16)) | ((w >> 16) & (mask >> 16)));
		break;
	case 4:
		pm->cnt = (uint16_t)((pm->cnt & ~mask) | (w & mask));
		break;
	default:
		break; /* the timer is read-only */
	}
}

int tg_acpi_pm_attach(struct tg_acpi_pm *pm, struct tg_iobus *bus)
{
	struct tg_io_dev d = { .name = "ACPI PM", .base = TG_ACPI_PM_BASE, .len = 12,
			       .in = pm_in, .out = pm_out, .opaque = pm };
	return tg_iobus_add(bus, &d);
}

/* ---------------- pc-testdev ---------------- */

void tg_testdev_init(struct tg_testdev *t, void (*set_irq)(void *, unsigned, bool),
		     void *opaque)
{
	memset(t, 0, sizeof *t);
	t->set_irq = set_irq;
	t->opaque = opaque;
}

/* The scratch register: an access of `size` bytes at byte `off` reads or
 * writes those bytes of the 32-bit value. */
static uint32_t scratch_in(void *opaque, uint16_t off, unsigned size)
{
	struct tg_testdev *t = opaque;
	off &= 3;
	uint64_t mask = (size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1);
	return (uint32_t)((t->ioport >> (8 * off)) & mask);
}

static void scratch_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	struct tg_testdev *t = opaque;
	off &= 3;
	uint64_t mask = ((size >= 4 ? 0xffffffffull : (1ull << (8 * size)) - 1) << (8 * off)) &
			0xffffffffull;
	t->ioport = (uint32_t)((t->ioport & ~mask) | (((uint64_t)v << (8 * off)) & mask));
}

static uint32_t flush_in(void *opaque, uint16_t off, unsigned size)
{
	(void)opaque; (void)off; (void)size;
	return 0;
}

static void flush_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)off; (void)size; (void)v;
	/* "Flush" a guest page: QEMU unmaps and remaps it so the host TLB
	 * forgets it; guest-visible contents stay. Nothing to do here. */
	((struct tg_testdev *)opaque)->flushes++;
}

static uint32_t irq_in(void *opaque, uint16_t off, unsigned size)
{
	(void)opaque; (void)off; (void)size;
	return 0;
}

static void irq_out(void *opaque, uint16_t off, unsigned size, uint32_t v)
{
	(void)size;
	struct tg_testdev *t = opaque;
	if (t->set_irq && off < 16)
		t->set_irq(t->opaque, off, v != 0);
}

int tg_testdev_attach(struct tg_testdev *t, struct tg_iobus *bus)
{
	/* QEMU's byte view of the register at 0xe8 is left out: 0xe9 is the
	 * debug console here (misc.h), and no test kernel uses 0xe8. */
	struct tg_io_dev d[3] = {
		{ .name = "pc-testdev", .base = 0xe0, .len = 4, .in = scratch_in,
		  .out = scratch_out, .opaque = t },
		{ .name = "pc-testdev flush", .base = 0xe4, .len = 4, .in = flush_in,
		  .out = flush_out, .opaque = t },
		{ .name = "pc-testdev irq", .base = 0x2000, .len = 24, .in = irq_in,
		  .out = irq_out, .opaque = t },
	};
	for (int i = 0; i < 3; i++) {
		int r = tg_iobus_add(bus, &d[i]);
		if (r)
			return r;
	}
	return 0;
}

void tg_testdev_mmio(struct tg_testdev *t, uint32_t off, uint8_t *data, unsigned len,
		     bool write)
{
	for (unsigned i = 0; i < len; i++) {
		uint32_t o = off + i;
		if (o >= TG_TESTDEV_IOMEM_LEN) {
			if (!write)
				data[i] = 0xff;
			continue;
		}
		if (write)
			t->iomem[o] = data[i];
		else
			data[i] = t->iomem[o];
	}
}
