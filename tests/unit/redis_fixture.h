/*
 * redis_fixture.h - a throw-away redis-server for tests: a free port, a temp directory,
 * start / stop / restart (optionally keeping the data through an AOF), and a blocking
 * hiredis connection for assertions. Include it in one .c file per test binary.
 * It never touches a Redis it did not start.
 */
#ifndef FLEETBOT_TEST_REDIS_FIXTURE_H
#define FLEETBOT_TEST_REDIS_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

struct redis_fixture {
    pid_t pid;
    int port;
    bool aof; /* appendonly yes: data survives a restart */
    char dir[256];
};

static inline int redis_fixture_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static inline void redis_fixture_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A blocking connection to the fixture, or NULL. Caller frees with redisFree. */
static inline redisContext *redis_fixture_connect(const struct redis_fixture *f)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
    if (c != NULL && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static inline int redis_fixture_spawn(struct redis_fixture *f)
{
    char port[16];
    snprintf(port, sizeof(port), "%d", f->port);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* a test that crashes or aborts must not leave its redis-server behind */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir",
               f->dir, "--save", "", "--appendonly", f->aof ? "yes" : "no", "--appendfsync", "no",
               "--daemonize", "no", (char *)NULL);
        _exit(127);
    }
    f->pid = pid;
    for (int i = 0; i < 200; i++) { /* up to 10 s */
        redisContext *c = redis_fixture_connect(f);
        if (c != NULL) {
            redisReply *r = redisCommand(c, "PING");
            bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return 0;
        }
        redis_fixture_sleep_ms(50);
    }
    return -1;
}

/* Starts redis-server on a free port in a fresh temp dir. 0 or -1. */
static inline int redis_fixture_start(struct redis_fixture *f, bool aof)
{
    memset(f, 0, sizeof(*f));
    f->aof = aof;
    snprintf(f->dir, sizeof(f->dir), "/tmp/fleetbot-redis-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->port = redis_fixture_free_port();
    if (f->port <= 0)
        return -1;
    return redis_fixture_spawn(f);
}

/* Stops the server (SIGTERM; SIGKILL with hard) and waits for it. */
static inline void redis_fixture_kill(struct redis_fixture *f, bool hard)
{
    if (f->pid <= 0)
        return;
    kill(f->pid, hard ? SIGKILL : SIGTERM);
    int status;
    while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
        ;
    f->pid = 0;
}

/* Restarts on the same port and directory. Without AOF the data is gone afterwards. */
static inline int redis_fixture_restart(struct redis_fixture *f)
{
    redis_fixture_kill(f, true);
    return redis_fixture_spawn(f);
}

/* Stops the server and removes its directory. */
static inline void redis_fixture_stop(struct redis_fixture *f)
{
    redis_fixture_kill(f, false);
    if (f->dir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", f->dir);
        f->dir[0] = '\0';
    }
}

/* Runs a command on a fresh blocking connection and returns an integer reply (or -1). */
static inline long long redis_fixture_int(const struct redis_fixture *f, const char *fmt, ...)
{
    redisContext *c = redis_fixture_connect(f);
    if (c == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    long long v = (r != NULL && r->type == REDIS_REPLY_INTEGER) ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return v;
}

#endif
