#pragma once
#include <nghttp2/nghttp2.h>
// Linux event APIs that Swift's Glibc module does not export; only Transport imports this module.
#include <sys/epoll.h>
#include <sys/eventfd.h>
