// bench/farm/acceptor.c: the "up" side of the benchmark farm. Listens on COUNT ports from
// FIRST on 0.0.0.0 with a big backlog, accepts with epoll and closes each connection at once
// (a plain close(): FIN, never RST; the probes send nothing, so nothing is left unread).
// Usage: acceptor FIRST COUNT BACKLOG READY_FILE   (runs until SIGTERM/SIGINT)
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s FIRST_PORT COUNT BACKLOG READY_FILE\n", argv[0]);
        return 64;
    }
    int const first = atoi(argv[1]), count = atoi(argv[2]), backlog = atoi(argv[3]);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct rlimit rl = {1 << 16, 1 << 16};
    setrlimit(RLIMIT_NOFILE, &rl);
    int const ep = epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < count; ++i) {
        int const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)(first + i))};
        a.sin_addr.s_addr = htonl(INADDR_ANY);
        if (bind(fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(fd, backlog) != 0) {
            fprintf(stderr, "acceptor: port %d: %s\n", first + i, strerror(errno));
            return 1;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    FILE* f = fopen(argv[4], "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpid());
        fclose(f);
    }
    unsigned long long accepted = 0;
    struct epoll_event evs[256];
    while (!stop) {
        int const n = epoll_wait(ep, evs, 256, 500);
        for (int i = 0; i < n; ++i) {
            for (;;) {
                int const c = accept4(evs[i].data.fd, NULL, NULL, SOCK_CLOEXEC);
                if (c < 0) {
                    break;  // EAGAIN, or a connection reset before we got to it
                }
                close(c);
                ++accepted;
            }
        }
    }
    fprintf(stderr, "acceptor: %llu connections accepted\n", accepted);
    return 0;
}
