#ifndef CCHILDPROCESS_H
#define CCHILDPROCESS_H
#include <spawn.h>

/// Adds "close every descriptor from `lowest` up" to `actions`
/// (glibc's posix_spawn_file_actions_addclosefrom_np, which the Swift
/// Glibc module does not export). Returns 0 or an errno value.
int cchildprocess_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

/// Adds "change to `path`" to `actions` (posix_spawn_file_actions_addchdir_np).
int cchildprocess_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// The attributes a child needs whatever the spawning thread blocked or
/// ignored: an empty signal mask and default handlers for every signal.
int cchildprocess_resetsignals(posix_spawnattr_t *attributes);

/// A pipe whose both ends are close-on-exec from the start (pipe2 with O_CLOEXEC, so no
/// child forked meanwhile by another thread inherits them). Returns 0 or -1 with errno set.
int cchildprocess_pipe(int descriptors[2]);

#endif
