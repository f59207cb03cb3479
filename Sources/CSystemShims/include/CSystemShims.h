#pragma once
// Linux system calls that Swift's Glibc module does not export. Only Transport's System.swift
// and EventLoop.swift import this module.
#include <sys/epoll.h>
#include <sys/eventfd.h>

// accept4(2) without the peer address: `accept4(fd, NULL, NULL, flags)`. Glibc declares it
// only under _GNU_SOURCE, with a transparent union Swift cannot pass, so it is wrapped here.
int CSystemShims_accept4(int fd, int flags);
