// Joins the user's shared scow user and mount namespaces before the Go
// runtime starts any thread: setns(CLONE_NEWUSER) is refused to a
// multithreaded process, so it cannot be done from Go.
//
// The holder process records "PID USERNS-INODE MNTNS-INODE" in
// <dir>/holder.pid. A joiner takes a shared flock on <dir>/userns.lock and
// keeps it for its whole life; the holder waits for an exclusive lock and
// removes the namespace once nobody holds a shared one. Checking the
// namespace inodes guards against a reused PID.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int scow_userns_joined;
int scow_userns_lockfd = -1;
int scow_rootless_uid = -1;
int scow_rootless_gid = -1;
char scow_userns_error[256];

// scow_userns_dir mirrors Dir() in userns_linux.go.
static int scow_userns_dir(char *buf, size_t len) {
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int n;
	if (xdg != NULL && xdg[0] != '\0')
		n = snprintf(buf, len, "%s/scow/userns", xdg);
	else
		n = snprintf(buf, len, "/tmp/scow-%d/userns", (int)geteuid());
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

static int ns_matches(int fd, unsigned long long ino) {
	struct stat st;
	return fstat(fd, &st) == 0 && (unsigned long long)st.st_ino == ino;
}

// scow_try_join returns 1 when joined, 0 when there is nothing to join,
// -1 with scow_userns_error set when joining failed.
static int scow_try_join(const char *dir, int lockfd) {
	char path[PATH_MAX];
	int pid;
	unsigned long long userino, mntino;
	int ufd, mfd;
	FILE *f;

	if (flock(lockfd, LOCK_SH) < 0) {
		snprintf(scow_userns_error, sizeof scow_userns_error, "lock %s/userns.lock: %s", dir, strerror(errno));
		return -1;
	}
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
	if (ufd < 0 || mfd < 0 || !ns_matches(ufd, userino) || !ns_matches(mfd, mntino)) {
		// The holder is gone (or its PID was reused): a stale record.
		if (ufd >= 0) close(ufd);
		if (mfd >= 0) close(mfd);
		return 0;
	}
	if (setns(ufd, CLONE_NEWUSER) < 0 || setns(mfd, CLONE_NEWNS) < 0) {
		snprintf(scow_userns_error, sizeof scow_userns_error, "join user namespace of holder %d: %s", pid, strerror(errno));
		close(ufd);
		close(mfd);
		return -1;
	}
	close(ufd);
	close(mfd);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		snprintf(scow_userns_error, sizeof scow_userns_error, "become root in user namespace: %s", strerror(errno));
		return -1;
	}
	return 1;
}

__attribute__((constructor)) static void scow_nsenter(void) {
	char dir[PATH_MAX], path[PATH_MAX];
	const char *inherited = getenv("_SCOW_USERNS_LOCKFD");
	int lockfd, r;
	uid_t uid = geteuid();
	gid_t gid = getegid();

	// Root needs no namespace. A process already inside one (euid 0 there)
	// learns its rootless identity from the environment, in Go.
	if (uid == 0 || getenv("_SCOW_USERNS_HOLDER") != NULL)
		return;
	if (scow_userns_dir(dir, sizeof dir) < 0)
		return;

	if (inherited != NULL) {
		// Re-executed by the creator, which already holds the shared lock.
		lockfd = atoi(inherited);
		if (fcntl(lockfd, F_SETFD, FD_CLOEXEC) < 0)
			return;
	} else {
		snprintf(path, sizeof path, "%s/userns.lock", dir);
		lockfd = open(path, O_RDWR | O_CLOEXEC);
		if (lockfd < 0)
			return; // never created: Go creates the namespace when needed
	}
	r = scow_try_join(dir, lockfd);
	if (r == 1) {
		scow_userns_joined = 1;
		scow_userns_lockfd = lockfd;
		scow_rootless_uid = (int)uid;
		scow_rootless_gid = (int)gid;
		return;
	}
	close(lockfd);
}
