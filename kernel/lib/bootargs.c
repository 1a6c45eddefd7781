/*
 * The kernel command line (see kernel/lib/bootargs.h). Written only by
 * bootargs_init on the boot hart before other harts start; read-only after,
 * so readers need no lock. Knows nothing of what the options mean.
 */
#include "kernel/lib/bootargs.h"
#include "kernel/dtb.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"

struct bootarg_word {
	const char *name;       /* NUL-terminated, in bootargs.words */
	const char *value;      /* after '=', or "" for a bare name */
};

/* All fields (c): set by bootargs_init, constant afterwards. */
static struct {
	char line[BOOTARGS_MAX];        /* the command line as given */
	char words[BOOTARGS_MAX];       /* the same, cut into words with NULs */
	struct bootarg_word word[BOOTARGS_WORDS];
	int nwords;
} bootargs;

static bool bootargs_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Copy the property, which should be a NUL-terminated string of len bytes
 * (DT spec 2.2.4 <string>), into bootargs.line; cut it if too long. */
static void bootargs_copy(const char *prop, int len)
{
	size_t n = strnlen(prop, (size_t)len);

	if (n >= sizeof(bootargs.line)) {
		printk("bootargs: command line longer than %lu bytes, cut\n",
		       (uint64_t)sizeof(bootargs.line) - 1);
		n = sizeof(bootargs.line) - 1;
	}
	memcpy(bootargs.line, prop, n);
	bootargs.line[n] = '\0';
}

/* Split bootargs.words in place: each word ends at a NUL, its '=' (if any)
 * becomes a NUL too, and the word table points at the parts. */
static void bootargs_split(void)
{
	char *p = bootargs.words;

	strlcpy(bootargs.words, bootargs.line, sizeof(bootargs.words));
	for (;;) {
		char *eq = NULL;

		while (bootargs_is_space(*p))
			*p++ = '\0';
		if (*p == '\0')
			return;
		if (bootargs.nwords == BOOTARGS_WORDS) {
			printk("bootargs: more than %d words, ignoring \"%s\"\n",
			       BOOTARGS_WORDS, p);
			return;
		}
		bootargs.word[bootargs.nwords].name = p;
		for (; *p != '\0' && !bootargs_is_space(*p); p++)
			if (*p == '=' && eq == NULL)
				eq = p;
		if (eq != NULL)
			*eq = '\0';
		bootargs.word[bootargs.nwords++].value = eq != NULL ? eq + 1 : p;
	}
}

/* See bootargs.h. Devicetree spec v0.4 3.6: /chosen "bootargs". */
void bootargs_init(void)
{
	int node = dtb_find_path("/chosen"), len = 0;
	const char *prop = NULL;

	if (node >= 0)
		prop = dtb_prop(node, "bootargs", &len);
	if (prop == NULL || len <= 0)
		return;
	bootargs_copy(prop, len);
	bootargs_split();
	if (bootargs.line[0] != '\0')
		printk("Pagoda: command line \"%s\"\n", bootargs.line);
}

/* See bootargs.h. */
const char *bootargs_cmdline(void)
{
	return bootargs.line;
}

/* See bootargs.h. The last occurrence wins, so a later word overrides. */
const char *bootarg_get(const char *name)
{
	int i;

	for (i = bootargs.nwords - 1; i >= 0; i--)
		if (strcmp(bootargs.word[i].name, name) == 0)
			return bootargs.word[i].value;
	return NULL;
}

/* See bootargs.h. */
bool bootarg_bool(const char *name, bool dflt)
{
	static const char *const yes[] = { "", "on", "yes", "1", "true" };
	static const char *const no[] = { "off", "no", "0", "false" };
	const char *v = bootarg_get(name);
	size_t i;

	if (v == NULL)
		return dflt;
	for (i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcmp(v, yes[i]) == 0)
			return true;
	for (i = 0; i < ARRAY_SIZE(no); i++)
		if (strcmp(v, no[i]) == 0)
			return false;
	printk("bootargs: %s=%s is not on/off, using %s\n", name, v,
	       dflt ? "on" : "off");
	return dflt;
}

/* See bootargs.h. */
long bootarg_int(const char *name, long dflt, long min, long max)
{
	const char *s = bootarg_get(name), *p;
	long v = 0;

	if (s == NULL)
		return dflt;
	for (p = s; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (*p - '0');
	if (p == s || *p != '\0' || v < min || v > max) {
		printk("bootargs: %s=%s is not a number in [%ld, %ld], using %ld\n",
		       name, s, min, max, dflt);
		return dflt;
	}
	return v;
}
