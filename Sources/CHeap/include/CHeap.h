#ifndef C_HEAP_H
#define C_HEAP_H

#include <stddef.h>

/// Bytes the C heap has handed out and not yet freed (glibc `mallinfo2`: `uordblks` plus
/// `hblkhd`), or 0 where the C library cannot tell.
size_t harness_heap_bytes_in_use(void);

/// Whether `harness_heap_bytes_in_use` measures anything on this platform.
int harness_heap_statistics_available(void);

/// Gives the free memory of every allocation arena back to the system (glibc `malloc_trim`);
/// does nothing where the C library has no such call.
void harness_heap_return_free_memory(void);

#endif
