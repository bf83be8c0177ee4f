/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmgen: real processes sharing memory, for the end-to-end tests.
 *
 *   shmgen sysv|posix|memfd|sem|leader-exit|premapped|bpf-map
 *
 * Like ipcgen: each process names itself and the scenario prints one JSON
 * line with the pids and the object's key or name.  In each, ipct-shm-b
 * waits on a futex in the shared memory until ipct-shm-a wakes it; the
 * waker first waits until the kernel shows ipct-shm-b asleep in that call,
 * so that the handoff happens whatever the machine's load.
 */
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include "progutil.h"

#define SEG_SIZE 4096

static void futex_wait_for(uint32_t *word)
{
	/* shared, not FUTEX_PRIVATE: another process wakes it */
	while (!__atomic_load_n(word, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0);
}

/* The first field of /proc/PID/stat after the comm: the state letter, 0 if unreadable. */
static char task_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	if (!(f = fopen(path, "r")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* The syscall a stopped or sleeping task is in (/proc/PID/syscall), -1 if running or none. */
static long task_syscall(pid_t pid)
{
	char path[64], buf[64];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr;
}

static void yield_a_moment(void)
{
	struct timespec pause = { 0, 200 * 1000 };

	nanosleep(&pause, NULL);
}

/*
 * Waits until pid sleeps in syscall nr (or nr2): then a wake or a release
 * cannot come before the wait, however the scheduler runs the two.
 */
static void wait_asleep_in(pid_t pid, long nr, long nr2)
{
	for (;;) {
		long in = task_syscall(pid);

		if ((in == nr || in == nr2) && task_state(pid, pid) == 'S')
			return;
		yield_a_moment();
	}
}

static void futex_wake_one(uint32_t *word, pid_t waiter)
{
	wait_asleep_in(waiter, SYS_futex, SYS_futex);
	__atomic_store_n(word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* One byte through a pipe: "done" from one process to the other. */
static void signal_done(int fd)
{
	write_all(fd, "x", 1);
}

static void wait_done(int fd)
{
	char c;

	while (read(fd, &c, 1) < 0)
		if (errno != EINTR)
			die("read");
}

/*
 * sysv: b attaches a SysV segment, then a (so a's attach is the later one
 * and sees both); a wakes b through a futex in it; both detach; a removes it.
 */
static int scenario_sysv(void)
{
	key_t key = 0x53480000 | (getpid() & 0xffff);
	int id = shmget(key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0600), attached[2];
	uint32_t *mem;
	pid_t b;

	if (id < 0 || pipe(attached))
		die("shmget/pipe");
	set_comm("ipct-shm-a");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		set_comm("ipct-shm-b");
		mem = shmat(id, NULL, 0);
		if (mem == (void *)-1)
			die("shmat");
		signal_done(attached[1]);
		futex_wait_for(mem);
		shmdt(mem);
		_exit(0);
	}
	wait_done(attached[0]);
	mem = shmat(id, NULL, 0);
	if (mem == (void *)-1)
		die("shmat");
	futex_wake_one(mem, b);
	wait_child(b);
	shmdt(mem);
	shmctl(id, IPC_RMID, NULL);
	printf("{\"a\":%d,\"b\":%d,\"key\":%d,\"shmid\":%d,\"attach_order\":[%d,%d]}\n", getpid(), b, key, id,
	       b, getpid());
	return 0;
}

/*
 * premapped: a maps an anonymous shared page and forks b (which inherits
 * it), prints the pids and waits for "go" on stdin (the tracer starts
 * then); after it, a wakes b through a futex in the page.  No map of it
 * was seen: nobody is known to share it.
 */
static int scenario_premapped(void)
{
	uint32_t *mem = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2];
	pid_t b;

	if (mem == MAP_FAILED || pipe(go))
		die("mmap/pipe");
	set_comm("ipct-shm-a");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		set_comm("ipct-shm-b");
		wait_done(go[0]);
		futex_wait_for(mem);
		_exit(0);
	}
	printf("{\"a\":%d,\"b\":%d}\n", getpid(), b);
	wait_for_go();
	signal_done(go[1]);
	futex_wake_one(mem, b);
	wait_child(b);
	printf("{\"a\":%d,\"b\":%d}\n", getpid(), b);
	return 0;
}

/*
 * bpf-map: a maps a BPF array map (BPF_F_MMAPABLE) shared, as BPF tools map
 * their ring buffers, and /dev/zero shared; then unmaps both.  Only the
 * second is memory processes can share.
 */
static int scenario_bpf_map(void)
{
	union bpf_attr attr;
	int map, zero;
	void *m, *z;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = SEG_SIZE;
	attr.max_entries = 1;
	attr.map_flags = BPF_F_MMAPABLE;
	set_comm("ipct-shm-a");
	map = (int)syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	zero = open("/dev/zero", O_RDWR);
	if (map < 0 || zero < 0)
		die("bpf(BPF_MAP_CREATE)/open");
	m = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, map, 0);
	z = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
	if (m == MAP_FAILED || z == MAP_FAILED)
		die("mmap");
	munmap(m, SEG_SIZE);
	munmap(z, SEG_SIZE);
	printf("{\"a\":%d,\"map_addr\":%lu,\"zero_addr\":%lu}\n", getpid(), (unsigned long)m, (unsigned long)z);
	return 0;
}

struct leader_exit {
	pid_t leader, b;
	int id;
	key_t key;
	uint32_t *mem;
};

/* The thread left behind: it waits for its leader to be gone, then wakes b. */
static void *outlive_the_leader(void *arg)
{
	struct leader_exit *l = arg;

	while (task_state(l->leader, l->leader) != 'Z')
		yield_a_moment();
	futex_wake_one(l->mem, l->b);
	wait_child(l->b);
	shmctl(l->id, IPC_RMID, NULL);
	printf("{\"a\":%d,\"b\":%d,\"key\":%d,\"shmid\":%d}\n", l->leader, l->b, l->key, l->id);
	exit(0);
}

/*
 * leader-exit: as sysv, but a's main thread calls pthread_exit after
 * starting a thread, which still maps the segment and wakes b: a is still
 * a sharer, although its leader is gone.
 */
static int scenario_leader_exit(void)
{
	static struct leader_exit l;
	pthread_t thread;

	l.key = 0x53490000 | (getpid() & 0xffff);
	l.id = shmget(l.key, SEG_SIZE, IPC_CREAT | IPC_EXCL | 0600);
	l.leader = getpid();
	if (l.id < 0)
		die("shmget");
	set_comm("ipct-shm-a");
	l.b = fork();
	if (l.b < 0)
		die("fork");
	if (l.b == 0) {
		uint32_t *mem;

		set_comm("ipct-shm-b");
		mem = shmat(l.id, NULL, 0);
		if (mem == (void *)-1)
			die("shmat");
		futex_wait_for(mem);
		_exit(0);
	}
	l.mem = shmat(l.id, NULL, 0);
	if (l.mem == (void *)-1)
		die("shmat");
	errno = pthread_create(&thread, NULL, outlive_the_leader, &l);
	if (errno)
		die("pthread_create");
	pthread_exit(NULL);
}

/* posix: a and b map one shm_open object; b waits in sem_wait on a process-shared semaphore a posts. */
static int scenario_posix(void)
{
	char name[64];
	int fd;
	sem_t *sem;
	pid_t b;

	snprintf(name, sizeof(name), "/ipct-shm-%d", getpid());
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0 || ftruncate(fd, SEG_SIZE))
		die("shm_open");
	set_comm("ipct-shm-a");
	sem = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sem == MAP_FAILED || sem_init(sem, 1, 0))
		die("mmap/sem_init");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		sem_t *mine;

		set_comm("ipct-shm-b");
		mine = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (mine == MAP_FAILED)
			die("mmap");
		while (sem_wait(mine) && errno == EINTR)
			;
		munmap(mine, SEG_SIZE);
		_exit(0);
	}
	wait_asleep_in(b, SYS_futex, SYS_futex);
	sem_post(sem);
	wait_child(b);
	munmap(sem, SEG_SIZE);
	shm_unlink(name);
	printf("{\"a\":%d,\"b\":%d,\"name\":\"%s\"}\n", getpid(), b, name + 1);
	return 0;
}

/* memfd: a creates a memfd "ipct-memfd", passes it to b over a unix socket; both map it; a wakes b. */
static int scenario_memfd(void)
{
	int sv[2], fd = memfd_create("ipct-memfd", 0);
	uint32_t *mem;
	pid_t b;

	if (fd < 0 || ftruncate(fd, SEG_SIZE) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("memfd_create/socketpair");
	set_comm("ipct-shm-a");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		char control[CMSG_SPACE(sizeof(int))], data;
		struct iovec iov = { &data, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = sizeof(control) };
		int got;

		set_comm("ipct-shm-b");
		close(fd);
		if (recvmsg(sv[1], &msg, 0) != 1 || !CMSG_FIRSTHDR(&msg))
			die("recvmsg");
		memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(got));
		mem = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, got, 0);
		if (mem == MAP_FAILED)
			die("mmap");
		write_all(sv[1], "m", 1);
		futex_wait_for(mem);
		_exit(0);
	}
	mem = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		die("mmap");
	{
		char control[CMSG_SPACE(sizeof(int))], data = 'f', ack;
		struct iovec iov = { &data, 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = sizeof(control) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
		if (sendmsg(sv[0], &msg, 0) != 1 || read(sv[0], &ack, 1) != 1)
			die("sendmsg");
	}
	futex_wake_one(mem, b);
	wait_child(b);
	printf("{\"a\":%d,\"b\":%d,\"ino\":%lu}\n", getpid(), b, fd_ino(fd));
	return 0;
}

/* sem: ipct-shm-b blocks in semop(-1) on a SysV semaphore until ipct-shm-a's semop(+1). */
static int scenario_sem(void)
{
	int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };
	pid_t b;

	if (id < 0)
		die("semget");
	set_comm("ipct-shm-a");
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		set_comm("ipct-shm-b");
		while (semop(id, &down, 1) && errno == EINTR)
			;
		_exit(0);
	}
	wait_asleep_in(b, SYS_semop, SYS_semtimedop);
	if (semop(id, &up, 1))
		die("semop");
	wait_child(b);
	semctl(id, 0, IPC_RMID);
	printf("{\"a\":%d,\"b\":%d,\"semid\":%d}\n", getpid(), b, id);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "sysv"))
		return scenario_sysv();
	if (argc == 2 && !strcmp(argv[1], "posix"))
		return scenario_posix();
	if (argc == 2 && !strcmp(argv[1], "memfd"))
		return scenario_memfd();
	if (argc == 2 && !strcmp(argv[1], "sem"))
		return scenario_sem();
	if (argc == 2 && !strcmp(argv[1], "leader-exit"))
		return scenario_leader_exit();
	if (argc == 2 && !strcmp(argv[1], "premapped"))
		return scenario_premapped();
	if (argc == 2 && !strcmp(argv[1], "bpf-map"))
		return scenario_bpf_map();
	fprintf(stderr, "usage: shmgen sysv|posix|memfd|sem|leader-exit|premapped|bpf-map\n");
	return 2;
}
