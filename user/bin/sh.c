/*
 * sh: Pagoda's shell.  Reads command lines (with line editing and history
 * on a terminal), and runs pipelines `a | b | c` with `<`, `>`, `>>`, `&`
 * `2>`, `2>&1`, `&`, `;`, `&&` and `||`, quoting '...' and "...", $? $$
 * and $VAR expansion, NAME=value assignments, and the built-ins cd, exit,
 * export and unset.  Each job runs in its own process
 * group, made the terminal's foreground group, so Ctrl-C reaches the job
 * and not the shell.  The interactive prompt is "$ " (the test runner
 * waits for it).
 *
 * usage: sh [-i] [-c command | script]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pagoda/lineedit.h>

#define SH_PROMPT     "$ "
#define SH_LINE_MAX   1024
#define SH_MAX_ARGS   64
#define SH_MAX_CMDS   16
#define SH_MAX_REDIRS 8
#define SH_EXIT_NOEXEC   126
#define SH_EXIT_NOTFOUND 127
#define SH_EXIT_SIGNAL   128

enum sh_tok { TOK_WORD, TOK_PIPE, TOK_IN, TOK_OUT, TOK_APPEND, TOK_DUP,
	      TOK_AMP, TOK_SEMI, TOK_AND, TOK_OR, TOK_END, TOK_ERROR };

/* One redirection: fd < path, fd > path, fd >> path, or fd >& dup_from. */
struct sh_redir {
	enum sh_tok kind;	/* TOK_IN, TOK_OUT, TOK_APPEND or TOK_DUP */
	int fd;
	int dup_from;		/* TOK_DUP: the fd copied onto fd */
	char *path;
};

struct sh_cmd {
	char *argv[SH_MAX_ARGS + 1];
	int argc;
	struct sh_redir redirs[SH_MAX_REDIRS];
	int nredirs;
};

struct sh_pipeline {
	struct sh_cmd cmds[SH_MAX_CMDS];
	int ncmds;
	int background;
};

/* Lexer state over one line; words are expanded into `words`. */
struct sh_lexer {
	const char *p;
	char words[SH_LINE_MAX * 4];
	size_t used;
	char *word;		/* the last TOK_WORD */
	int fd;			/* the last redirection's fd (-1: default) */
	int dup_from;		/* the last TOK_DUP's source fd */
};

static int sh_status;		/* $? */
static int sh_interactive;
static int sh_tty = -1;		/* terminal fd for job control, or -1 */

/* ---------------------------------------------------------------- lexer */

static int sh_put(struct sh_lexer *lx, char c)
{
	if (lx->used + 1 >= sizeof(lx->words))
		return -1;
	lx->words[lx->used++] = c;
	return 0;
}

static int sh_put_str(struct sh_lexer *lx, const char *s)
{
	while (*s)
		if (sh_put(lx, *s++) < 0)
			return -1;
	return 0;
}

/* Expand the $ at lx->p ($?, $$, $NAME); a lone $ stays literal. */
static int sh_expand(struct sh_lexer *lx)
{
	char name[64], num[16];
	size_t n = 0;
	const char *v;

	lx->p++;
	if (*lx->p == '?' || *lx->p == '$') {
		snprintf(num, sizeof(num), "%d", *lx->p == '?' ? sh_status : getpid());
		lx->p++;
		return sh_put_str(lx, num);
	}
	while ((*lx->p == '_' || (*lx->p >= 'a' && *lx->p <= 'z') ||
		(*lx->p >= 'A' && *lx->p <= 'Z') ||
		(n && *lx->p >= '0' && *lx->p <= '9')) && n < sizeof(name) - 1)
		name[n++] = *lx->p++;
	if (n == 0)
		return sh_put(lx, '$');
	name[n] = '\0';
	v = getenv(name);
	return v ? sh_put_str(lx, v) : 0;
}

/* Copy a quoted section; lx->p is at the opening quote. */
static int sh_quoted(struct sh_lexer *lx)
{
	char q = *lx->p++;

	while (*lx->p && *lx->p != q) {
		if (q == '"' && *lx->p == '$') {
			if (sh_expand(lx) < 0)
				return -1;
			continue;
		}
		if (q == '"' && *lx->p == '\\' && lx->p[1] && strchr("\"\\$", lx->p[1]))
			lx->p++;
		if (sh_put(lx, *lx->p++) < 0)
			return -1;
	}
	if (*lx->p != q) {
		fprintf(stderr, "sh: missing closing %c\n", q);
		return -1;
	}
	lx->p++;
	return 0;
}

static int sh_is_special(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       strchr("|<>&;", c) != NULL;
}

/* Read one word (quotes, escapes, expansions) into lx->word. */
static enum sh_tok sh_word(struct sh_lexer *lx)
{
	lx->word = lx->words + lx->used;
	while (!sh_is_special(*lx->p)) {
		int r = 0;
		if (*lx->p == '\'' || *lx->p == '"')
			r = sh_quoted(lx);
		else if (*lx->p == '$')
			r = sh_expand(lx);
		else if (*lx->p == '\\' && lx->p[1])
			r = (lx->p++, sh_put(lx, *lx->p++));
		else
			r = sh_put(lx, *lx->p++);
		if (r < 0)
			return TOK_ERROR;
	}
	return sh_put(lx, '\0') < 0 ? TOK_ERROR : TOK_WORD;
}

/* After '>': ">>", ">&N" or ">". */
static enum sh_tok sh_next_out(struct sh_lexer *lx)
{
	if (*lx->p == '>')
		return lx->p++, TOK_APPEND;
	if (*lx->p == '&' && lx->p[1] >= '0' && lx->p[1] <= '9') {
		lx->dup_from = lx->p[1] - '0';
		lx->p += 2;
		return TOK_DUP;
	}
	return TOK_OUT;
}

static enum sh_tok sh_next(struct sh_lexer *lx)
{
	while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n')
		lx->p++;
	lx->fd = -1;
	if (*lx->p >= '0' && *lx->p <= '9' && (lx->p[1] == '<' || lx->p[1] == '>'))
		lx->fd = *lx->p++ - '0';	/* "2>file": a redirection of fd 2 */
	switch (*lx->p) {
	case '\0': return TOK_END;
	case '#':  lx->p += strlen(lx->p); return TOK_END;
	case '<':  lx->p++; return TOK_IN;
	case ';':  lx->p++; return TOK_SEMI;
	case '>':  lx->p++; return sh_next_out(lx);
	case '|':
		lx->p++;
		return *lx->p == '|' ? (lx->p++, TOK_OR) : TOK_PIPE;
	case '&':
		lx->p++;
		return *lx->p == '&' ? (lx->p++, TOK_AND) : TOK_AMP;
	default:
		return sh_word(lx);
	}
}

/* ---------------------------------------------------------------- parser */

static int sh_syntax(const char *what)
{
	fprintf(stderr, "sh: syntax error near %s\n", what);
	return -1;
}

/* Add a word or a redirection to cmd. */
static int sh_parse_item(struct sh_lexer *lx, struct sh_cmd *cmd, enum sh_tok t)
{
	struct sh_redir *r;

	if (t == TOK_WORD) {
		if (cmd->argc >= SH_MAX_ARGS)
			return sh_syntax("too many arguments");
		cmd->argv[cmd->argc++] = lx->word;
		return 0;
	}
	if (cmd->nredirs >= SH_MAX_REDIRS)
		return sh_syntax("too many redirections");
	r = &cmd->redirs[cmd->nredirs++];
	r->kind = t;
	r->fd = lx->fd >= 0 ? lx->fd : t == TOK_IN ? STDIN_FILENO : STDOUT_FILENO;
	r->dup_from = lx->dup_from;
	r->path = NULL;
	if (t == TOK_DUP)
		return 0;
	if (sh_next(lx) != TOK_WORD)
		return sh_syntax("redirection");
	r->path = lx->word;
	return 0;
}

static int sh_is_redir(enum sh_tok t)
{
	return t == TOK_IN || t == TOK_OUT || t == TOK_APPEND || t == TOK_DUP;
}

static const char *sh_tok_name(enum sh_tok t)
{
	switch (t) {
	case TOK_PIPE: return "|";
	case TOK_AMP:  return "&";
	case TOK_SEMI: return ";";
	case TOK_AND:  return "&&";
	case TOK_OR:   return "||";
	default:       return "end of line";
	}
}

/*
 * Parse one pipeline up to ';', '&' or the end of the line.  Returns its
 * terminator, TOK_END with ncmds == 0 for an empty line, or TOK_ERROR.
 */
static enum sh_tok sh_parse(struct sh_lexer *lx, struct sh_pipeline *pl)
{
	struct sh_cmd *cmd;
	enum sh_tok t;

	memset(pl, 0, sizeof(*pl));
	cmd = &pl->cmds[0];
	for (;;) {
		t = sh_next(lx);
		if (t == TOK_ERROR)
			return TOK_ERROR;
		if (t == TOK_WORD || sh_is_redir(t)) {
			if (sh_parse_item(lx, cmd, t) < 0)
				return TOK_ERROR;
			continue;
		}
		if (cmd->argc == 0 && (pl->ncmds > 0 || t != TOK_END || cmd->nredirs))
			return sh_syntax(sh_tok_name(t)), TOK_ERROR;
		if (cmd->argc > 0)
			pl->ncmds++;
		if (t != TOK_PIPE)
			break;
		if (pl->ncmds >= SH_MAX_CMDS)
			return sh_syntax("| (pipeline too long)"), TOK_ERROR;
		cmd = &pl->cmds[pl->ncmds];
	}
	pl->background = (t == TOK_AMP);
	return t;
}

/* ---------------------------------------------------------------- built-ins */

static int sh_cd(struct sh_cmd *cmd)
{
	const char *dir = cmd->argc > 1 ? cmd->argv[1] : getenv("HOME");

	if (dir == NULL)
		dir = "/";
	if (chdir(dir) < 0) {
		fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	return 0;
}

static int sh_export(struct sh_cmd *cmd)
{
	for (int i = 1; i < cmd->argc; i++) {
		char *eq = strchr(cmd->argv[i], '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		setenv(cmd->argv[i], eq + 1, 1);
	}
	return 0;
}

/* Is word a NAME=value assignment? */
static int sh_is_assignment(const char *word)
{
	const char *eq = strchr(word, '=');

	if (eq == NULL || eq == word)
		return 0;
	for (const char *c = word; c < eq; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (c > word && *c >= '0' && *c <= '9')))
			return 0;
	return 1;
}

/* Apply leading NAME=value words to the environment and drop them. */
static void sh_assignments(struct sh_cmd *cmd)
{
	int n = 0;

	while (n < cmd->argc && sh_is_assignment(cmd->argv[n])) {
		char *eq = strchr(cmd->argv[n], '=');
		*eq = '\0';
		setenv(cmd->argv[n], eq + 1, 1);
		*eq = '=';
		n++;
	}
	memmove(cmd->argv, cmd->argv + n, (size_t)(cmd->argc - n + 1) * sizeof(char *));
	cmd->argc -= n;
}

/* Run a built-in in the shell itself; returns 1 if cmd was one. */
static int sh_builtin(struct sh_cmd *cmd)
{
	const char *name = cmd->argv[0];

	if (cmd->argc > 0 && sh_is_assignment(name)) {
		/* Only assignments (a command after them runs in a child). */
		for (int i = 0; i < cmd->argc; i++)
			if (!sh_is_assignment(cmd->argv[i]))
				return 0;
		sh_assignments(cmd);
		sh_status = 0;
	} else if (strcmp(name, "cd") == 0) {
		sh_status = sh_cd(cmd);
	} else if (strcmp(name, "exit") == 0) {
		lineedit_done();
		exit(cmd->argc > 1 ? atoi(cmd->argv[1]) : sh_status);
	} else if (strcmp(name, "export") == 0) {
		sh_status = sh_export(cmd);
	} else if (strcmp(name, "unset") == 0) {
		for (int i = 1; i < cmd->argc; i++)
			unsetenv(cmd->argv[i]);
		sh_status = 0;
	} else {
		return 0;
	}
	return 1;
}

/* ---------------------------------------------------------------- execution */

/* Carry out one redirection; prints and returns -1 on failure. */
static int sh_redirect(const struct sh_redir *r)
{
	int flags = r->kind == TOK_IN ? O_RDONLY : O_WRONLY | O_CREAT |
		    (r->kind == TOK_APPEND ? O_APPEND : O_TRUNC);
	int o;

	if (r->kind == TOK_DUP) {
		if (dup2(r->dup_from, r->fd) < 0) {
			fprintf(stderr, "sh: %d: %s\n", r->dup_from, strerror(errno));
			return -1;
		}
		return 0;
	}
	o = open(r->path, flags, 0644);
	if (o < 0) {
		fprintf(stderr, "sh: %s: %s\n", r->path, strerror(errno));
		return -1;
	}
	if (o != r->fd) {
		dup2(o, r->fd);
		close(o);
	}
	return 0;
}

/* In the child: join the job's group, wire fds, exec.  Never returns. */
static void sh_child(struct sh_cmd *cmd, pid_t pgid, int fg, int in, int out)
{
	setpgid(0, pgid);
	if (fg && sh_tty >= 0)
		tcsetpgrp(sh_tty, pgid ? pgid : getpid());
	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	signal(SIGTTOU, SIG_DFL);
	signal(SIGTTIN, SIG_DFL);
	if (in != STDIN_FILENO) {
		dup2(in, STDIN_FILENO);
		close(in);
	}
	if (out != STDOUT_FILENO) {
		dup2(out, STDOUT_FILENO);
		close(out);
	}
	for (int i = 0; i < cmd->nredirs; i++)
		if (sh_redirect(&cmd->redirs[i]) < 0)
			_exit(1);
	sh_assignments(cmd);
	if (cmd->argc == 0)
		_exit(0);
	if (sh_builtin(cmd))
		exit(sh_status);
	execvp(cmd->argv[0], cmd->argv);
	fprintf(stderr, "sh: %s: %s\n", cmd->argv[0],
		errno == ENOENT ? "not found" : strerror(errno));
	_exit(errno == ENOENT ? SH_EXIT_NOTFOUND : SH_EXIT_NOEXEC);
}

/* Say how a job ended when a signal killed it; returns its $? value. */
static int sh_report(int status, int fg)
{
	int sig;

	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	sig = WTERMSIG(status);
	/* After Ctrl-C the terminal shows "^C": start a fresh line. */
	if (fg && sig != SIGPIPE)
		fprintf(stderr, "%s%s%s\n", sig == SIGINT ? "\n" : "", strsignal(sig),
			WCOREDUMP(status) ? " (core dumped)" : "");
	return SH_EXIT_SIGNAL + sig;
}

/* Wait for the foreground job's processes; $? is the last one's status. */
static void sh_wait_job(pid_t *pids, int n)
{
	int status = 0;

	for (int i = 0; i < n; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (i == n - 1)
			status = st;
	}
	if (sh_tty >= 0)
		tcsetpgrp(sh_tty, getpgrp());
	sh_status = sh_report(status, 1);
}

/* Report background jobs that have finished (called before each prompt). */
static void sh_reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (!sh_interactive)
			continue;
		if (WIFSIGNALED(status))
			fprintf(stderr, "[%d] %s\n", pid, strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "[%d] Done (%d)\n", pid, WEXITSTATUS(status));
	}
}

/* Fork every command of the pipeline, connected by pipes. */
static void sh_run(struct sh_pipeline *pl)
{
	pid_t pids[SH_MAX_CMDS], pgid = 0;
	int in = STDIN_FILENO, fd[2];

	if (pl->ncmds == 1 && !pl->background && pl->cmds[0].nredirs == 0 &&
	    sh_builtin(&pl->cmds[0]))
		return;
	fflush(stdout);
	for (int i = 0; i < pl->ncmds; i++) {
		int out = STDOUT_FILENO;
		if (i + 1 < pl->ncmds) {
			if (pipe(fd) < 0) {
				perror("sh: pipe");
				break;
			}
			out = fd[1];
		}
		pids[i] = fork();
		if (pids[i] == 0) {
			if (out != STDOUT_FILENO)
				close(fd[0]);
			sh_child(&pl->cmds[i], pgid, !pl->background, in, out);
		}
		if (pids[i] < 0) {
			perror("sh: fork");
			pl->ncmds = i;
		} else {
			pgid = pgid ? pgid : pids[i];
			setpgid(pids[i], pgid);
		}
		if (in != STDIN_FILENO)
			close(in);
		if (out != STDOUT_FILENO) {
			close(out);
			in = fd[0];
		}
	}
	if (pl->ncmds == 0)
		return;
	if (pl->background) {
		if (sh_interactive)
			fprintf(stderr, "[%d]\n", pids[pl->ncmds - 1]);
		sh_status = 0;
		return;
	}
	if (sh_tty >= 0)
		tcsetpgrp(sh_tty, pgid);
	sh_wait_job(pids, pl->ncmds);
}

/*
 * Parse and run every pipeline of one line.  After `a && b` b runs only if
 * a succeeded, after `a || b` only if it failed; a skipped pipeline leaves
 * $? alone, so `false && x || y` runs y.
 */
static void sh_line(const char *line)
{
	static struct sh_lexer lx;
	static struct sh_pipeline pl;
	enum sh_tok t;
	int skip = 0;

	lx.p = line;
	lx.used = 0;
	do {
		t = sh_parse(&lx, &pl);
		if (t == TOK_ERROR) {
			sh_status = 2;
			return;
		}
		if (pl.ncmds > 0 && !skip)
			sh_run(&pl);
		skip = (t == TOK_AND && sh_status != 0) || (t == TOK_OR && sh_status == 0);
	} while (t != TOK_END);
}

/* ---------------------------------------------------------------- main */

/* Run a script file, one line at a time. */
static int sh_script(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[SH_LINE_MAX];

	if (f == NULL) {
		fprintf(stderr, "sh: %s: %s\n", path, strerror(errno));
		return SH_EXIT_NOTFOUND;
	}
	fcntl(fileno(f), F_SETFD, FD_CLOEXEC);
	while (fgets(line, sizeof(line), f))
		sh_line(line);
	fclose(f);
	return sh_status;
}

static void sh_setup_signals(void)
{
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
}

int main(int argc, char **argv)
{
	char line[SH_LINE_MAX];
	int force_interactive = 0;

	if (argc > 1 && strcmp(argv[1], "-i") == 0) {
		force_interactive = 1;
		argv++;
		argc--;
	}
	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		sh_line(argv[2]);
		return sh_status;
	}
	if (argc > 1)
		return sh_script(argv[1]);
	sh_interactive = force_interactive || isatty(STDIN_FILENO);
	if (sh_interactive) {
		sh_setup_signals();
		if (isatty(STDIN_FILENO)) {
			sh_tty = STDIN_FILENO;
			setpgid(0, 0);
			tcsetpgrp(sh_tty, getpgrp());
		}
	}
	for (;;) {
		sh_reap();
		if (lineedit_read(sh_interactive ? SH_PROMPT : NULL, line, sizeof(line)) < 0)
			break;
		sh_line(line);
	}
	lineedit_done();
	return sh_status;
}
