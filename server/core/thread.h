#ifndef RP_CORE_THREAD_H
#define RP_CORE_THREAD_H

#include <pthread.h>

/* Starts a background thread (metadata listener, housekeeping, run-log
 * writer, scheduler) with every signal blocked: SIGTERM and SIGINT are the
 * main thread's to take with sigwait, and a process-directed signal must
 * never land on a background thread and kill the process with its default
 * action. Returns pthread_create's result. */
int rp_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
