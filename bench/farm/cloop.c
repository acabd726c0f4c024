// bench/farm/cloop.c: the practical limit. A minimal epoll connect loop: IPv4 literals only,
// no DNS, no state, no logging. At most CONC connects in flight; each has the same timeout, so
// deadlines expire in start order and one FIFO (the start order) is the whole timer wheel.
// Usage: cloop LIST TIMEOUT_MS CONC OUT      (OUT: "HOST:PORT up|refused|timeout|error" lines)
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { PENDING, RUNNING, UP, REFUSED, TIMEOUT, ERROR };
static char const* const names[] = {"pending", "running", "up", "refused", "timeout", "error"};

struct target {
    struct sockaddr_in addr;
    char text[24];  // "255.255.255.255:65535"
    long long deadline;
    int fd;
    int state;
};

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s LIST TIMEOUT_MS CONC OUT\n", argv[0]);
        return 64;
    }
    long long const timeout = atoll(argv[2]);
    int conc = atoi(argv[3]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if ((rlim_t)conc + 16 > rl.rlim_cur) conc = (int)rl.rlim_cur - 16;

    FILE* in = fopen(argv[1], "r");
    if (!in) { perror(argv[1]); return 1; }
    size_t n = 0, cap = 1024;
    struct target* t = malloc(cap * sizeof *t);
    char line[512], host[256];
    unsigned port;
    while (fgets(line, sizeof line, in)) {
        if (line[0] == '#' || sscanf(line, "%255s %u", host, &port) != 2) continue;
        if (n == cap) t = realloc(t, (cap *= 2) * sizeof *t);
        memset(&t[n], 0, sizeof t[n]);
        t[n].addr.sin_family = AF_INET;
        t[n].addr.sin_port = htons((unsigned short)port);
        if (inet_pton(AF_INET, host, &t[n].addr.sin_addr) != 1) {
            fprintf(stderr, "cloop: not an IPv4 literal: %s\n", host);
            return 1;
        }
        snprintf(t[n].text, sizeof t[n].text, "%.15s:%u", host, port);
        t[n].fd = -1;
        ++n;
    }
    fclose(in);

    int const ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event evs[1024];
    size_t next = 0, head = 0;  // next to start; oldest started (deadline order)
    int inflight = 0;
    size_t done = 0;
    while (done < n) {
        while (inflight < conc && next < n) {
            struct target* p = &t[next];
            p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (p->fd < 0) { p->state = ERROR; ++done; ++next; continue; }
            int const rc = connect(p->fd, (struct sockaddr*)&p->addr, sizeof p->addr);
            if (rc == 0 || errno != EINPROGRESS) {
                p->state = rc == 0 ? UP : errno == ECONNREFUSED ? REFUSED : ERROR;
                close(p->fd);
                ++done; ++next;
                continue;
            }
            p->state = RUNNING;
            p->deadline = now_ms() + timeout;
            struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = next};
            epoll_ctl(ep, EPOLL_CTL_ADD, p->fd, &ev);
            ++inflight; ++next;
        }
        while (head < next && t[head].state != RUNNING) ++head;
        int wait = -1;
        if (head < next) {
            long long const left = t[head].deadline - now_ms();
            wait = left < 0 ? 0 : (int)left;
        }
        int const k = epoll_wait(ep, evs, 1024, wait);
        for (int i = 0; i < k; ++i) {
            struct target* p = &t[evs[i].data.u64];
            int err = 0;
            socklen_t len = sizeof err;
            getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
            p->state = err == 0 ? UP : err == ECONNREFUSED ? REFUSED : ERROR;
            close(p->fd);  // closing removes it from the epoll set; FIN for an up target
            --inflight; ++done;
        }
        long long const now = now_ms();
        while (head < next && (t[head].state != RUNNING || t[head].deadline <= now)) {
            if (t[head].state == RUNNING) {
                t[head].state = TIMEOUT;
                close(t[head].fd);
                --inflight; ++done;
            }
            ++head;
        }
    }
    FILE* out = fopen(argv[4], "w");
    if (!out) { perror(argv[4]); return 1; }
    for (size_t i = 0; i < n; ++i) fprintf(out, "%s %s\n", t[i].text, names[t[i].state]);
    fclose(out);
    return 0;
}
