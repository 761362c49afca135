#ifndef C_HEAP_STATISTICS_H
#define C_HEAP_STATISTICS_H

#include <stddef.h>

/// Bytes the C heap has handed out and not yet freed (glibc `mallinfo2`: `uordblks` plus
/// `hblkhd`), or 0 where the C library cannot tell.
size_t harness_heap_bytes_in_use(void);

/// Whether `harness_heap_bytes_in_use` measures anything on this platform.
int harness_heap_statistics_available(void);

#endif
