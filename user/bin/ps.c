/*
 * ps: list processes from /proc/<pid>/status (Name, State, PPid, VmSize,
 * VmRSS lines, "Key:<tab>value" as Linux writes them).  Fields a kernel
 * does not report are shown as "-".
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PS_PATH_MAX 300
#define PS_FIELD 64

struct ps_info {
	char name[PS_FIELD];
	char state[PS_FIELD];
	char ppid[PS_FIELD];
	char vsz[PS_FIELD];
	char rss[PS_FIELD];
};

/* Copy the value after "key:" (trimmed, unit kept off) into out. */
static void ps_field(const char *line, const char *key, char *out)
{
	size_t k = strlen(key);
	const char *v;
	size_t n = 0;

	if (strncmp(line, key, k) != 0 || line[k] != ':')
		return;
	for (v = line + k + 1; *v == ' ' || *v == '\t'; v++)
		;
	while (v[n] && v[n] != '\n' && n < PS_FIELD - 1)
		n++;
	memcpy(out, v, n);
	out[n] = '\0';
	if (strcmp(key, "VmSize") == 0 || strcmp(key, "VmRSS") == 0)
		out[strcspn(out, " \t")] = '\0';	/* drop " kB" */
	if (strcmp(key, "State") == 0)
		out[strcspn(out, " \t")] = '\0';	/* "S (sleeping)" -> "S" */
}

static int ps_read(const char *pid, struct ps_info *pi)
{
	char path[PS_PATH_MAX], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	strcpy(pi->name, "-");
	strcpy(pi->state, "-");
	strcpy(pi->ppid, "-");
	strcpy(pi->vsz, "-");
	strcpy(pi->rss, "-");
	while (fgets(line, sizeof(line), f)) {
		ps_field(line, "Name", pi->name);
		ps_field(line, "State", pi->state);
		ps_field(line, "PPid", pi->ppid);
		ps_field(line, "VmSize", pi->vsz);
		ps_field(line, "VmRSS", pi->rss);
	}
	fclose(f);
	return 0;
}

static int ps_is_pid(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int ps_by_pid(const struct dirent **a, const struct dirent **b)
{
	return atoi((*a)->d_name) - atoi((*b)->d_name);
}

static int ps_filter(const struct dirent *e)
{
	return ps_is_pid(e->d_name);
}

int main(void)
{
	struct dirent **list;
	struct ps_info pi;
	int n = scandir("/proc", &list, ps_filter, ps_by_pid);

	if (n < 0) {
		perror("ps: /proc");
		return 1;
	}
	printf("%5s %5s %-5s %8s %8s %s\n", "PID", "PPID", "STATE", "VSZ(kB)", "RSS(kB)", "NAME");
	for (int i = 0; i < n; i++) {
		if (ps_read(list[i]->d_name, &pi) == 0)
			printf("%5s %5s %-5s %8s %8s %s\n", list[i]->d_name, pi.ppid,
			       pi.state, pi.vsz, pi.rss, pi.name);
		free(list[i]);
	}
	free(list);
	return 0;
}
