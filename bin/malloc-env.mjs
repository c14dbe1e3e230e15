// glibc malloc settings for a process that runs Quiver: big freed buffers go back to the system,
// and big buffers are backed by transparent huge pages.
//
// glibc raises its mmap threshold (up to 32 MiB) each time a large block is freed, so after the
// first big batches are dropped, later buffers of a few MiB come from the heap arenas and their
// pages stay resident when freed. A fixed threshold keeps every buffer past it in its own mapping,
// returned on free. At 256 KiB (the earlier setting) that made every Arrow buffer a fresh mapping
// and fresh pages: the log top-5 job (2M lines, local, best of 6) took 1,043-1,052 ms against
// 432-542 ms with glibc's defaults. At 4 MiB it took 480 ms, and a 20M-row sort peaked at 1,150
// MB (1,133 at 256 KiB; 1,244 with huge pages alone).
//
// Every fresh page costs a fault, and on a virtual machine whose host takes freed guest pages back
// (free page reporting) each fault is a round trip to the host: allocating and filling 640 MB in
// 16 MB buffers took 3.7-4.2 s without huge pages and 1.0-1.2 s with them (glibc.malloc.hugetlb=1:
// malloc asks for transparent huge pages, one fault per 2 MB; Debian's kernel gives them to whoever
// asks, `madvise` mode). Settings the user made win; other C libraries ignore these variables.
export const BOUNDED_MALLOC_ENV = Object.freeze({
  MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(16 * 1024 * 1024),
  GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
});

/** `env` with the malloc settings added where it has none of its own. */
export function withBoundedMalloc(env) {
  return { ...BOUNDED_MALLOC_ENV, ...env };
}
