#include "CHeap.h"

#if defined(__linux__)
#include <features.h>
#endif

#if defined(__GLIBC__)
#include <malloc.h>

void harness_heap_return_free_memory(void) { malloc_trim(0); }
#else
void harness_heap_return_free_memory(void) {}
#endif

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
size_t harness_heap_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

int harness_heap_statistics_available(void) { return 1; }
#else
size_t harness_heap_bytes_in_use(void) { return 0; }

int harness_heap_statistics_available(void) { return 0; }
#endif
