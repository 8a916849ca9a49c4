/* One header from libflyteauth, then the shared objects this process maps
 * (/proc/self/maps), one path a line after a "maps:" line. */
#include <flyteauth.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    flyteauth_client *client = NULL;
    if (flyteauth_client_new(argv[1], &client) != FLYTEAUTH_OK) {
        fprintf(stderr, "flyteauth_client_new: %s\n", flyteauth_error_last()->message);
        return 1;
    }
    flyteauth_metadata *md = NULL;
    if (flyteauth_client_metadata(client, &md) != FLYTEAUTH_OK) {
        fprintf(stderr, "flyteauth_client_metadata: %s\n", flyteauth_error_last()->message);
        flyteauth_client_free(client);
        return 1;
    }
    printf("header %s (%zu characters)\n", md->headers[0].key, strlen(md->headers[0].value));
    flyteauth_metadata_free(md);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096], last[4096] = "";
    printf("maps:\n");
    while (maps && fgets(line, sizeof line, maps)) {
        char *path = strchr(line, '/');
        if (!path || !strstr(path, ".so")) continue;
        path[strcspn(path, "\n")] = 0;
        if (strcmp(path, last) != 0) printf("%s\n", path);
        snprintf(last, sizeof last, "%s", path);
    }
    if (maps) fclose(maps);
    flyteauth_client_free(client);
    return 0;
}
