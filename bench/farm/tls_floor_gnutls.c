/* tls_floor.c's loop with GnuTLS instead of OpenSSL: whether another TLS library packaged for
 * Debian does a verified handshake for much less CPU. Same usage and output as tls_floor. */
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
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

static int handshake(gnutls_certificate_credentials_t creds, gnutls_priority_t prio,
                     char const* host, int port) {
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
        gnutls_session_t s;
        gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NO_TICKETS);
        gnutls_priority_set(s, prio);
        gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, creds);
        gnutls_server_name_set(s, GNUTLS_NAME_DNS, "localhost", 9);
        gnutls_session_set_verify_cert(s, "localhost", 0);
        gnutls_transport_set_int(s, fd);
        int r;
        do {
            r = gnutls_handshake(s);
        } while (r < 0 && gnutls_error_is_fatal(r) == 0);
        unsigned n = 0;
        gnutls_datum_t const* chain = r == 0 ? gnutls_certificate_get_peers(s, &n) : NULL;
        if (chain != NULL && n > 0) {
            gnutls_x509_crt_t leaf;
            gnutls_x509_crt_init(&leaf);
            ok = gnutls_x509_crt_import(leaf, &chain[0], GNUTLS_X509_FMT_DER) == 0 &&
                 gnutls_x509_crt_get_expiration_time(leaf) > 0;
            gnutls_x509_crt_deinit(leaf);
            gnutls_bye(s, GNUTLS_SHUT_WR);
        }
        gnutls_deinit(s);
    }
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: tls_floor_gnutls CA_FILE PORT HOSTS_FILE\n");
        return 2;
    }
    gnutls_global_init();
    gnutls_certificate_credentials_t creds;
    gnutls_certificate_allocate_credentials(&creds);
    if (gnutls_certificate_set_x509_trust_file(creds, argv[1], GNUTLS_X509_FMT_PEM) <= 0) {
        fprintf(stderr, "tls_floor_gnutls: cannot load %s\n", argv[1]);
        return 2;
    }
    gnutls_priority_t prio;
    gnutls_priority_init(&prio, "NORMAL", NULL);
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
        ok += handshake(creds, prio, line, port);
    }
    printf("ok %ld cpu_s %.3f\n", ok, cpu_s() - before);
    fclose(in);
    gnutls_priority_deinit(prio);
    gnutls_certificate_free_credentials(creds);
    gnutls_global_deinit();
    return 0;
}
