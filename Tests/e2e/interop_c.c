/* The C side of the interop matrix (test_interop_matrix.py): one libflyteauth client.
 *   interop_c login|header|logout SETTINGS_JSON
 * Prints one JSON line; the token only as the first 12 hex digits of its SHA-256. */
#include <flyteauth.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static void print_sha(const char *token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_Digest(token, strlen(token), digest, &n, EVP_sha256(), NULL);
    printf("{\"ok\": true, \"sha\": \"");
    for (int i = 0; i < 6; i++) printf("%02x", digest[i]);
    printf("\"}\n");
}

static int fail(const char *what, flyteauth_status status) {
    printf("{\"ok\": false, \"what\": \"%s\", \"status\": %d}\n", what, (int)status);
    fprintf(stderr, "%s: %s\n", what, flyteauth_error_last()->message);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s login|header|logout SETTINGS_JSON\n", argv[0]);
        return 2;
    }
    flyteauth_client *client = NULL;
    flyteauth_status st = flyteauth_client_new(argv[2], &client);
    if (st != FLYTEAUTH_OK) return fail("client_new", st);
    int rc = 0;
    if (strcmp(argv[1], "logout") == 0) {
        st = flyteauth_client_logout(client);
        if (st != FLYTEAUTH_OK) rc = fail("logout", st);
        else printf("{\"ok\": true}\n");
    } else {
        if (strcmp(argv[1], "login") == 0 && (st = flyteauth_client_login(client)) != FLYTEAUTH_OK) {
            rc = fail("login", st);
        } else {
            flyteauth_metadata *md = NULL;
            st = flyteauth_client_metadata(client, &md);
            if (st != FLYTEAUTH_OK) {
                rc = fail("metadata", st);
            } else {
                const char *v = md->headers[0].value;
                print_sha(strncmp(v, "Bearer ", 7) == 0 ? v + 7 : v);
                flyteauth_metadata_free(md);
            }
        }
    }
    flyteauth_client_free(client);
    return rc;
}
