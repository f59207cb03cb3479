// _GNU_SOURCE (for accept4) comes from the target's cSettings, as swift-nio's CNIOLinux does.
#include "CSystemShims.h"

#include <stddef.h>
#include <sys/socket.h>

int CSystemShims_accept4(int fd, int flags) {
  return accept4(fd, NULL, NULL, flags);
}
