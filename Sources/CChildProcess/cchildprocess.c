#define _GNU_SOURCE
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>
#include "cchildprocess.h"

int cchildprocess_pipe(int descriptors[2]) {
    return pipe2(descriptors, O_CLOEXEC);
}

int cchildprocess_addclosefrom(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

int cchildprocess_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int cchildprocess_resetsignals(posix_spawnattr_t *attributes) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    int status = posix_spawnattr_setsigmask(attributes, &none);
    if (status == 0) status = posix_spawnattr_setsigdefault(attributes, &all);
    if (status == 0) status = posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    return status;
}
