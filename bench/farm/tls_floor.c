/* The floor of an OpenSSL TLS probe: one blocking loop of full handshakes, each verifying the
 * chain (CA_FILE) and the host name (localhost) and reading the leaf's notAfter, then
 * close_notify and close, with nothing else around it: no event loop, no config, no state.
 * What portwatch's tls kind costs per probe, less this, is portwatch's own share.
 * Usage: tls_floor CA_FILE PORT HOSTS_FILE (one IPv4 address per line)
 * Prints "ok N cpu_s S" (S: this process's user + system CPU over the loop). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static double cpu_s(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

static int handshake(SSL_CTX* ctx, char const* host, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        return 0;
    }
    int const fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int ok = 0;
    if (fd >= 0 && connect(fd, (struct sockaddr*)&a, sizeof a) == 0) {
        SSL* ssl = SSL_new(ctx);
        SSL_set_tlsext_host_name(ssl, "localhost");
        SSL_set1_host(ssl, "localhost");
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK) {
            X509* leaf = SSL_get1_peer_certificate(ssl);
            ok = leaf != NULL && X509_get0_notAfter(leaf) != NULL;
            X509_free(leaf);
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    }
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tls_floor CA_FILE PORT HOSTS_FILE\n");
        return 2;
    }
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, argv[1], NULL) != 1) {
        fprintf(stderr, "tls_floor: cannot load %s\n", argv[1]);
        return 2;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    FILE* in = fopen(argv[3], "r");
    if (in == NULL) {
        perror(argv[3]);
        return 2;
    }
    int const port = atoi(argv[2]);
    char line[64];
    long ok = 0;
    double const before = cpu_s();
    while (fgets(line, sizeof line, in) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        ok += handshake(ctx, line, port);
    }
    printf("ok %ld cpu_s %.3f\n", ok, cpu_s() - before);
    fclose(in);
    SSL_CTX_free(ctx);
    return 0;
}
