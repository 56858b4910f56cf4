// Puts an unprivileged scow process into the user's shared scow user and
// mount namespace before the Go runtime starts any thread: setns and
// unshare of a user namespace are refused to a multithreaded process, so
// neither can be done from Go, and doing both here spares a re-exec.
//
// The namespace is kept by a holder: a child forked here, before any
// thread exists, that unshares the namespaces, is mapped through the
// setuid newuidmap/newgidmap (or a single-ID map without a subordinate
// range), and records "PID USERNS-INODE MNTNS-INODE" in <dir>/holder.pid.
// Every process inside keeps a shared flock on <dir>/userns.lock for its
// whole life; the holder waits for an exclusive one and, once nobody has
// joined for LINGER_SECONDS, removes its record and exits, taking the
// namespaces with it. Joiners hold the shared lock before reading the
// record, so the holder cannot vanish between the read and the setns;
// checking the namespace inodes guards against a reused PID.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int scow_userns_joined;
int scow_userns_single; // created this time with a single-ID mapping
int scow_rootless_uid = -1;
int scow_rootless_gid = -1;
char scow_userns_error[512];

// die ends a process that cannot continue, in the CLI's error format.
static void die(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	fputs("Error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(125);
}

static void fail(const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(scow_userns_error, sizeof scow_userns_error, fmt, ap);
	va_end(ap);
}

// needs_namespace tells from argv whether the command touches storage or
// containers; help and version do not. Global flags that take a value are
// those of cmd/scow/main.go. A guess that is wrong the other way costs
// only a re-exec: Enter in Go asks for the namespace with
// _SCOW_USERNS_FORCE.
static int needs_namespace(int argc, char **argv) {
	static const char *valued[] = {"--root", "--runroot", "--storage-driver", "--runtime", "--log-level", NULL};
	int command = 0;
	if (getenv("_SCOW_USERNS_FORCE") != NULL)
		return 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			return 0;
		if (a[0] == '-') {
			if (command)
				continue; // a flag of the command
			if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0)
				return 0;
			for (const char **v = valued; *v; v++)
				if (strcmp(a, *v) == 0)
					i++;
			continue;
		}
		if (command)
			return 1; // a positional argument after the command
		if (strcmp(a, "version") == 0 || strcmp(a, "help") == 0 || strcmp(a, "h") == 0)
			return 0;
		command = 1;
	}
	return command;
}

static int private_dir(const char *dir);

// userns_dir mirrors Dir() in userns_linux.go, creating it.
static int userns_dir(char *buf, size_t len) {
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];
	int n;
	if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(base, sizeof base, "%s/scow", xdg);
	else
		n = snprintf(base, sizeof base, "/tmp/scow-%d", (int)geteuid());
	if (n < 0 || (size_t)n >= sizeof base)
		return -1;
	n = snprintf(buf, len, "%s/userns", base);
	if (n < 0 || (size_t)n >= len)
		return -1;
	if (private_dir(base) < 0 || private_dir(buf) < 0)
		return -1;
	return 0;
}

// private_dir creates dir, or checks that the existing one is a real
// directory of ours that nobody else may write: /tmp/scow-UID could have
// been made by another user to plant links or hold our locks.
static int private_dir(const char *dir) {
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fail("create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		fail("inspect %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		fail("%s is not a private directory of uid %d: remove it", dir, (int)geteuid());
		return -1;
	}
	return 0;
}

static int ns_inode(int pid, const char *ns, unsigned long long *ino) {
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, ns);
	if (stat(path, &st) < 0)
		return -1;
	*ino = (unsigned long long)st.st_ino;
	return 0;
}

// try_join joins the recorded holder's namespaces: 1 when joined, 0 when
// there is no live holder, -1 on error. The caller holds the shared lock.
static int try_join(const char *dir) {
	char path[PATH_MAX];
	int pid, ufd, mfd;
	unsigned long long userino, mntino;
	struct stat ust, mst;
	FILE *f;

	snprintf(path, sizeof path, "%s/holder.pid", dir);
	f = fopen(path, "re");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%d %llu %llu", &pid, &userino, &mntino) != 3) {
		fclose(f);
		return 0;
	}
	fclose(f);
	snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
	ufd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
	mfd = open(path, O_RDONLY | O_CLOEXEC);
	if (ufd < 0 || mfd < 0 || fstat(ufd, &ust) < 0 || fstat(mfd, &mst) < 0 ||
	    (unsigned long long)ust.st_ino != userino || (unsigned long long)mst.st_ino != mntino) {
		if (ufd >= 0)
			close(ufd);
		if (mfd >= 0)
			close(mfd);
		return 0; // a stale record
	}
	if (setns(ufd, CLONE_NEWUSER) < 0) {
		fail("join the user namespace of holder %d: %s", pid, strerror(errno));
		close(ufd);
		close(mfd);
		return -1;
	}
	// Half inside is no state to go on from: the process would look like
	// real root to everything after.
	if (setns(mfd, CLONE_NEWNS) < 0)
		die("join the mount namespace of holder %d: %s", pid, strerror(errno));
	close(ufd);
	close(mfd);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		die("become root in the user namespace: %s", strerror(errno));
	return 1;
}

// subids finds the first range of the user in /etc/subuid or /etc/subgid.
static int subids(const char *file, const char *name, unsigned id, unsigned long *start, unsigned long *count) {
	char line[512], idstr[16];
	FILE *f = fopen(file, "re");
	if (f == NULL)
		return 0;
	snprintf(idstr, sizeof idstr, "%u", id);
	while (fgets(line, sizeof line, f) != NULL) {
		char *who = strtok(line, ":"), *s = strtok(NULL, ":"), *c = strtok(NULL, ":\n");
		char *end1, *end2;
		if (who == NULL || s == NULL || c == NULL)
			continue;
		if ((name == NULL || strcmp(who, name) != 0) && strcmp(who, idstr) != 0)
			continue;
		*start = strtoul(s, &end1, 10);
		*count = strtoul(c, &end2, 10);
		if (*end1 == '\0' && *end2 == '\0' && *count > 0) {
			fclose(f);
			return 1;
		}
	}
	fclose(f);
	return 0;
}

// An idmap is a run of newuidmap or newgidmap for a process: both run at
// once, each a setuid program that takes about a millisecond.
struct idmap {
	const char *tool;
	char pid[16], id[16], start[32], count[32];
	pid_t child;
};

// spawn_idmap starts m's tool.
static int spawn_idmap(struct idmap *m, const char *tool, int pid, unsigned id, unsigned long start, unsigned long count) {
	m->tool = tool;
	snprintf(m->pid, sizeof m->pid, "%d", pid);
	snprintf(m->id, sizeof m->id, "%u", id);
	snprintf(m->start, sizeof m->start, "%lu", start);
	snprintf(m->count, sizeof m->count, "%lu", count);
	m->child = fork();
	if (m->child < 0) {
		fail("fork %s: %s", tool, strerror(errno));
		return -1;
	}
	if (m->child == 0) {
		execlp(tool, tool, m->pid, "0", m->id, "1", "1", m->start, m->count, (char *)NULL);
		_exit(errno == ENOENT ? 127 : 126);
	}
	return 0;
}

// wait_idmap waits for m's tool and says why it failed.
static int wait_idmap(struct idmap *m) {
	int status = 0, w;
	while ((w = waitpid(m->child, &status, 0)) < 0 && errno == EINTR)
		;
	if (w < 0) {
		fail("wait for %s: %s", m->tool, strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		fail("%s not found: install the uidmap package (apt-get install uidmap)", m->tool);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fail("%s %s 0 %s 1 1 %s %s failed: check the ranges in /etc/subuid and /etc/subgid and that %s is setuid root", m->tool, m->pid, m->id, m->start, m->count, m->tool);
		return -1;
	}
	return 0;
}

static int write_file(const char *path, const char *data) {
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;
	if (fd < 0)
		return -1;
	ok = write(fd, data, strlen(data)) == (ssize_t)strlen(data);
	close(fd);
	return ok ? 0 : -1;
}

static int map_ids(int pid, uid_t uid, gid_t gid) {
	struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : NULL;
	unsigned long us, uc, gs, gc;
	char path[64], map[64];

	if (subids("/etc/subuid", name, uid, &us, &uc) && subids("/etc/subgid", name, uid, &gs, &gc)) {
		struct idmap um, gm;
		int failed;
		if (spawn_idmap(&um, "newuidmap", pid, uid, us, uc) < 0)
			return -1;
		if (spawn_idmap(&gm, "newgidmap", pid, gid, gs, gc) < 0) {
			wait_idmap(&um);
			return -1;
		}
		// The gid map's failure is said unless the uid map's is.
		failed = wait_idmap(&gm) < 0;
		failed |= wait_idmap(&um) < 0;
		return failed ? -1 : 0;
	}
	// No subordinate range: only our own IDs can be mapped.
	scow_userns_single = 1;
	snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
	if (write_file(path, map) < 0) {
		fail("write %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
	if (write_file(path, "deny") < 0) {
		fail("write %s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
	if (write_file(path, map) < 0) {
		fail("write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

// proc_start returns a living process's start time (field 22 of its
// stat), or 0.
static unsigned long long proc_start(int pid) {
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	int fd, n;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); // the command name may hold anything
	if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x')
		return 0; // exited, even if not reaped yet
	// After ") " come fields 3, 4, ...: skip 19 of them to reach 22.
	p++;
	for (int field = 2; field < 21 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

// live_containers tells whether a container registered in <dir>/live
// (a file named by its PID, holding its start time) still runs; records
// of dead ones are removed.
static int live_containers(const char *dir) {
	char path[PATH_MAX], rec[32];
	struct dirent *de;
	int live = 0;
	DIR *d;
	snprintf(path, sizeof path, "%s/live", dir);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		int pid = atoi(de->d_name), fd, n;
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "%s/live/%s", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? 0 : read(fd, rec, sizeof rec - 1);
		if (fd >= 0)
			close(fd);
		rec[n > 0 ? n : 0] = '\0';
		if (n > 0 && strtoull(rec, NULL, 10) == proc_start(pid))
			live = 1;
		else
			unlink(path);
	}
	closedir(d);
	return live;
}

// rename_holder makes ps show what the forked holder is, instead of the
// command line of the scow invocation it was forked from.
static void rename_holder(int argc, char **argv) {
	static const char name[] = "scow-userns-holder";
	size_t room;
	prctl(PR_SET_NAME, name, 0, 0, 0);
	// The kernel lays argv out contiguously; check before overwriting.
	for (int i = 1; i < argc; i++)
		if (argv[i] != argv[i - 1] + strlen(argv[i - 1]) + 1)
			return;
	if (argc < 1)
		return;
	room = argv[argc - 1] + strlen(argv[argc - 1]) - argv[0];
	memset(argv[0], 0, room);
	memcpy(argv[0], name, room < sizeof name - 1 ? room : sizeof name - 1);
}

// LINGER_SECONDS is how long the holder keeps a namespace nobody has
// joined since: a script's next command joins it instead of paying for a
// new one (a fork and the two setuid map helpers, 10 to 15 ms of a
// rootless invocation on a slow machine), as Podman keeps its pause
// process.
#define LINGER_SECONDS 10

// hold is the holder's life: wait for the creator, then for the last
// process inside to leave, and a little longer.
static void hold(const char *dir, int ready, int go, int argc, char **argv) {
	char path[PATH_MAX], rec[64], mine[24];
	int fd, lfd, n;
	char c = 0;

	rename_holder(argc, argv);
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		int e = errno;
		(void)!write(ready, &e, sizeof e);
		_exit(1);
	}
	n = 0;
	(void)!write(ready, &n, sizeof n);
	if (read(go, &c, 1) != 1)
		_exit(1); // the creator gave up
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	// Inherited descriptors (the creator's lock among them) must not keep
	// anything open: a caller waiting for EOF on a pipe would hang.
	if (close_range(3, ~0U, 0) < 0)
		for (int fdn = 3; fdn < 1024; fdn++)
			close(fdn);
	snprintf(path, sizeof path, "%s/userns.lock", dir);
	lfd = open(path, O_RDWR | O_CLOEXEC);
	if (lfd < 0)
		_exit(1);
	// Nobody holds the namespace once we get the exclusive lock, but a
	// container whose monitor was killed may still live in it: stay,
	// letting others in, until it is gone too. Then linger, letting others
	// in, and go once nobody has come for LINGER_SECONDS: every joiner
	// touches the lock file.
	for (unsigned wait = LINGER_SECONDS;;) {
		struct stat before, after;
		time_t since;
		if (flock(lfd, LOCK_EX) < 0)
			_exit(1);
		if (live_containers(dir)) {
			flock(lfd, LOCK_UN);
			sleep(1);
			continue;
		}
		if (fstat(lfd, &before) < 0)
			_exit(1);
		flock(lfd, LOCK_UN);
		sleep(wait);
		wait = LINGER_SECONDS;
		if (flock(lfd, LOCK_EX | LOCK_NB) < 0)
			continue; // somebody is inside: wait for them to leave
		if (fstat(lfd, &after) < 0)
			_exit(1);
		if (after.st_mtim.tv_sec == before.st_mtim.tv_sec && after.st_mtim.tv_nsec == before.st_mtim.tv_nsec) {
			if (!live_containers(dir))
				break;
		} else if ((since = time(NULL) - after.st_mtim.tv_sec) >= 0 && since < LINGER_SECONDS) {
			// Somebody came and went meanwhile: count from their joining.
			wait = LINGER_SECONDS - (unsigned)since;
		}
		flock(lfd, LOCK_UN);
	}
	snprintf(path, sizeof path, "%s/holder.pid", dir);
	snprintf(mine, sizeof mine, "%d ", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, rec, sizeof rec - 1);
		close(fd);
		rec[n > 0 ? n : 0] = '\0';
		if (n > 0 && strncmp(rec, mine, strlen(mine)) == 0)
			unlink(path);
	}
	_exit(0);
}

// create starts a holder, maps it and records it.
static int create(const char *dir, uid_t uid, gid_t gid, int argc, char **argv) {
	int ready[2], go[2], err = 0;
	unsigned long long userino, mntino;
	char path[PATH_MAX], tmp[PATH_MAX], rec[96];
	pid_t pid;
	FILE *f;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		fail("pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fail("fork the namespace holder: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		setsid(); // out of the terminal's process group and its signals
		close(ready[0]);
		close(go[1]);
		hold(dir, ready[1], go[0], argc, argv);
	}
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &err, sizeof err) != sizeof err || err != 0) {
		fail("create a user namespace: %s", err ? strerror(err) : "holder died");
		goto out;
	}
	if (map_ids(pid, uid, gid) < 0)
		goto out;
	if (ns_inode(pid, "user", &userino) < 0 || ns_inode(pid, "mnt", &mntino) < 0) {
		fail("inspect the namespace holder: %s", strerror(errno));
		goto out;
	}
	snprintf(path, sizeof path, "%s/holder.pid", dir);
	snprintf(tmp, sizeof tmp, "%s/.holder.pid.%d", dir, (int)getpid());
	snprintf(rec, sizeof rec, "%d %llu %llu\n", (int)pid, userino, mntino);
	f = fopen(tmp, "we");
	if (f == NULL || fputs(rec, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
		fail("record the namespace holder in %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (write(go[1], "", 1) == 1) {
		close(ready[0]);
		close(go[1]);
		return 0;
	}
	fail("release the namespace holder: %s", strerror(errno));
out:
	close(ready[0]);
	close(go[1]); // the holder sees EOF and exits
	return -1;
}

__attribute__((constructor)) static void scow_nsenter(int argc, char **argv) {
	char dir[PATH_MAX], path[PATH_MAX], cwd[PATH_MAX];
	int lockfd, cfd, r;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	// Root needs no namespace. A process already inside one (euid 0 there)
	// learns its rootless identity from the environment, in Go.
	if (uid == 0)
		return;
	if (userns_dir(dir, sizeof dir) < 0)
		return;
	snprintf(path, sizeof path, "%s/userns.lock", dir);
	// Kept open (close-on-exec) for the life of the process: it is what
	// keeps the holder, and so the namespace, alive.
	lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_SH) < 0) {
		fail("lock %s: %s", path, strerror(errno));
		return;
	}
	if (getcwd(cwd, sizeof cwd) == NULL)
		cwd[0] = '\0';
	r = try_join(dir);
	if (r == 0 && needs_namespace(argc, argv)) {
		// One creator at a time; a second one joins what the first made.
		snprintf(path, sizeof path, "%s/create.lock", dir);
		cfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (cfd < 0 || flock(cfd, LOCK_EX) < 0) {
			fail("lock %s: %s", path, strerror(errno));
			return;
		}
		r = try_join(dir);
		if (r == 0 && create(dir, uid, gid, argc, argv) == 0)
			r = try_join(dir);
		if (r == 0 && scow_userns_error[0] == '\0')
			fail("the new user namespace could not be joined");
		close(cfd);
	}
	if (r == 1) {
		// Joining a mount namespace moves us to its root directory; the
		// same path there is the same directory (the namespace is a copy
		// of the host's), so relative paths keep their meaning.
		if (cwd[0] != '\0' && chdir(cwd) < 0)
			die("return to %s in the user namespace: %s", cwd, strerror(errno));
		// Tells the holder that somebody joined: it lingers
		// LINGER_SECONDS after the last one.
		futimens(lockfd, NULL);
		scow_userns_joined = 1;
		scow_rootless_uid = (int)uid;
		scow_rootless_gid = (int)gid;
		return;
	}
	close(lockfd);
}
