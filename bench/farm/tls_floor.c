/* The floor of a TLS probe: one blocking loop of full handshakes, each verifying the chain
 * (CA_FILE) and the host name (localhost) and reading the leaf's notAfter, then close_notify
 * and close, with nothing else around it: no event loop, no config, no state. What
 * portwatch's tls kind costs per probe, less this, is portwatch's own share.
 * Built with OpenSSL (`cc tls_floor.c -lssl -lcrypto`), or with GnuTLS
 * (`cc -DFLOOR_GNUTLS tls_floor.c -lgnutls`): whether another TLS library packaged for Debian
 * does a verified handshake for much less CPU.
 * Usage: tls_floor CA_FILE PORT HOSTS_FILE (one IPv4 address per line)
 * Prints "ok N cpu_s S" (S: this process's user + system CPU over the loop). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef FLOOR_GNUTLS
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#else
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif

static double cpu_s(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/* A connected TCP socket to host:port (5 s send and receive timeouts), or -1. */
static int connect_to(char const* host, int port) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        return -1;
    }
    int const fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

#ifdef FLOOR_GNUTLS
typedef struct {
    gnutls_certificate_credentials_t creds;
    gnutls_priority_t prio;
} Client;

static int client_init(Client* c, char const* ca_file) {
    gnutls_global_init();
    gnutls_certificate_allocate_credentials(&c->creds);
    gnutls_priority_init(&c->prio, "NORMAL", NULL);
    return gnutls_certificate_set_x509_trust_file(c->creds, ca_file, GNUTLS_X509_FMT_PEM) > 0;
}

static int handshake(Client* c, int fd) {
    gnutls_session_t s;
    gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_TICKETS);
    gnutls_priority_set(s, c->prio);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, c->creds);
    gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
    gnutls_session_set_verify_cert(s, "localhost", 0);
    gnutls_transport_set_int(s, fd);
    int r;
    do {
        r = gnutls_handshake(s);
    } while (r < 0 && gnutls_error_is_fatal(r) == 0);
    unsigned n = 0;
    gnutls_datum_t const* chain = r == 0 ? gnutls_certificate_get_peers(s, &n) : NULL;
    int ok = 0;
    if (chain != NULL && n > 0) {
        gnutls_x509_crt_t leaf;
        gnutls_x509_crt_init(&leaf);
        ok = gnutls_x509_crt_import(leaf, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
             gnutls_x509_crt_get_expiration_time(leaf) > 0;
        gnutls_x509_crt_deinit(leaf);
        gnutls_bye(s, GNUTLS_SHUT_WR);
    }
    gnutls_deinit(s);
    return ok;
}
#else
typedef struct {
    SSL_CTX* ctx;
} Client;

static int client_init(Client* c, char const* ca_file) {
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL || SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
        return 0;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
    return 1;
}

static int handshake(Client* c, int fd) {
    SSL* ssl = SSL_new(c->ctx);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    SSL_set_fd(ssl, fd);
    int ok = 0;
    if (SSL_connect(ssl) == 1 && SSL_get_verify_result(ssl) == X509_V_OK) {
        X509* leaf = SSL_get1_peer_certificate(ssl);
        ok = leaf != NULL && X509_get0_notAfter(leaf) != NULL;
        X509_free(leaf);
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    return ok;
}
#endif

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tls_floor CA_FILE PORT HOSTS_FILE\n");
        return 2;
    }
    Client client;
    if (!client_init(&client, argv[1])) {
        fprintf(stderr, "tls_floor: cannot load %s\n", argv[1]);
        return 2;
    }
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
        int const fd = connect_to(line, port);
        if (fd >= 0) {
            ok += handshake(&client, fd);
            close(fd);
        }
    }
    printf("ok %ld cpu_s %.3f\n", ok, cpu_s() - before);
    fclose(in);
    return 0;
}
