/*
 * Wall-clock time: the Goldfish RTC of QEMU virt, read once at boot.
 * CLOCK_REALTIME is that reading plus the time since boot.
 */
#ifndef KERNEL_DEV_RTC_H
#define KERNEL_DEV_RTC_H

#include "kernel/types.h"

/* Find the "google,goldfish-rtc" node in the DTB, read the time of day and
 * register the device as DEV_TIMER. Without one the epoch stays at boot
 * (CLOCK_REALTIME then counts from 0). => boot hart, after kva_init. */
void rtc_init(void);

/* Nanoseconds since 1970-01-01 00:00:00 UTC (the Unix epoch). Any context. */
uint64_t rtc_realtime_ns(void);

#endif
