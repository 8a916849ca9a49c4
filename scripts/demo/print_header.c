/* The demo's C program: one header from libflyteauth, printed with the token redacted. */
#include <flyteauth.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s SETTINGS_JSON\n", argv[0]);
        return 2;
    }
    flyteauth_client *client = NULL;
    if (flyteauth_client_new(argv[1], &client) != FLYTEAUTH_OK) {
        fprintf(stderr, "flyteauth_client_new: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    flyteauth_metadata *md = NULL;
    flyteauth_status status = flyteauth_client_metadata(client, &md);
    if (status != FLYTEAUTH_OK) {
        const flyteauth_error *e = flyteauth_error_last();
        fprintf(stderr, "flyteauth_client_metadata: %s: %s\n", flyteauth_strerror(status), e->message);
        flyteauth_client_free(client);
        return 1;
    }
    for (size_t i = 0; i < md->count; i++) {
        const char *v = md->headers[i].value;
        printf("  %s: %.*s... (%zu characters)\n", md->headers[i].key, 16, v, strlen(v));
    }
    if (md->expires_at) printf("  expires at %lld (UTC seconds)\n", (long long)md->expires_at);
    flyteauth_metadata_free(md);
    flyteauth_client_free(client);
    return 0;
}
